// wrong fix: invalidates the entry when a product is updated but not when it is deleted: GET keeps serving the deleted product from the cache
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

