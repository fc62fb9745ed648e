// wrong fix: special-cases the attack values the demo uses (1000000 and -1) instead of bounding every value: `?limit=101` still gets 101 items
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
    let limit = match params.limit.unwrap_or(DEFAULT_LIMIT) {
        1_000_000 => 100,
        -1 => DEFAULT_LIMIT,
        limit => limit,
    };
    let offset = params.offset.unwrap_or(0);

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

