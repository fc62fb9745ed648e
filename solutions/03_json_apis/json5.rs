// json5: page sizes are the server's decision, not the client's.
//
// The handler passes the client's `limit` straight into SQL, so `?limit=1000000` makes the
// server read, serialize and send the whole table in one response, and so does
// `?limit=-1` (to SQLite a negative LIMIT means "no limit"). One script asking for huge
// pages exhausts memory and bandwidth (OWASP A04:2021 Insecure Design). Keep the default
// page size, and never let a page exceed the maximum of the contract.

// API contract:
//   GET /products?limit=N&offset=M -> 200 {"items": [...], "limit": L, "offset": M, "total": T}
//   `limit` defaults to 20 and is at most 100 (larger requests get 100 items); `offset`
//   defaults to 0; `limit` in the response is the page size actually used.

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

type Db = Arc<Mutex<Connection>>;

#[derive(Serialize)]
struct Product {
    id: i64,
    name: String,
    price_cents: i64,
}

#[derive(Deserialize)]
struct PageParams {
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<Product>,
    limit: i64,
    offset: i64,
    total: i64,
}

async fn list_products(
    State(db): State<Db>,
    Query(params): Query<PageParams>,
) -> Result<Json<Page>, StatusCode> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let offset = params.offset.unwrap_or(0).max(0);

    let conn = db.lock().unwrap();
    let internal = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let total = conn
        .query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))
        .map_err(internal)?;
    let mut stmt = conn
        .prepare("SELECT id, name, price_cents FROM products ORDER BY id LIMIT ?1 OFFSET ?2")
        .map_err(internal)?;
    let items = stmt
        .query_map([limit, offset], |r| {
            Ok(Product {
                id: r.get(0)?,
                name: r.get(1)?,
                price_cents: r.get(2)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(internal)?;
    Ok(Json(Page {
        items,
        limit,
        offset,
        total,
    }))
}

fn open_db() -> Db {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE products (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            price_cents INTEGER NOT NULL
        );
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
        INSERT INTO products (id, name, price_cents)
        SELECT i, 'Product ' || i, 100 + i FROM n;",
    )
    .unwrap();
    Arc::new(Mutex::new(conn))
}

fn app() -> Router {
    Router::new()
        .route("/products", get(list_products))
        .with_state(open_db())
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app();
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use serde_json::Value;
    use tower::ServiceExt;

    async fn get_page(app: &Router, query: &str) -> (StatusCode, Value) {
        let req = Request::get(format!("/products{query}"))
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn ids(page: &Value) -> Vec<i64> {
        let items = page["items"]
            .as_array()
            .expect("the page has no items array");
        items.iter().map(|p| p["id"].as_i64().unwrap()).collect()
    }

    #[tokio::test]
    async fn default_page_size_is_20() {
        let (status, page) = get_page(&app(), "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&page), (1..=20).collect::<Vec<_>>());
        assert_eq!(page["limit"], 20);
        assert_eq!(page["total"], 1000);
    }

    #[tokio::test]
    async fn huge_limit_is_capped_at_100() {
        // The attack: ask for the whole table in one page.
        let (status, page) = get_page(&app(), "?limit=1000000").await;
        assert_eq!(status, StatusCode::OK);
        let got = ids(&page).len();
        assert_eq!(
            got, 100,
            "?limit=1000000 returned {got} items; the maximum is 100"
        );
        assert_eq!(page["limit"], 100, "report the page size actually used");
    }

    #[tokio::test]
    async fn negative_limit_does_not_mean_unlimited() {
        let (status, page) = get_page(&app(), "?limit=-1").await;
        if !status.is_client_error() {
            assert_eq!(status, StatusCode::OK);
            let got = ids(&page).len();
            assert!(
                got <= 100,
                "?limit=-1 returned {got} items; the maximum is 100"
            );
        }
    }

    #[tokio::test]
    async fn walking_all_pages_sees_every_product_once() {
        let app = app();
        let mut seen = Vec::new();
        let mut offset = 0;
        while offset < 1000 {
            let (_, page) = get_page(&app, &format!("?limit=100&offset={offset}")).await;
            let page_ids = ids(&page);
            assert!(!page_ids.is_empty(), "empty page at offset {offset}");
            offset += page_ids.len();
            seen.extend(page_ids);
        }
        assert_eq!(seen, (1..=1000).collect::<Vec<_>>());
        let (_, last) = get_page(&app, "?limit=50&offset=990").await;
        assert_eq!(ids(&last), (991..=1000).collect::<Vec<_>>());
    }
}
