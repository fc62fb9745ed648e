// wrong fix: keeps the `format!`-built SQL and refuses usernames containing UNION or --: a blocklist of attack words, while a blind boolean injection (`mallory' AND (<condition>) AND 'x'='x`) needs neither and still reads the database
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
        let upper = username.to_uppercase();
        if upper.contains("UNION") || upper.contains("--") {
            return Ok(None);
        }
        let sql = format!("SELECT id, password_hash FROM users WHERE username = '{username}'");
        self.conn
            .lock()
            .unwrap()
            .query_row(&sql, [], |row| Ok((row.get(0)?, row.get(1)?)))
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
