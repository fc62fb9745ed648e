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

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
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

/// The signed-in user. Taking it as a handler argument makes the route protected.
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
        state
            .user_for(token)
            .map(AuthUser)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/notes", get(list_notes).post(create_note))
        .route("/notes/search", get(search_notes))
        .with_state(state)
}

async fn list_notes(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
) -> Json<Vec<Note>> {
    let notes = state.notes.lock().unwrap();
    Json(notes.iter().filter(|n| n.owner == user).cloned().collect())
}

#[derive(Deserialize)]
struct NewNote {
    body: String,
}

async fn create_note(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewNote>,
) -> (StatusCode, Json<Note>) {
    let mut notes = state.notes.lock().unwrap();
    let note = Note {
        id: notes.len() as u64 + 1,
        owner: user,
        body: new.body,
    };
    notes.push(note.clone());
    (StatusCode::CREATED, Json(note))
}

#[derive(Deserialize)]
struct Search {
    q: String,
}

async fn search_notes(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Query(search): Query<Search>,
) -> Json<Vec<Note>> {
    let notes = state.notes.lock().unwrap();
    Json(
        notes
            .iter()
            .filter(|n| n.owner == user && n.body.contains(&search.q))
            .cloned()
            .collect(),
    )
}

fn main() {
    let state = Arc::new(AppState::default());
    println!("alice's token: {}", state.sign_in(1));
    let _ = app(state);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn call(
        app: &Router,
        method: &str,
        uri: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(authorization) = authorization {
            req = req.header("authorization", authorization);
        }
        let req = match body {
            Some(body) => req
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => req.body(Body::empty()),
        };
        let req = req.expect("a well-formed request");
        let resp = app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let bytes = to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("a small JSON body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Alice is signed in and has written one note.
    async fn app_with_alices_note() -> (Router, Arc<AppState>, String) {
        let state = Arc::new(AppState::default());
        let alice = format!("Bearer {}", state.sign_in(1));
        let app = app(state.clone());
        let note = json!({ "body": "wifi password: hunter2" });
        let (status, answer) = call(&app, "POST", "/notes", Some(&alice), Some(note)).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "signed-in alice could not create a note: {answer}"
        );
        (app, state, alice)
    }

    #[tokio::test]
    async fn every_protected_route_refuses_anonymous_callers() {
        let (app, _, _) = app_with_alices_note().await;
        let routes = [
            ("GET", "/notes", None),
            ("POST", "/notes", Some(json!({ "body": "spam" }))),
            ("GET", "/notes/search?q=wifi", None),
        ];
        for (method, uri, body) in routes {
            for authorization in [None, Some("Bearer not-a-session"), Some("Basic YWxpY2U6")] {
                let (status, answer) = call(&app, method, uri, authorization, body.clone()).await;
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {uri} with authorization {authorization:?} answered {status} \
                     {answer}: a protected route must refuse anyone without a live session"
                );
            }
        }
    }

    #[tokio::test]
    async fn signed_in_users_reach_only_their_own_notes() {
        let (app, state, alice) = app_with_alices_note().await;
        let bob = format!("Bearer {}", state.sign_in(2));

        for uri in ["/notes/search?q=wifi", "/notes"] {
            let (status, notes) = call(&app, "GET", uri, Some(&alice), None).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "signed-in alice was refused GET {uri}: {notes}"
            );
            assert_eq!(
                notes.as_array().map(Vec::len),
                Some(1),
                "alice's GET {uri} must find her one note: {notes}"
            );
            let (status, notes) = call(&app, "GET", uri, Some(&bob), None).await;
            assert_eq!(
                (status, &notes),
                (StatusCode::OK, &json!([])),
                "bob's GET {uri} must answer 200 with none of alice's notes"
            );
        }
    }
}
