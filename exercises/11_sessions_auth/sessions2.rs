// sessions2: keep only a hash of each session token in the database.
//
// A session token is as good as a password for as long as the session lives, and the
// `sessions` table keeps every live token in clear: a leaked backup, a read-only SQL
// injection or a too-curious colleague with `SELECT` access can sign in as anyone.
// Store a digest of the token instead, and look sessions up by the digest of the token
// presented. The client keeps the only copy of the token itself.

use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

type UserId = i64;

/// One-way digest of a session token. Tokens are 256 random bits, so unlike passwords
/// there is nothing to brute-force and one cheap pass is enough (SHA-256 or BLAKE2
/// would be the usual choice; this course only ships Argon2, at its lowest cost here).
/// The fixed salt keeps it deterministic, so it can be looked up.
// TODO: nothing uses this yet.
#[allow(dead_code)]
fn token_digest(token: &str) -> [u8; 32] {
    let params = Params::new(Params::MIN_M_COST, 1, 1, Some(32)).expect("valid parameters");
    let mut digest = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(token.as_bytes(), b"session-token-v1", &mut digest)
        .expect("valid salt and output length");
    digest
}

/// 32 bytes from the OS generator, as 64 hex characters (see sessions1).
fn new_session_token() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(&argon2::password_hash::generate_salt());
    bytes.extend_from_slice(&argon2::password_hash::generate_salt());
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
        app.clone().oneshot(req).await.unwrap().status()
    }

    /// Every value of every column of `sessions`, as text an attacker could replay.
    fn dump_sessions_table(store: &SessionStore) -> Vec<String> {
        let conn = store.conn.lock().unwrap();
        let mut stmt = conn.prepare("SELECT * FROM sessions").unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        let mut values = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                match row.get_ref(i).unwrap() {
                    ValueRef::Text(text) => values.push(String::from_utf8_lossy(text).into()),
                    ValueRef::Blob(blob) => {
                        if blob.iter().all(u8::is_ascii_graphic) {
                            values.push(String::from_utf8_lossy(blob).into());
                        }
                        values.push(blob.iter().map(|b| format!("{b:02x}")).collect());
                    }
                    ValueRef::Integer(n) => values.push(n.to_string()),
                    _ => {}
                }
            }
        }
        values
    }

    #[tokio::test]
    async fn sessions_work_and_logout_ends_them() {
        let store = Arc::new(SessionStore::open().unwrap());
        let token = store.create(7).unwrap();
        let app = app(store.clone());
        assert_eq!(status(&app, "GET", "/me", &token).await, StatusCode::OK);
        assert_eq!(
            status(&app, "POST", "/logout", &token).await,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            status(&app, "GET", "/me", &token).await,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn a_dump_of_the_sessions_table_does_not_sign_anyone_in() {
        let store = Arc::new(SessionStore::open().unwrap());
        let alice = store.create(1).unwrap();
        let bob = store.create(2).unwrap();
        let app = app(store.clone());

        let dump = dump_sessions_table(&store);
        for token in [&alice, &bob] {
            assert!(
                !dump.iter().any(|value| value.contains(token.as_str())),
                "the live token {token} is readable in the sessions table: {dump:?}"
            );
        }
        for stolen in &dump {
            assert_eq!(
                status(&app, "GET", "/me", stolen).await,
                StatusCode::UNAUTHORIZED,
                "replaying {stolen:?} from the sessions table signed the attacker in"
            );
        }
        assert_eq!(status(&app, "GET", "/me", &alice).await, StatusCode::OK);
    }
}
