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
// TODO: nothing uses this yet.
#[allow(dead_code)]
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
                token      TEXT PRIMARY KEY,
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
            "INSERT INTO sessions (token, user_id) VALUES (?1, ?2)",
            params![token, user],
        )?;
        Ok(token)
    }

    fn user_for(&self, token: &str) -> rusqlite::Result<Option<UserId>> {
        self.conn
            .lock()
            .unwrap()
            .query_row(
                "SELECT user_id FROM sessions WHERE token = ?1",
                params![token],
                |row| row.get(0),
            )
            .optional()
    }

    fn delete(&self, token: &str) -> rusqlite::Result<()> {
        self.conn
            .lock()
            .unwrap()
            .execute("DELETE FROM sessions WHERE token = ?1", params![token])?;
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
    let stored: String =
        store
            .conn
            .lock()
            .unwrap()
            .query_row("SELECT token FROM sessions", [], |row| row.get(0))?;
    println!("server holds: {stored}");
    let _ = app(Arc::new(store));
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use rusqlite::types::ValueRef;
    use tower::ServiceExt;

    async fn status(app: &Router, method: &str, uri: &str, token: &str) -> StatusCode {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        app.clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail")
            .status()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &[u8]) -> Option<Vec<u8>> {
        let pairs = text.chunks_exact(2);
        if !pairs.remainder().is_empty() {
            return None;
        }
        pairs
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
            .collect()
    }

    /// What an attacker reads in one stored value: the value as text and as hex, and the
    /// same again after undoing a hex encoding. (Any other reversible encoding is undone
    /// just as easily by someone who has the code.)
    fn readings(value: &[u8]) -> Vec<String> {
        let mut out = vec![String::from_utf8_lossy(value).into_owned(), hex(value)];
        if let Some(decoded) = unhex(value) {
            out.push(String::from_utf8_lossy(&decoded).into_owned());
            out.push(hex(&decoded));
        }
        out
    }

    /// Every value of every column of every table, as the bytes a leaked backup shows.
    fn dump_database(store: &SessionStore) -> Vec<Vec<u8>> {
        let conn = store.conn.lock().unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
            .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
            .expect("the schema is readable");
        let mut values = Vec::new();
        for table in tables {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .expect("every table is readable");
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).expect("every table is readable");
            while let Some(row) = rows.next().expect("every row is readable") {
                for i in 0..columns {
                    match row.get_ref(i).expect("every column is readable") {
                        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                            values.push(bytes.to_vec())
                        }
                        ValueRef::Integer(n) => values.push(n.to_string().into_bytes()),
                        _ => {}
                    }
                }
            }
        }
        values
    }

    #[tokio::test]
    async fn sessions_work_and_logout_ends_them() {
        let store = Arc::new(SessionStore::open().expect("SessionStore::open() failed"));
        let token = store.create(7).expect("a session can be created");
        let app = app(store.clone());
        assert_eq!(
            status(&app, "GET", "/me", &token).await,
            StatusCode::OK,
            "the token create() returned must sign its user in"
        );
        assert_eq!(
            status(&app, "POST", "/logout", &token).await,
            StatusCode::NO_CONTENT,
            "logout must succeed for a live session"
        );
        assert_eq!(
            status(&app, "GET", "/me", &token).await,
            StatusCode::UNAUTHORIZED,
            "after logout the token must be dead: the session row was not deleted"
        );
    }

    #[tokio::test]
    async fn a_dump_of_the_database_does_not_sign_anyone_in() {
        let store = Arc::new(SessionStore::open().expect("SessionStore::open() failed"));
        let alice = store.create(1).expect("a session can be created");
        let bob = store.create(2).expect("a session can be created");
        let app = app(store.clone());

        let dump = dump_database(&store);
        for value in &dump {
            for reading in readings(value) {
                for token in [&alice, &bob] {
                    assert!(
                        !reading.contains(token.as_str()),
                        "the live token {token} can be read from the database (stored as \
                         {reading:?}): store a one-way digest of it, not the token or an \
                         encoding of it"
                    );
                }
                if reading.is_empty() || reading.contains(|c: char| c.is_control()) {
                    continue;
                }
                assert_eq!(
                    status(&app, "GET", "/me", &reading).await,
                    StatusCode::UNAUTHORIZED,
                    "replaying {reading:?} from the database signed the attacker in"
                );
            }
        }
        assert_eq!(
            status(&app, "GET", "/me", &alice).await,
            StatusCode::OK,
            "alice's own token must still work"
        );
    }
}
