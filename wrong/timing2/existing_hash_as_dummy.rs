// wrong fix: uses the first account's hash as the dummy and lets the verification decide: an unknown username with that account's password logs in
// timing2: a login must not reveal which usernames exist.
//
// For an unknown username this login answers "unknown user" at once, and for a known
// one it runs Argon2 (tens of milliseconds) and answers "wrong password". Either the
// different body or the different response time tells an attacker which accounts
// exist, ready for password spraying or phishing. Give both failures the same status
// and body, and the same work: when the user is unknown, verify the password against
// a dummy hash made with the same parameters, and ignore the result.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Checks a password against a PHC string. Plain blocking CPU work.
type Verifier = Arc<dyn Fn(&[u8], &str) -> bool + Send + Sync>;

fn argon2_verify(password: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc)
        .is_ok_and(|parsed| Argon2::default().verify_password(password, &parsed).is_ok())
}

#[derive(Clone)]
struct AppState {
    /// username -> PHC string
    users: Arc<HashMap<String, String>>,
    verify: Verifier,
}

impl AppState {
    /// Hashes the initial accounts with `argon2` (and its cost parameters).
    fn new(argon2: &Argon2, accounts: &[(&str, &str)], verify: Verifier) -> Self {
        let hash = |password: &[u8]| argon2.hash_password(password).unwrap().to_string();
        let users = accounts
            .iter()
            .map(|(name, password)| (name.to_string(), hash(password.as_bytes())))
            .collect();
        AppState {
            users: Arc::new(users),
            verify,
        }
    }
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

fn app(state: AppState) -> Router {
    Router::new().route("/login", post(login)).with_state(state)
}

/// Runs the verifier on the blocking pool (see passwords4).
async fn check(state: &AppState, password: String, phc: String) -> bool {
    let verify = state.verify.clone();
    tokio::task::spawn_blocking(move || verify(password.as_bytes(), &phc))
        .await
        .unwrap_or(false)
}

async fn login(State(state): State<AppState>, Json(req): Json<Login>) -> Response {
    let phc = match state.users.get(&req.username) {
        Some(phc) => phc.clone(),
        // Same parameters, same work: any real hash will do as the dummy.
        None => state.users.values().next().cloned().unwrap_or_default(),
    };
    if !check(&state, req.password, phc).await {
        let body = json!({ "error": "invalid username or password" });
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    (StatusCode::OK, Json(json!({ "welcome": req.username }))).into_response()
}

fn main() {
    let state = AppState::new(
        &Argon2::default(),
        &[("alice", "correct horse battery staple")],
        Arc::new(argon2_verify),
    );
    let _ = app(state);
    println!("POST /login is wired up");
}
