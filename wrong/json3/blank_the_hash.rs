// wrong fix: blanks the hash before answering: the key `password_hash` is still in the response, and the row type still serializes every column
// json3: the database row is not the API response.
//
// `UserRow` mirrors the `users` table, password hash included, and the handlers serialize
// it straight to JSON: every signup and profile read hands the Argon2 hash to whoever
// asks, ready for offline cracking (OWASP A02:2021 Cryptographic Failures). Give the API
// its own public type with only the fields clients may see, convert rows into it, and
// stop `UserRow` from being serializable at all, so it cannot leak again by accident.

// API contract:
//   POST /users {"email": "...", "name": "...", "password": "..."} -> 201 {"id", "email", "name"}
//   GET  /users/{id}                                             -> 200 {"id", "email", "name"}

use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

type Db = Arc<Mutex<Connection>>;

/// One row of the `users` table, as the repository returns it.
// TODO: rows must not be serializable; answer clients with a public type instead.
#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    #[allow(dead_code)] // read by the login code, which is not part of this file
    password_hash: String,
}

#[derive(Deserialize)]
struct Signup {
    email: String,
    name: String,
    password: String,
}

fn find_user(conn: &Connection, id: i64) -> rusqlite::Result<Option<UserRow>> {
    conn.query_row(
        "SELECT id, email, name, password_hash FROM users WHERE id = ?1",
        [id],
        |r| {
            Ok(UserRow {
                id: r.get(0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                password_hash: r.get(3)?,
            })
        },
    )
    .optional()
}

async fn signup(
    State(db): State<Db>,
    Json(req): Json<Signup>,
) -> Result<(StatusCode, Json<UserRow>), StatusCode> {
    // Argon2 is deliberately slow: run it off the async worker.
    let password_hash = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(req.password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;

    let conn = db.lock().unwrap();
    conn.execute(
        "INSERT INTO users (email, name, password_hash) VALUES (?1, ?2, ?3)",
        params![req.email, req.name, password_hash],
    )
    .map_err(|_| StatusCode::CONFLICT)?;
    let row = find_user(&conn, conn.last_insert_rowid())
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
    let mut row = row;
    row.password_hash = String::new();
    Ok((StatusCode::CREATED, Json(row)))
}

async fn get_user(State(db): State<Db>, Path(id): Path<i64>) -> Result<Json<UserRow>, StatusCode> {
    let conn = db.lock().unwrap();
    let row = find_user(&conn, id)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::NOT_FOUND)?;
    let mut row = row;
    row.password_hash = String::new();
    Ok(Json(row))
}

fn app(db: Db) -> Router {
    Router::new()
        .route("/users", post(signup))
        .route("/users/{id}", get(get_user))
        .with_state(db)
}

fn open_db() -> Db {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE users (
            id            INTEGER PRIMARY KEY,
            email         TEXT NOT NULL UNIQUE,
            name          TEXT NOT NULL,
            password_hash TEXT NOT NULL
        );",
    )
    .unwrap();
    Arc::new(Mutex::new(conn))
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app(open_db());
}

