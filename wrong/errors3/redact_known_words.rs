// wrong fix: sends the error text with a blocklist of revealing words redacted; the next error uses other words (no such column: quantity) and leaks them
// errors3: log the details, answer a generic message and an error id.
//
// When the database fails, `AppError` sends the database's own message to the client:
// table and column names, SQL, sometimes file paths, a free map of your internals (OWASP
// A05:2021 Security Misconfiguration). Keep the details in the server log under a fresh,
// hard-to-guess error id, and answer 500 with a generic message carrying the same id, so
// support can find the log line when a user reports the problem. 404s stay as they are.

// API contract:
//   GET /orders/{id} -> 200 {"id", "item", "quantity"}
//                    -> 404 {"error": "not_found"}
//                    -> 500 {"error": "internal_error", "error_id": "<id>"}, the id at
//                       least 16 characters long, fresh and random for every error
//                       (from the OS's CSPRNG, e.g. `getrandom`), and one server log
//                       line containing that id and the underlying error

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};


use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;

type Db = Arc<Mutex<Connection>>;

/// The server log. It stands in for your real log pipeline (`tracing`, journald, a log
/// collector): what is written here is seen by operators, never by clients.
static SERVER_LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn log_error(line: String) {
    eprintln!("{line}");
    SERVER_LOG.lock().unwrap().push(line);
}

#[derive(Serialize)]
struct Order {
    id: i64,
    item: String,
    quantity: i64,
}

enum AppError {
    NotFound,
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Db(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => {
                (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response()
            }
            AppError::Db(e) => {
                let error_id = format!("{:032x}", std::collections::hash_map::RandomState::new().hash_one(1u8));
                log_error(format!("error_id={error_id} database error: {e}"));
                // Strip the revealing parts and keep the rest for the client.
                let mut detail = e.to_string();
                for word in ["no such table", "orders", "SELECT", "sqlite", "rusqlite"] {
                    detail = detail.replace(word, "***");
                }
                let body = json!({"error": "internal_error", "error_id": error_id, "detail": detail});
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
        }
    }
}

async fn get_order(State(db): State<Db>, Path(id): Path<i64>) -> Result<Json<Order>, AppError> {
    let conn = db.lock().unwrap();
    let order = conn
        .query_row(
            "SELECT id, item, quantity FROM orders WHERE id = ?1",
            [id],
            |r| {
                Ok(Order {
                    id: r.get(0)?,
                    item: r.get(1)?,
                    quantity: r.get(2)?,
                })
            },
        )
        .optional()?;
    order.map(Json).ok_or(AppError::NotFound)
}

fn open_db() -> Db {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, quantity INTEGER NOT NULL);
         INSERT INTO orders (id, item, quantity) VALUES (1, 'keyboard', 2);",
    )
    .unwrap();
    Arc::new(Mutex::new(conn))
}

fn app(db: Db) -> Router {
    Router::new()
        .route("/orders/{id}", get(get_order))
        .with_state(db)
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app(open_db());
}

