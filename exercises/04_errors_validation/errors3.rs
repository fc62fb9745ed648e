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
                log_error(format!("database error: {e}"));
                // TODO: the client must not see `e`; give it a generic message and an error id.
                let body = json!({"error": format!("database error: {e}")});
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn get_order(app: Router, id: i64) -> (StatusCode, String) {
        let req = Request::get(format!("/orders/{id}"))
            .body(Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn orders_and_missing_orders_are_answered() {
        let db = open_db();
        let (status, body) = get_order(app(db.clone()), 1).await;
        assert_eq!(status, StatusCode::OK, "order 1 exists; body: {body}");
        let order: Value = serde_json::from_str(&body).expect("the order is JSON");
        assert_eq!(
            order,
            json!({"id": 1, "item": "keyboard", "quantity": 2}),
            "order 1 as JSON"
        );

        let (status, body) = get_order(app(db), 2).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "there is no order 2; body: {body}"
        );
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("the 404 body is JSON")["error"],
            "not_found",
            "404s stay as they are; body: {body}"
        );
    }

    /// Breaks the database with `sql`, requests order 1, and checks the 500 reveals none
    /// of `secrets`. Returns the error id of the response.
    async fn error_id_after(sql: &str, secrets: &[&str]) -> String {
        let db = open_db();
        db.lock().unwrap().execute_batch(sql).unwrap();
        let (status, body) = get_order(app(db), 1).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "after `{sql}` the query fails: a 500; body: {body}"
        );
        for secret in secrets {
            assert!(
                !body.to_lowercase().contains(&secret.to_lowercase()),
                "the response leaks {secret:?}: {body}"
            );
        }
        let json: Value = serde_json::from_str(&body).expect("the 500 body must be JSON");
        json["error_id"]
            .as_str()
            .unwrap_or_else(|| panic!("the 500 body needs an `error_id` string: {body}"))
            .to_string()
    }

    #[tokio::test]
    async fn other_failures_do_not_leak_either() {
        // Another botched migration: a renamed column. Nothing of its message may leak,
        // whichever words it happens to use.
        error_id_after(
            "ALTER TABLE orders RENAME COLUMN quantity TO qty;",
            &[
                "no such column",
                "column",
                "quantity",
                "qty",
                "orders",
                "SELECT",
            ],
        )
        .await;
    }

    #[tokio::test]
    async fn error_ids_are_fresh_and_unguessable() {
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(error_id_after("DROP TABLE orders;", &["no such table"]).await);
        }
        for (i, a) in ids.iter().enumerate() {
            assert!(
                a.len() >= 16,
                "error id {a:?} is too short to be unguessable: 16 characters at least"
            );
            for b in &ids[i + 1..] {
                let same = a.chars().zip(b.chars()).filter(|(x, y)| x == y).count();
                assert!(
                    same * 4 <= a.len().min(b.len()) * 3,
                    "error ids {a:?} and {b:?} are alike in {same} places: ids from a counter \
                     or a clock can be guessed from each other; use random bytes from the OS"
                );
            }
        }
    }

    #[tokio::test]
    async fn database_failures_do_not_leak_internals() {
        // A botched migration renamed the table: every query now fails.
        let db = open_db();
        db.lock()
            .unwrap()
            .execute_batch("ALTER TABLE orders RENAME TO orders_v1_backup;")
            .unwrap();

        // The attack: provoke an error and read what the server reveals.
        let (status, body) = get_order(app(db), 1).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "body: {body}");
        for secret in ["no such table", "orders", "SELECT", "sqlite", "rusqlite"] {
            assert!(
                !body.to_lowercase().contains(&secret.to_lowercase()),
                "the response leaks {secret:?}: {body}"
            );
        }
        let json: Value = serde_json::from_str(&body).expect("the 500 body must be JSON");
        assert_eq!(json["error"], "internal_error", "body: {body}");
        let error_id = json["error_id"]
            .as_str()
            .filter(|id| id.len() >= 16)
            .unwrap_or_else(|| {
                panic!("the 500 body needs an `error_id` string of at least 16 characters: {body}")
            });

        // Operators can still find out what happened, from the id the user reports.
        let log = SERVER_LOG.lock().unwrap();
        let line = log
            .iter()
            .find(|line| line.contains(error_id))
            .unwrap_or_else(|| panic!("no server log line mentions error id {error_id}"));
        assert!(
            line.contains("no such table: orders"),
            "the log line must keep the real error: {line}"
        );
    }
}
