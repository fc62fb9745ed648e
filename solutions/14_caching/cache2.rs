// cache2: a cache must forget what a write changed.
//
// `GET /products/{id}` reads through an in-process cache: the first read loads the row
// from SQLite and keeps it, later reads skip the database. But `PUT` and `DELETE` change
// only the database, so the cache keeps serving the old price, and a deleted product,
// until the process restarts. Invalidate on every write: after the database has changed,
// remove that product's entry, on both paths. Leave the other entries alone; the next
// read of the changed product loads the fresh row (a time-to-live only shortens the lie).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

const SCHEMA: &str = "
    CREATE TABLE products (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        price_cents INTEGER NOT NULL,
        version     INTEGER NOT NULL DEFAULT 1
    );
";

/// A product as the database stores it; `version` counts its updates.
#[derive(Clone, Serialize)]
struct Product {
    id: i64,
    name: String,
    price_cents: i64,
    version: i64,
}

/// What a client sends to change a product.
#[derive(Deserialize)]
struct ProductChange {
    name: String,
    price_cents: i64,
}

struct AppState {
    db: Mutex<Connection>,
    cache: Mutex<HashMap<i64, Product>>,
}

type Shared = Arc<AppState>;

fn app(state: Shared) -> Router {
    Router::new()
        .route(
            "/products/{id}",
            get(get_product).put(put_product).delete(delete_product),
        )
        .with_state(state)
}

fn internal(_: rusqlite::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn get_product(
    State(state): State<Shared>,
    Path(id): Path<i64>,
) -> Result<Json<Product>, StatusCode> {
    if let Some(product) = state.cache.lock().unwrap().get(&id) {
        return Ok(Json(product.clone()));
    }
    let db = state.db.lock().unwrap();
    let product = db
        .query_row(
            "SELECT id, name, price_cents, version FROM products WHERE id = ?1",
            [id],
            |row| {
                Ok(Product {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    price_cents: row.get(2)?,
                    version: row.get(3)?,
                })
            },
        )
        .optional()
        .map_err(internal)?
        .ok_or(StatusCode::NOT_FOUND)?;
    // Filled while the database lock is held, so no write can slip in between.
    state.cache.lock().unwrap().insert(id, product.clone());
    Ok(Json(product))
}

async fn put_product(
    State(state): State<Shared>,
    Path(id): Path<i64>,
    Json(change): Json<ProductChange>,
) -> Result<StatusCode, StatusCode> {
    let db = state.db.lock().unwrap();
    let changed = db
        .execute(
            "UPDATE products SET name = ?2, price_cents = ?3, version = version + 1
             WHERE id = ?1",
            (id, &change.name, change.price_cents),
        )
        .map_err(internal)?;
    // After the write, before anyone can read: the next read loads the new row.
    state.cache.lock().unwrap().remove(&id);
    if changed == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_product(
    State(state): State<Shared>,
    Path(id): Path<i64>,
) -> Result<StatusCode, StatusCode> {
    let db = state.db.lock().unwrap();
    let deleted = db
        .execute("DELETE FROM products WHERE id = ?1", [id])
        .map_err(internal)?;
    state.cache.lock().unwrap().remove(&id);
    if deleted == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(StatusCode::NO_CONTENT)
}

fn main() -> rusqlite::Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    let _ = app(Arc::new(AppState {
        db: Mutex::new(conn),
        cache: Mutex::new(HashMap::new()),
    }));
    println!("GET, PUT and DELETE /products/{{id}}, with a read-through cache");
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, header};
    use rusqlite::ffi;
    use serde_json::{Value, json};
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
    use tower::ServiceExt;

    /// From now on, records the text of every statement `conn` starts running. (rusqlite's
    /// safe `trace_v2` needs its `trace` feature, which this course leaves off; this installs
    /// the same SQLite hook, `sqlite3_trace_v2`, through the C API.)
    fn record_statements(conn: &Connection) -> Arc<Mutex<Vec<String>>> {
        unsafe extern "C" fn hook(
            event: c_uint,
            ctx: *mut c_void,
            _stmt: *mut c_void,
            sql: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_STMT as c_uint {
                // SAFETY: for SQLITE_TRACE_STMT, `sql` is a NUL-terminated string; `ctx` is
                // the leaked `Arc` below, so it stays valid as long as the connection.
                let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) };
                let log = unsafe { &*ctx.cast::<Mutex<Vec<String>>>() };
                log.lock().unwrap().push(sql.to_string_lossy().into_owned());
            }
            0
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        // Leaked on purpose (one per test): the hook may run until the connection closes.
        let ctx = Arc::into_raw(Arc::clone(&log)).cast_mut().cast::<c_void>();
        // SAFETY: the handle is valid while `conn` lives, and `ctx` is never freed.
        unsafe {
            ffi::sqlite3_trace_v2(
                conn.handle(),
                ffi::SQLITE_TRACE_STMT as c_uint,
                Some(hook),
                ctx,
            )
        };
        log
    }

    /// The service over a fresh database of two products, and a counter of the database
    /// reads (SELECT statements) it runs.
    struct Shop {
        state: Shared,
        log: Arc<Mutex<Vec<String>>>,
    }

    impl Shop {
        fn new() -> Shop {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(SCHEMA)
                .expect("SCHEMA must still create the table");
            conn.execute_batch(
                "INSERT INTO products (id, name, price_cents) VALUES
                    (1, 'Espresso cup', 900), (2, 'Milk jug', 1500);",
            )
            .unwrap();
            let log = record_statements(&conn);
            let state = Arc::new(AppState {
                db: Mutex::new(conn),
                cache: Mutex::new(HashMap::new()),
            });
            Shop { state, log }
        }

        fn reads(&self) -> usize {
            let log = self.log.lock().unwrap();
            log.iter()
                .filter(|sql| sql.trim_start().to_ascii_uppercase().starts_with("SELECT"))
                .count()
        }

        async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
            let response = app(Arc::clone(&self.state)).oneshot(request).await.unwrap();
            let status = response.status();
            let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
            (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
        }

        async fn get(&self, id: i64) -> (StatusCode, Value) {
            let request = Request::get(format!("/products/{id}"));
            self.send(request.body(Body::empty()).unwrap()).await
        }

        async fn put(&self, id: i64, change: Value) -> StatusCode {
            let request = Request::put(format!("/products/{id}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(change.to_string()))
                .unwrap();
            self.send(request).await.0
        }

        async fn delete(&self, id: i64) -> StatusCode {
            let request = Request::delete(format!("/products/{id}"));
            self.send(request.body(Body::empty()).unwrap()).await.0
        }
    }

    #[tokio::test]
    async fn repeated_reads_come_from_the_cache() {
        let shop = Shop::new();
        for _ in 0..3 {
            let (status, product) = shop.get(1).await;
            assert_eq!(status, StatusCode::OK, "GET /products/1 must answer 200");
            assert_eq!(
                product,
                json!({ "id": 1, "name": "Espresso cup", "price_cents": 900, "version": 1 }),
                "GET /products/1 must answer the product"
            );
        }
        assert_eq!(
            shop.reads(),
            1,
            "three GETs of an unchanged product must read the database once: the cache \
             must keep serving reads (removing it is not the fix)"
        );
    }

    #[tokio::test]
    async fn an_update_is_visible_on_the_next_read() {
        let shop = Shop::new();
        shop.get(1).await;
        let status = shop
            .put(1, json!({ "name": "Espresso cup", "price_cents": 1100 }))
            .await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "PUT /products/1 must answer 204"
        );
        let (status, product) = shop.get(1).await;
        assert_eq!(status, StatusCode::OK, "GET /products/1 must answer 200");
        assert_eq!(
            product,
            json!({ "id": 1, "name": "Espresso cup", "price_cents": 1100, "version": 2 }),
            "after PUT, GET served the price from before the update: the cache still holds \
             the old row. Invalidate the product's entry when it is written (waiting for a \
             time-to-live only shortens how long the old price is served)"
        );
    }

    #[tokio::test]
    async fn a_deleted_product_is_gone() {
        let shop = Shop::new();
        shop.get(2).await;
        assert_eq!(
            shop.delete(2).await,
            StatusCode::NO_CONTENT,
            "DELETE /products/2 must answer 204"
        );
        let (status, product) = shop.get(2).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "after DELETE, GET still served the deleted product ({product}) from the cache: \
             a delete is a write too, and must invalidate the entry"
        );
    }

    #[tokio::test]
    async fn a_write_evicts_only_its_own_product() {
        let shop = Shop::new();
        shop.get(1).await;
        shop.get(2).await;
        shop.put(1, json!({ "name": "Espresso cup", "price_cents": 1200 }))
            .await;
        shop.delete(1).await;
        let before = shop.reads();
        let (status, _) = shop.get(2).await;
        assert_eq!(status, StatusCode::OK, "GET /products/2 must answer 200");
        assert_eq!(
            shop.reads(),
            before,
            "writing product 1 made the next read of product 2 go to the database: \
             invalidate only the entry that was written, or every write empties the cache \
             and sends the whole read load to the database"
        );
    }

    #[tokio::test]
    async fn the_fresh_row_is_cached_again() {
        let shop = Shop::new();
        shop.get(1).await;
        shop.put(
            1,
            json!({ "name": "Espresso cup, white", "price_cents": 950 }),
        )
        .await;
        let (_, first) = shop.get(1).await;
        let before = shop.reads();
        let (_, second) = shop.get(1).await;
        assert_eq!(
            shop.reads(),
            before,
            "after an update, the product must be cached again once it has been read: \
             the cache must keep working after writes"
        );
        assert_eq!(
            second, first,
            "the cached product must be the row the database stores"
        );
        assert_eq!(
            second["version"], 2,
            "the cache must hold what the database stored (version 2), not a guess"
        );
    }
}
