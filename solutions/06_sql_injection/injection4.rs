// injection4: identifiers can't be bound, so a sort column needs an allow-list.
//
// `?sort=price&dir=desc` ends up in `ORDER BY`, and a placeholder can only stand for a
// value, never for a column name or a keyword, so the clause is built as text. The code
// maps the one friendly name it knows and passes anything else through: `sort` and `dir`
// accept arbitrary SQL (OWASP A03:2021 Injection). A CASE expression there turns the order of
// the results into a yes/no oracle on any table. Make `order_by` accept only the sorts
// the API offers and answer anything else with `None` (the handler turns it into a 400).

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

type Db = Arc<Mutex<Connection>>;

const SCHEMA: &str = "
    CREATE TABLE products (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        price_cents INTEGER NOT NULL,
        cost_cents  INTEGER NOT NULL   -- what we pay the supplier: internal
    );
    CREATE TABLE users (
        id       INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        password TEXT NOT NULL
    );
    INSERT INTO products (id, name, price_cents, cost_cents) VALUES
        (1, 'Burr grinder', 8900, 5100),
        (2, 'Aeropress', 3900, 2900),
        (3, 'Cupping spoon', 1500, 300),
        (4, 'Digital scale', 2500, 1900);
    INSERT INTO users (id, username, password) VALUES (1, 'admin', 'hunter2');
";

#[derive(Deserialize)]
struct ListParams {
    sort: Option<String>,
    dir: Option<String>,
}

#[derive(Serialize)]
struct Product {
    id: i64,
    name: String,
    price_cents: i64,
}

/// The ORDER BY clause for `?sort=` (`name` or `price`, default `name`) and `?dir=`
/// (`asc` or `desc`, default `asc`); `None` for anything else.
fn order_by(sort: Option<&str>, dir: Option<&str>) -> Option<String> {
    let column = match sort.unwrap_or("name") {
        "name" => "name",
        "price" => "price_cents",
        _ => return None,
    };
    let direction = match dir.unwrap_or("asc") {
        "asc" => "ASC",
        "desc" => "DESC",
        _ => return None,
    };
    Some(format!("{column} {direction}"))
}

/// `GET /products?sort=price&dir=desc`
async fn list_products(State(db): State<Db>, Query(params): Query<ListParams>) -> Response {
    let Some(order) = order_by(params.sort.as_deref(), params.dir.as_deref()) else {
        let error = json!({ "error": "sort must be name or price, dir asc or desc" });
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    };
    let sql = format!("SELECT id, name, price_cents FROM products ORDER BY {order}, id");
    let conn = db.lock().unwrap();
    let products = conn.prepare(&sql).and_then(|mut stmt| {
        stmt.query_map([], |row| {
            Ok(Product {
                id: row.get("id")?,
                name: row.get("name")?,
                price_cents: row.get("price_cents")?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()
    });
    match products {
        Ok(products) => Json(products).into_response(),
        Err(err) => {
            eprintln!("listing products failed: {err}");
            let error = json!({ "error": "internal error" });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(error)).into_response()
        }
    }
}

fn app() -> rusqlite::Result<Router> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    let db: Db = Arc::new(Mutex::new(conn));
    Ok(Router::new()
        .route("/products", get(list_products))
        .with_state(db))
}

fn main() -> rusqlite::Result<()> {
    let _app = app()?;
    println!("router built: GET /products?sort=name|price&dir=asc|desc");
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use serde_json::Value;
    use tower::ServiceExt;

    /// Percent-encodes a query-string value.
    fn encode(value: &str) -> String {
        value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    /// GET /products?{query}: the status and the product ids in the order returned.
    async fn list(app: &Router, query: &str) -> (StatusCode, Vec<i64>) {
        let request = Request::get(format!("/products?{query}"))
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let ids = match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Array(items)) => items.iter().map(|p| p["id"].as_i64().unwrap()).collect(),
            _ => Vec::new(),
        };
        (status, ids)
    }

    #[tokio::test]
    async fn sorts_by_name_by_default() {
        let app = app().unwrap();
        assert_eq!(
            list(&app, "").await,
            (StatusCode::OK, vec![2, 1, 3, 4]),
            "no parameters: by name, ascending"
        );
    }

    #[tokio::test]
    async fn sorts_by_price_both_ways() {
        let app = app().unwrap();
        assert_eq!(
            list(&app, "sort=price").await,
            (StatusCode::OK, vec![3, 4, 2, 1]),
            "sort=price: cheapest first"
        );
        assert_eq!(
            list(&app, "sort=price&dir=desc").await,
            (StatusCode::OK, vec![1, 2, 4, 3]),
            "sort=price&dir=desc: most expensive first"
        );
        assert_eq!(
            list(&app, "sort=name&dir=desc").await,
            (StatusCode::OK, vec![4, 3, 1, 2]),
            "sort=name&dir=desc: by name, Z to A"
        );
        assert_eq!(
            list(&app, "sort=name&dir=asc").await,
            (StatusCode::OK, vec![2, 1, 3, 4]),
            "sort=name&dir=asc: by name, A to Z"
        );
    }

    /// Sends the blind-injection probe built for the right and for a wrong guess, and
    /// fails if the two orders differ (the oracle works) or if either is not a 400.
    async fn assert_oracle_refused(app: &Router, probe: impl Fn(char) -> String) {
        let right = list(app, &format!("sort={}", encode(&probe('h')))).await;
        let wrong = list(app, &format!("sort={}", encode(&probe('q')))).await;
        assert!(
            !(right.0 == StatusCode::OK && wrong.0 == StatusCode::OK && right.1 != wrong.1),
            "the sort order leaks data: guessing 'h' gives {:?}, guessing 'q' gives {:?}, \
             so the admin password starts with 'h' (probe: {})",
            right.1,
            wrong.1,
            probe('h')
        );
        for (status, guess) in [(right.0, 'h'), (wrong.0, 'q')] {
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "a SQL expression in sort must be refused with 400: {}",
                probe(guess)
            );
        }
    }

    #[tokio::test]
    async fn blind_injection_through_sort_is_refused() {
        let app = app().unwrap();
        // The attack: "if admin's password starts with <guess>, sort by price, else by name".
        assert_oracle_refused(&app, |guess| {
            format!(
                "(CASE WHEN substr((SELECT password FROM users WHERE username = 'admin'), 1, 1) \
                 = '{guess}' THEN price_cents ELSE name END)"
            )
        })
        .await;
        // The same question, spelt to slip past a list of forbidden words: lower case, no
        // CASE, no quotes, no spaces.
        assert_oracle_refused(&app, |guess| {
            format!(
                "iif(unicode((select/**/password/**/from/**/users))={},price_cents,name)",
                guess as u32
            )
        })
        .await;
    }

    #[tokio::test]
    async fn only_the_documented_sorts_are_accepted() {
        let app = app().unwrap();
        // None of these is on the API's list. Some are harmless, some leak or reorder data;
        // an allow-list refuses them all without having to tell which is which.
        for sort in [
            "price_cents",
            "cost_cents",
            "COST_CENTS",
            "id",
            "rowid",
            "1",
            "random()",
            "-price_cents",
            "name--",
            "name/**/",
        ] {
            assert_eq!(
                list(&app, &format!("sort={}", encode(sort))).await.0,
                StatusCode::BAD_REQUEST,
                "sort={sort} is not one of the sorts the API offers (name, price): only an \
                 allow-list refuses everything a blocklist forgot"
            );
        }
        for dir in ["desc, cost_cents", "asc--", "desc/**/", "desc NULLS FIRST"] {
            assert_eq!(
                list(&app, &format!("dir={}", encode(dir))).await.0,
                StatusCode::BAD_REQUEST,
                "dir={dir} is neither asc nor desc: only an allow-list refuses everything a \
                 blocklist forgot"
            );
        }
    }

    #[tokio::test]
    async fn internal_columns_cannot_be_sorted_on() {
        let app = app().unwrap();
        // Sorting by what we pay suppliers would leak our margins.
        assert_eq!(
            list(&app, "sort=cost_cents").await.0,
            StatusCode::BAD_REQUEST,
            "sort=cost_cents is not one of the sorts the API offers"
        );
    }

    #[tokio::test]
    async fn direction_must_be_asc_or_desc() {
        let app = app().unwrap();
        assert_eq!(
            list(&app, "dir=sideways").await.0,
            StatusCode::BAD_REQUEST,
            "dir=sideways must be refused with 400"
        );
        let limit = format!("dir={}", encode("desc LIMIT 1"));
        assert_eq!(
            list(&app, &limit).await.0,
            StatusCode::BAD_REQUEST,
            "SQL smuggled into dir must be refused with 400"
        );
    }

    #[tokio::test]
    async fn stacked_statement_is_a_bad_request() {
        let app = app().unwrap();
        let attack = format!("sort={}", encode("name; DROP TABLE products"));
        assert_eq!(
            list(&app, &attack).await.0,
            StatusCode::BAD_REQUEST,
            "SQL smuggled into sort must be refused with 400"
        );
        assert_eq!(
            list(&app, "").await.1.len(),
            4,
            "the products table was damaged"
        );
    }
}
