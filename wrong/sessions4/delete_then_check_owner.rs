// wrong fix: deletes by id and only then notices that the note was someone else's, answering 404: the answer looks right, but alice's note is already gone
// sessions4: authentication says who is asking; authorization decides what they get.
//
// `GET /notes/{id}` and `DELETE /notes/{id}` require a signed-in user, but then load
// the note by its id alone. Ids are sequential, so any user can read or delete anybody's
// notes by counting: an insecure direct object reference (IDOR), the classic broken
// access control bug. Scope each query to the caller (`... AND owner_id = ?`), and
// answer a note that belongs to someone else exactly like one that does not exist (404):
// a 403 would confirm that the id is in use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type UserId = i64;

/// One-way digest of a session token (see sessions2).
fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// 32 bytes from the OS CSPRNG, as 64 hex characters (see sessions1).
fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

struct AppState {
    db: Mutex<Connection>,
    /// token digest -> user
    sessions: Mutex<HashMap<[u8; 32], UserId>>,
}

impl AppState {
    fn new() -> rusqlite::Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE notes (
                id       INTEGER PRIMARY KEY,
                owner_id INTEGER NOT NULL,
                body     TEXT NOT NULL
            )",
        )?;
        Ok(AppState {
            db: Mutex::new(conn),
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// Starts a session (what `POST /login` does once the password checked out).
    fn sign_in(&self, user: UserId) -> String {
        let token = new_session_token();
        self.sessions
            .lock()
            .unwrap()
            .insert(token_digest(&token), user);
        token
    }
}

/// The signed-in user (see sessions3).
struct AuthUser(UserId);

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = StatusCode;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let sessions = state.sessions.lock().unwrap();
        let user = sessions.get(&token_digest(token));
        user.copied().map(AuthUser).ok_or(StatusCode::UNAUTHORIZED)
    }
}

#[derive(Serialize)]
struct Note {
    id: i64,
    body: String,
}

#[derive(Deserialize)]
struct NewNote {
    body: String,
}

fn internal(_: rusqlite::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/notes", post(create_note))
        .route("/notes/{id}", get(get_note).delete(delete_note))
        .with_state(state)
}

async fn create_note(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewNote>,
) -> Result<(StatusCode, Json<Note>), StatusCode> {
    let db = state.db.lock().unwrap();
    db.execute(
        "INSERT INTO notes (owner_id, body) VALUES (?1, ?2)",
        params![user, new.body],
    )
    .map_err(internal)?;
    let note = Note {
        id: db.last_insert_rowid(),
        body: new.body,
    };
    Ok((StatusCode::CREATED, Json(note)))
}

async fn get_note(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Note>, StatusCode> {
    let db = state.db.lock().unwrap();
    let note = db
        .query_row(
            "SELECT id, body FROM notes WHERE id = ?1 AND owner_id = ?2",
            params![id, user],
            |row| {
                Ok(Note {
                    id: row.get(0)?,
                    body: row.get(1)?,
                })
            },
        )
        .optional()
        .map_err(internal)?;
    note.map(Json).ok_or(StatusCode::NOT_FOUND)
}

async fn delete_note(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, StatusCode> {
    let db = state.db.lock().unwrap();
    let owner: Option<UserId> = db
        .query_row(
            "SELECT owner_id FROM notes WHERE id = ?1",
            params![id],
            |row| row.get(0),
        )
        .optional()
        .map_err(internal)?;
    let deleted = db
        .execute("DELETE FROM notes WHERE id = ?1", params![id])
        .map_err(internal)?;
    if deleted == 0 || owner != Some(user) {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(StatusCode::NO_CONTENT)
}

fn main() -> rusqlite::Result<()> {
    let state = Arc::new(AppState::new()?);
    println!("alice's token: {}", state.sign_in(1));
    let _ = app(state);
    Ok(())
}
