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
    // TODO: the client chooses `limit`; the server must bound it.
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use serde_json::Value;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use tower::ServiceExt;

    thread_local! {
        /// Heap allocations made by this thread. `oneshot` runs the handler on the test's
        /// own thread (current-thread runtime), so the handler's allocations count here.
        static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    }

    struct CountAllocations;

    fn count_one() {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }

    unsafe impl GlobalAlloc for CountAllocations {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count_one();
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            count_one();
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count_one();
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: CountAllocations = CountAllocations;

    /// `GET /products{query}`: the status, the page, and how many allocations the server
    /// made to answer it (the request, the handler and the response body).
    async fn get_page_counted(app: &Router, query: &str) -> (StatusCode, Value, usize) {
        let req = Request::get(format!("/products{query}"))
            .body(Body::empty())
            .unwrap();
        let before = ALLOCATIONS.with(Cell::get);
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let allocations = ALLOCATIONS.with(Cell::get) - before;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            allocations,
        )
    }

    async fn get_page(app: &Router, query: &str) -> (StatusCode, Value) {
        let (status, page, _) = get_page_counted(app, query).await;
        (status, page)
    }

    fn ids(page: &Value) -> Vec<i64> {
        let items = page["items"]
            .as_array()
            .expect("the page has no items array");
        items
            .iter()
            .map(|p| p["id"].as_i64().expect("every item has a numeric id"))
            .collect()
    }

    #[tokio::test]
    async fn default_page_size_is_20() {
        let (status, page) = get_page(&app(), "").await;
        assert_eq!(status, StatusCode::OK, "GET /products must succeed: {page}");
        assert_eq!(
            ids(&page),
            (1..=20).collect::<Vec<_>>(),
            "without ?limit the page holds the first 20 products"
        );
        assert_eq!(
            page["limit"], 20,
            "the response reports the page size used: 20 by default"
        );
        assert_eq!(page["total"], 1000, "`total` counts every product");
    }

    #[tokio::test]
    async fn huge_limit_is_capped_at_100() {
        // The attack: ask for the whole table in one page.
        for limit in ["101", "1000000", "9223372036854775807"] {
            let (status, page) = get_page(&app(), &format!("?limit={limit}")).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "?limit={limit} must still be served: {page}"
            );
            let got = ids(&page);
            assert_eq!(
                got,
                (1..=100).collect::<Vec<_>>(),
                "?limit={limit} must give the first 100 products: the maximum page size is \
                 100, whatever the client asks"
            );
            assert_eq!(
                page["limit"], 100,
                "?limit={limit}: report the page size actually used (100)"
            );
        }
    }

    #[tokio::test]
    async fn a_capped_page_reads_only_the_capped_rows() {
        // The cap must reach SQL: reading the whole table and cutting the list afterwards
        // still costs the server the memory and time of the whole table.
        let app = app();
        let (_, _, page_of_100) = get_page_counted(&app, "?limit=100").await;
        let (_, _, huge) = get_page_counted(&app, "?limit=1000000").await;
        assert!(
            huge < page_of_100 + 200,
            "answering ?limit=1000000 took {huge} allocations, against {page_of_100} for \
             ?limit=100: the server read far more rows than the 100 it returned; put the \
             bounded limit in the SQL `LIMIT`, not a cut after the query"
        );
    }

    #[tokio::test]
    async fn negative_limit_does_not_mean_unlimited() {
        let (status, page) = get_page(&app(), "?limit=-1").await;
        if !status.is_client_error() {
            assert_eq!(
                status,
                StatusCode::OK,
                "?limit=-1 is either refused (4xx) or served: {page}"
            );
            let got = ids(&page).len();
            assert!(
                got <= 100,
                "?limit=-1 returned {got} items; to SQLite a negative LIMIT means no limit, so \
                 the server must bound the value from below too (the maximum is 100)"
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
            assert!(
                !page_ids.is_empty(),
                "empty page at offset {offset}, though there are 1000 products"
            );
            offset += page_ids.len();
            seen.extend(page_ids);
        }
        assert_eq!(
            seen,
            (1..=1000).collect::<Vec<_>>(),
            "pages of 100 walked by offset must list every product once, in order"
        );
        let (_, last) = get_page(&app, "?limit=50&offset=990").await;
        assert_eq!(
            ids(&last),
            (991..=1000).collect::<Vec<_>>(),
            "the last page holds only the products that are left"
        );
    }
}
