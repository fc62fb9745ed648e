// capstone1: a notes API, end to end, with three security bugs to find.
//
// Users register and log in, then create, list, read and delete their own notes, all in
// SQLite. Three bugs from the earlier chapters are planted in different layers: a SQL
// query, a handler's authorization, and what a route requires. The tests run the service
// on a real socket and attack it the way an outsider would; everything else (hashing,
// tokens, user enumeration) is correct.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

type UserId = i64;

// ---------------------------------------------------------------------------
// Credentials and sessions
// ---------------------------------------------------------------------------

/// 32 bytes from the OS CSPRNG, as 64 hex characters.
fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One-way digest (SHA-256) of a session token: what the `sessions` table stores.
fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

// ---------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------

struct Db {
    conn: Mutex<Connection>,
}

#[derive(Serialize)]
struct Note {
    id: i64,
    body: String,
}

impl Db {
    fn open() -> rusqlite::Result<Db> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE users (
                id            INTEGER PRIMARY KEY,
                username      TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL
            );
            CREATE TABLE sessions (
                token_hash BLOB PRIMARY KEY,
                user_id    INTEGER NOT NULL REFERENCES users(id)
            );
            CREATE TABLE notes (
                id       INTEGER PRIMARY KEY,
                owner_id INTEGER NOT NULL REFERENCES users(id),
                body     TEXT NOT NULL
            );",
        )?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    /// `None` when the username is taken.
    fn insert_user(&self, username: &str, phc: &str) -> rusqlite::Result<Option<UserId>> {
        let conn = self.conn.lock().unwrap();
        let inserted = conn.execute(
            "INSERT INTO users (username, password_hash) VALUES (?1, ?2)
             ON CONFLICT (username) DO NOTHING",
            params![username, phc],
        )?;
        Ok((inserted == 1).then(|| conn.last_insert_rowid()))
    }

    /// The id and PHC string of the account called `username`.
    fn find_credentials(&self, username: &str) -> rusqlite::Result<Option<(UserId, String)>> {
        self.conn
            .lock()
            .unwrap()
            .query_row(
                "SELECT id, password_hash FROM users WHERE username = ?1",
                params![username],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
    }

    fn insert_session(&self, token: &str, user: UserId) -> rusqlite::Result<()> {
        self.conn.lock().unwrap().execute(
            "INSERT INTO sessions (token_hash, user_id) VALUES (?1, ?2)",
            params![token_digest(token), user],
        )?;
        Ok(())
    }

    fn session_user(&self, token: &str) -> rusqlite::Result<Option<UserId>> {
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

    fn insert_note(&self, owner: UserId, body: &str) -> rusqlite::Result<Note> {
        let conn = self.conn.lock().unwrap();
        conn.execute(
            "INSERT INTO notes (owner_id, body) VALUES (?1, ?2)",
            params![owner, body],
        )?;
        Ok(Note {
            id: conn.last_insert_rowid(),
            body: body.to_string(),
        })
    }

    fn notes_of(&self, owner: UserId) -> rusqlite::Result<Vec<Note>> {
        let conn = self.conn.lock().unwrap();
        let mut stmt =
            conn.prepare("SELECT id, body FROM notes WHERE owner_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map(params![owner], |row| {
            Ok(Note {
                id: row.get(0)?,
                body: row.get(1)?,
            })
        })?;
        rows.collect()
    }

    fn note(&self, owner: UserId, id: i64) -> rusqlite::Result<Option<Note>> {
        self.conn
            .lock()
            .unwrap()
            .query_row(
                "SELECT id, body FROM notes WHERE id = ?1 AND owner_id = ?2",
                params![id, owner],
                |row| {
                    Ok(Note {
                        id: row.get(0)?,
                        body: row.get(1)?,
                    })
                },
            )
            .optional()
    }

    /// False when there was no such note of `owner`'s.
    fn delete_note(&self, owner: UserId, id: i64) -> rusqlite::Result<bool> {
        let deleted = self.conn.lock().unwrap().execute(
            "DELETE FROM notes WHERE id = ?1 AND owner_id = ?2",
            params![id, owner],
        )?;
        Ok(deleted == 1)
    }
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

struct AppState {
    db: Db,
    /// Hashes new passwords (production: `Argon2::default()`).
    argon2: Argon2<'static>,
    /// Verified against for unknown usernames, so every failed login costs the same.
    dummy_hash: String,
}

impl AppState {
    fn new(argon2: Argon2<'static>) -> rusqlite::Result<Arc<AppState>> {
        let dummy_hash = argon2
            .hash_password(&argon2::password_hash::generate_salt())
            .expect("hashing cannot fail with valid parameters")
            .to_string();
        Ok(Arc::new(AppState {
            db: Db::open()?,
            argon2,
            dummy_hash,
        }))
    }
}

enum ApiError {
    Unauthorized,
    NotFound,
    Conflict,
    Internal,
}

impl From<rusqlite::Error> for ApiError {
    fn from(_: rusqlite::Error) -> Self {
        ApiError::Internal
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "not signed in"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not found"),
            ApiError::Conflict => (StatusCode::CONFLICT, "username taken"),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// The signed-in user, from `Authorization: Bearer <token>`.
struct AuthUser(UserId);

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let user = state.db.session_user(token)?;
        user.map(AuthUser).ok_or(ApiError::Unauthorized)
    }
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/notes", get(list_notes).post(create_note))
        .route("/notes/{id}", get(read_note).delete(delete_note))
        .with_state(state)
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn register(
    State(state): State<Arc<AppState>>,
    Json(new): Json<Credentials>,
) -> Result<impl IntoResponse, ApiError> {
    let hashing_state = state.clone();
    let phc = tokio::task::spawn_blocking(move || {
        hashing_state
            .argon2
            .hash_password(new.password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(|_| ApiError::Internal)?;
    let id = state
        .db
        .insert_user(&new.username, &phc)?
        .ok_or(ApiError::Conflict)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn login(
    State(state): State<Arc<AppState>>,
    Json(login): Json<Credentials>,
) -> Result<Response, ApiError> {
    let account = state.db.find_credentials(&login.username)?;
    let (user, phc) = match account {
        Some((user, phc)) => (Some(user), phc),
        None => (None, state.dummy_hash.clone()),
    };
    let verified = tokio::task::spawn_blocking(move || verify_password(&login.password, &phc))
        .await
        .map_err(|_| ApiError::Internal)?;
    let Some(user) = user.filter(|_| verified) else {
        let body = json!({ "error": "invalid username or password" });
        return Ok((StatusCode::UNAUTHORIZED, Json(body)).into_response());
    };
    let token = new_session_token();
    state.db.insert_session(&token, user)?;
    Ok(Json(json!({ "token": token })).into_response())
}

#[derive(Deserialize)]
struct NewNote {
    body: String,
}

async fn create_note(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewNote>,
) -> Result<impl IntoResponse, ApiError> {
    let note = state.db.insert_note(user, &new.body)?;
    Ok((StatusCode::CREATED, Json(note)))
}

async fn list_notes(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Note>>, ApiError> {
    Ok(Json(state.db.notes_of(user)?))
}

async fn read_note(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Note>, ApiError> {
    let note = state.db.note(user, id)?;
    note.map(Json).ok_or(ApiError::NotFound)
}

async fn delete_note(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if !state.db.delete_note(user, id)? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

fn main() -> rusqlite::Result<()> {
    let state = AppState::new(Argon2::default())?;
    let _ = app(state);
    println!("routes: POST /register, POST /login, GET|POST /notes, GET|DELETE /notes/{{id}}");
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use argon2::Params;
    use argon2::password_hash::PasswordHasher;
    use serde_json::Value;
    use std::net::SocketAddr;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::timeout;

    /// Cheap Argon2 parameters keep the tests fast; production uses `Argon2::default()`.
    fn fast_argon2() -> Argon2<'static> {
        Argon2::from(Params::new(64, 1, 1, None).unwrap())
    }

    /// Serves the app on a fresh loopback port for the rest of the test.
    async fn start() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = app(AppState::new(fast_argon2()).expect("AppState::new() failed"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// One HTTP/1.1 request on its own connection. Returns the status and the JSON body
    /// (`Null` when there is none).
    async fn http(
        addr: SocketAddr,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let exchange = async {
            let body = body.map(|b| b.to_string()).unwrap_or_default();
            let mut request = format!(
                "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
                 Content-Length: {}\r\n",
                body.len()
            );
            if !body.is_empty() {
                request.push_str("Content-Type: application/json\r\n");
            }
            if let Some(token) = token {
                request.push_str(&format!("Authorization: Bearer {token}\r\n"));
            }
            request.push_str("\r\n");
            request.push_str(&body);

            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await.unwrap();
            raw
        };
        let raw = timeout(Duration::from_secs(10), exchange)
            .await
            .expect("no complete HTTP response within 10 s");
        parse_response(&raw)
    }

    fn parse_response(raw: &[u8]) -> (u16, Value) {
        let text = String::from_utf8_lossy(raw);
        let (head, payload) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("malformed response: {text:?}"));
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("malformed status line: {head:?}"));
        let chunked = lines.any(|line| {
            line.to_ascii_lowercase()
                .starts_with("transfer-encoding: chunked")
        });
        let payload = if chunked {
            dechunk(payload)
        } else {
            payload.to_string()
        };
        (
            status,
            serde_json::from_str(&payload).unwrap_or(Value::Null),
        )
    }

    fn dechunk(mut rest: &str) -> String {
        let mut out = String::new();
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = after[size..].trim_start_matches("\r\n");
        }
        out
    }

    async fn register(addr: SocketAddr, username: &str, password: &str) -> u16 {
        let body = json!({ "username": username, "password": password });
        http(addr, "POST", "/register", None, Some(body)).await.0
    }

    async fn login(addr: SocketAddr, username: &str, password: &str) -> (u16, Option<String>) {
        let body = json!({ "username": username, "password": password });
        let (status, body) = http(addr, "POST", "/login", None, Some(body)).await;
        (status, body["token"].as_str().map(str::to_string))
    }

    async fn signed_in(addr: SocketAddr, username: &str) -> String {
        assert_eq!(
            register(addr, username, "long passphrase").await,
            201,
            "{username} could not register"
        );
        let (status, token) = login(addr, username, "long passphrase").await;
        assert_eq!(
            status, 200,
            "{username} could not log in with the right password"
        );
        token.expect("a successful login returns {\"token\"}")
    }

    async fn new_note(addr: SocketAddr, token: &str, body: &str) -> i64 {
        let (status, note) = http(
            addr,
            "POST",
            "/notes",
            Some(token),
            Some(json!({ "body": body })),
        )
        .await;
        assert_eq!(
            status, 201,
            "a signed-in user could not create a note: {note}"
        );
        note["id"]
            .as_i64()
            .expect("a created note is returned with its \"id\"")
    }

    #[tokio::test]
    async fn the_whole_flow_works() {
        let addr = start().await;
        let alice = signed_in(addr, "alice").await;
        assert_eq!(
            register(addr, "alice", "another").await,
            409,
            "a taken username must be refused with 409"
        );
        assert_eq!(
            login(addr, "alice", "wrong").await.0,
            401,
            "a wrong password must be refused with 401"
        );

        let first = new_note(addr, &alice, "buy milk").await;
        let second = new_note(addr, &alice, "call mum").await;
        let (status, notes) = http(addr, "GET", "/notes", Some(&alice), None).await;
        assert_eq!(status, 200, "alice could not list her notes: {notes}");
        assert_eq!(
            notes.as_array().map(Vec::len),
            Some(2),
            "alice wrote two notes and lists {notes}"
        );

        let (status, note) =
            http(addr, "GET", &format!("/notes/{second}"), Some(&alice), None).await;
        assert_eq!(
            (status, note["body"].as_str()),
            (200, Some("call mum")),
            "alice must read her own note"
        );
        let path = format!("/notes/{first}");
        assert_eq!(
            http(addr, "DELETE", &path, Some(&alice), None).await.0,
            204,
            "alice must be able to delete her own note"
        );
        assert_eq!(
            http(addr, "GET", &path, Some(&alice), None).await.0,
            404,
            "a deleted note must be gone"
        );
        let (_, notes) = http(addr, "GET", "/notes", Some(&alice), None).await;
        assert_eq!(
            notes.as_array().map(Vec::len),
            Some(1),
            "one of two notes deleted, yet alice lists {notes}"
        );
    }

    #[tokio::test]
    async fn usernames_are_data_whatever_their_characters() {
        let addr = start().await;
        // A real name with an apostrophe must work: refusing quotes is no fix.
        assert_eq!(
            register(addr, "d'artagnan", "long passphrase").await,
            201,
            "d'artagnan could not register"
        );
        let (status, token) = login(addr, "d'artagnan", "long passphrase").await;
        assert_eq!(
            status, 200,
            "d'artagnan typed the right password and got {status}: a quote in a username \
             must just work, which it does when the username is a bound parameter"
        );
        let token = token.expect("a successful login returns {\"token\"}");
        let (status, _) = http(addr, "GET", "/notes", Some(&token), None).await;
        assert_eq!(
            status, 200,
            "d'artagnan signed in but cannot list his notes"
        );
        // Characters that string-built SQL does not survive: the answer must stay 401.
        for username in ["o'brien", "alice\u{0}", "\\'", "x'); DROP TABLE users; --"] {
            let (status, _) = login(addr, username, "long passphrase").await;
            assert_eq!(
                status, 401,
                "the unknown username {username:?} got {status}, expected 401: the username \
                 is pasted into the SQL text; bind it as a parameter"
            );
        }
        assert_eq!(
            login(addr, "d'artagnan", "long passphrase").await.0,
            200,
            "d'artagnan can no longer log in: the users table was damaged"
        );
    }

    #[tokio::test]
    async fn sql_injection_in_the_login_does_not_sign_anyone_in() {
        let addr = start().await;
        let alice = signed_in(addr, "alice").await;
        new_note(addr, &alice, "alice's secret").await;

        // Mallory makes a hash of a password she knows and has the query return it
        // as alice's: `' UNION SELECT ...` appends a row of her choosing.
        let her_hash = fast_argon2().hash_password(b"pwned").unwrap().to_string();
        let username =
            format!("x' UNION SELECT id, '{her_hash}' FROM users WHERE username = 'alice' --");
        let (status, token) = login(addr, &username, "pwned").await;
        if let Some(token) = &token {
            let (_, notes) = http(addr, "GET", "/notes", Some(token), None).await;
            panic!("SQL injection in /login signed mallory in as alice; she reads {notes}");
        }
        assert_eq!(
            status, 401,
            "an injected username must be refused like any unknown user"
        );
    }

    #[tokio::test]
    async fn a_blind_injection_in_the_login_reads_nothing() {
        let addr = start().await;
        let alice = signed_in(addr, "alice").await;
        new_note(addr, &alice, "vault code 4711").await;
        signed_in(addr, "mallory").await;

        // Mallory logs in as herself with a condition appended to her name: no UNION,
        // no comment. If the condition is pasted into the query, the login succeeds
        // exactly when it is true: one yes/no answer per request is enough to read
        // anything in the database.
        let oracle = |condition: String| async move {
            let username = format!("mallory' AND ({condition}) AND 'x'='x");
            login(addr, &username, "long passphrase").await.0 == 200
        };
        if !oracle("1=1".to_string()).await {
            return;
        }
        let mut leaked = String::new();
        for position in 1..=10 {
            let mut found = None;
            for c in "abcdefghijklmnopqrstuvwxyz0123456789 ".chars() {
                let probe = format!(
                    "substr((SELECT body FROM notes ORDER BY id LIMIT 1), {position}, 1) = '{c}'"
                );
                if oracle(probe).await {
                    found = Some(c);
                    break;
                }
            }
            match found {
                Some(c) => leaked.push(c),
                None => break,
            }
        }
        panic!(
            "blind SQL injection in /login: `mallory' AND (<condition>) AND 'x'='x` logs \
             mallory in exactly when the condition holds, and {leaked:?} of alice's note \
             leaked one character at a time. Blocking words like UNION or -- does not help; \
             bind the username as a parameter"
        );
    }

    #[tokio::test]
    async fn nobody_reads_another_users_note() {
        let addr = start().await;
        let alice = signed_in(addr, "alice").await;
        let bob = signed_in(addr, "bob").await;
        let note = new_note(addr, &alice, "alice's secret").await;

        let (status, body) = http(addr, "GET", &format!("/notes/{note}"), Some(&bob), None).await;
        assert_eq!(
            status, 404,
            "bob asked for alice's note and got {status} {body}, expected 404 as for a missing note"
        );
        let missing = http(addr, "GET", "/notes/999", Some(&bob), None).await;
        assert_eq!(
            (status, body),
            missing,
            "alice's note and a missing one must get the same answer, or bob learns which ids exist"
        );
    }

    #[tokio::test]
    async fn every_notes_route_requires_a_session() {
        let addr = start().await;
        let alice = signed_in(addr, "alice").await;
        let bob = signed_in(addr, "bob").await;
        let note = new_note(addr, &alice, "alice's secret").await;
        let path = format!("/notes/{note}");

        for (method, uri) in [
            ("GET", "/notes"),
            ("POST", "/notes"),
            ("GET", path.as_str()),
            ("DELETE", path.as_str()),
        ] {
            let body = (method == "POST").then(|| json!({ "body": "spam" }));
            let (status, answer) = http(addr, method, uri, None, body).await;
            assert_eq!(
                status, 401,
                "anonymous {method} {uri} answered {status} {answer}: without a session it \
                 must be 401"
            );
        }
        let theirs = http(addr, "DELETE", &path, Some(&bob), None).await;
        assert_eq!(
            theirs.0, 404,
            "bob's DELETE of alice's note answered {theirs:?}, expected 404"
        );
        let missing = http(addr, "DELETE", "/notes/999", Some(&bob), None).await;
        assert_eq!(
            theirs, missing,
            "deleting alice's note and a missing one must get the same answer"
        );
        let (status, _) = http(addr, "GET", &path, Some(&alice), None).await;
        assert_eq!(status, 200, "alice's note is gone: bob deleted it");
    }
}
