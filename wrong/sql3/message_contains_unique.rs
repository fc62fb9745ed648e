// wrong fix: matches the error text for "UNIQUE" instead of the extended result code; messages change between SQLite versions and other errors can mention the word
// sql3: a UNIQUE violation is the client's problem: answer 409 Conflict, not 500.
//
// Signing up twice with the same e-mail hits the `UNIQUE` constraint. Checking with a
// SELECT first would race with a concurrent sign-up; the constraint is the real guard,
// so the handler must recognise its error by SQLite's extended result code
// (`rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE`). Today every database error becomes a 500.
// Make `status_for` map that one to 409 and leave the rest at 500.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::json;

type Db = Arc<Mutex<Connection>>;

const SCHEMA: &str = "
    CREATE TABLE users (
        id    INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name  TEXT NOT NULL
    );
";

#[derive(Deserialize)]
struct SignUp {
    email: String,
    name: String,
}

/// The HTTP status for a failed INSERT, and the message shown to the client.
fn status_for(err: &rusqlite::Error) -> (StatusCode, &'static str) {
    if err.to_string().contains("UNIQUE") {
        return (StatusCode::CONFLICT, "email already registered");
    }
    match err {

        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// `POST /users` with `{"email": .., "name": ..}` -> 201 `{"id": ..}`.
async fn sign_up(State(db): State<Db>, Json(form): Json<SignUp>) -> Response {
    let conn = db.lock().unwrap();
    let inserted = conn.execute(
        "INSERT INTO users (email, name) VALUES (?1, ?2)",
        (&form.email, &form.name),
    );
    match inserted {
        Ok(_) => {
            let id = conn.last_insert_rowid();
            (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
        }
        Err(err) => {
            let (status, message) = status_for(&err);
            if status.is_server_error() {
                eprintln!("sign-up failed: {err}");
            }
            (status, Json(json!({ "error": message }))).into_response()
        }
    }
}

/// The API on `conn` (in-memory for the tests, a file in production).
fn app(conn: Connection) -> rusqlite::Result<Router> {
    conn.execute_batch(SCHEMA)?;
    let db: Db = Arc::new(Mutex::new(conn));
    Ok(Router::new().route("/users", post(sign_up)).with_state(db))
}

fn main() -> rusqlite::Result<()> {
    let _app = app(Connection::open_in_memory()?)?;
    println!("router built: POST /users");
    Ok(())
}

