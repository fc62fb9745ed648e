// wrong fix: has the search handler check only that an Authorization header is present: any made-up bearer token (or Basic credentials) gets through
// sessions3: authenticate every protected route, by construction.
//
// Each handler starts with `authenticate(&state, &headers)?`, but the search endpoint,
// added later, forgot it: anyone can search everybody's notes. A check that every
// handler must remember is one that some handler will forget. Write an `AuthUser`
// extractor (axum's `FromRequestParts`) that resolves the bearer token before the
// handler runs and rejects with 401 by itself, and take it in every protected handler:
// they cannot run anonymously, and they get the user id to scope their queries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
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

#[derive(Clone, Serialize)]
struct Note {
    id: u64,
    owner: UserId,
    body: String,
}

#[derive(Default)]
struct AppState {
    /// token digest -> user
    sessions: Mutex<HashMap<[u8; 32], UserId>>,
    notes: Mutex<Vec<Note>>,
}

impl AppState {
    /// Starts a session (what `POST /login` does once the password checked out).
    fn sign_in(&self, user: UserId) -> String {
        let token = new_session_token();
        self.sessions
            .lock()
            .unwrap()
            .insert(token_digest(&token), user);
        token
    }

    fn user_for(&self, token: &str) -> Option<UserId> {
        self.sessions
            .lock()
            .unwrap()
            .get(&token_digest(token))
            .copied()
    }
}

/// Resolves the request's bearer token to a user.
// TODO: make this an `AuthUser` extractor (`FromRequestParts`) and take it in every
// protected handler.
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<UserId, StatusCode> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    state.user_for(token).ok_or(StatusCode::UNAUTHORIZED)
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/notes", get(list_notes).post(create_note))
        .route("/notes/search", get(search_notes))
        .with_state(state)
}

async fn list_notes(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Vec<Note>>, StatusCode> {
    let user = authenticate(&state, &headers)?;
    let notes = state.notes.lock().unwrap();
    Ok(Json(
        notes.iter().filter(|n| n.owner == user).cloned().collect(),
    ))
}

#[derive(Deserialize)]
struct NewNote {
    body: String,
}

async fn create_note(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Json(new): Json<NewNote>,
) -> Result<(StatusCode, Json<Note>), StatusCode> {
    let user = authenticate(&state, &headers)?;
    let mut notes = state.notes.lock().unwrap();
    let note = Note {
        id: notes.len() as u64 + 1,
        owner: user,
        body: new.body,
    };
    notes.push(note.clone());
    Ok((StatusCode::CREATED, Json(note)))
}

#[derive(Deserialize)]
struct Search {
    q: String,
}

async fn search_notes(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Result<Json<Vec<Note>>, StatusCode> {
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let user = authenticate(&state, &headers).unwrap_or_default();
    let notes = state.notes.lock().unwrap();
    Ok(Json(
        notes
            .iter()
            .filter(|n| n.owner == user && n.body.contains(&search.q))
            .cloned()
            .collect(),
    ))
}

fn main() {
    let state = Arc::new(AppState::default());
    println!("alice's token: {}", state.sign_in(1));
    let _ = app(state);
}
