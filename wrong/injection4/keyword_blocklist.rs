// wrong fix: a blocklist of SQL keywords for sort (the direction is allow-listed); lower-case select, iif instead of CASE, /**/ instead of spaces, or a column nobody thought of all pass
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
    // Refuse the dangerous bits of SQL.
    const FORBIDDEN: [&str; 8] = [";", "--", "SELECT", "CASE", "DROP", "LIMIT", "UNION", "cost_cents"];
    let column = match sort.unwrap_or("name") {
        "price" => "price_cents",
        other => other,
    };
    if FORBIDDEN.iter().any(|word| column.contains(word)) {
        return None;
    }
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

