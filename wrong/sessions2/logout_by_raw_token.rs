// wrong fix: stores and looks up the digest but logout still deletes `WHERE token_hash = <the raw token>`: nothing matches, so a logged-out token keeps working
// sessions2: keep only a hash of each session token in the database.
//
// A session token is as good as a password for as long as the session lives, and the
// `sessions` table keeps every live token in clear: a leaked backup, a read-only SQL
// injection or a too-curious colleague with `SELECT` access can sign in as anyone.
// Store a digest of the token instead, and look sessions up by the digest of the token
// presented. The client keeps the only copy of the token itself.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

type UserId = i64;

/// One-way digest of a session token: SHA-256. A token is 256 random bits, so there is
/// nothing to brute-force or precompute: one fast, unsalted pass is right, and being
/// deterministic it can be looked up. (Passwords are the opposite case: few bits of
/// entropy, hence the slow, salted Argon2 of chapter 09.)
fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// 32 bytes from the OS CSPRNG, as 64 hex characters (see sessions1).
fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

struct SessionStore {
    conn: Mutex<Connection>,
}

impl SessionStore {
    fn open() -> rusqlite::Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE sessions (
                token_hash BLOB PRIMARY KEY,
                user_id    INTEGER NOT NULL
            )",
        )?;
        Ok(SessionStore {
            conn: Mutex::new(conn),
        })
    }

    /// Starts a session (what `POST /login` does once the password checked out) and
    /// returns the token for the client.
    fn create(&self, user: UserId) -> rusqlite::Result<String> {
        let token = new_session_token();
        self.conn.lock().unwrap().execute(
            "INSERT INTO sessions (token_hash, user_id) VALUES (?1, ?2)",
            params![token_digest(&token), user],
        )?;
        Ok(token)
    }

    fn user_for(&self, token: &str) -> rusqlite::Result<Option<UserId>> {
        self.conn
            .lock()
            .unwrap()
            .query_row(
                "SELECT user_id FROM sessions WHERE token_hash = ?1",
                params![token_digest(token)],
                |row| row.get(0),
            )
            .optional()
    }

    fn delete(&self, token: &str) -> rusqlite::Result<()> {
        self.conn
            .lock()
            .unwrap()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", params![token])?;
        Ok(())
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn app(store: Arc<SessionStore>) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/logout", post(logout))
        .with_state(store)
}

async fn me(
    State(store): State<Arc<SessionStore>>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let token = bearer(&headers).ok_or(StatusCode::UNAUTHORIZED)?;
    let user = store
        .user_for(token)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::UNAUTHORIZED)?;
    Ok(Json(json!({ "user_id": user })))
}

async fn logout(State(store): State<Arc<SessionStore>>, headers: HeaderMap) -> StatusCode {
    let Some(token) = bearer(&headers) else {
        return StatusCode::UNAUTHORIZED;
    };
    match store.delete(token) {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn main() -> rusqlite::Result<()> {
    let store = SessionStore::open()?;
    let token = store.create(1)?;
    println!("client holds: {token}");
    let stored: Vec<u8> =
        store
            .conn
            .lock()
            .unwrap()
            .query_row("SELECT token_hash FROM sessions", [], |row| row.get(0))?;
    let stored = format!("{stored:02x?}");
    println!("server holds: {stored}");
    let _ = app(Arc::new(store));
    Ok(())
}
