// wrong fix: calls `tokio::task::yield_now().await` before hashing: it lets others run once, then the hash still blocks the runtime thread from start to finish
// passwords4: Argon2 is deliberately slow, so keep it off the async runtime.
//
// With production parameters one verification burns tens of milliseconds of CPU (and
// 19 MiB of RAM). `login` runs it right inside an async handler, which holds the
// runtime's worker thread: while somebody logs in, no other request on that thread
// makes progress, not even the load balancer's `/health` probe. Move the
// verification onto tokio's blocking thread pool with `tokio::task::spawn_blocking`
// and await its result.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::password_hash::PasswordVerifier;
use argon2::{Argon2, PasswordHash};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// Checks a password against a PHC string. Plain blocking CPU work.
type Verifier = Arc<dyn Fn(&[u8], &str) -> bool + Send + Sync>;

fn argon2_verify(password: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        // The parameters come from the PHC string, not from this `Argon2` value.
        Argon2::default().verify_password(password, &parsed).is_ok()
    })
}

#[derive(Clone)]
struct AppState {
    /// username -> PHC string
    users: Arc<HashMap<String, String>>,
    verify: Verifier,
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/login", post(login))
        .with_state(state)
}

async fn health() -> &'static str {
    "ok"
}

async fn login(State(state): State<AppState>, Json(req): Json<Login>) -> StatusCode {
    let Some(phc) = state.users.get(&req.username).cloned() else {
        return StatusCode::UNAUTHORIZED;
    };
    // Let the other tasks run first, then hash.
    tokio::task::yield_now().await;
    if (state.verify)(req.password.as_bytes(), &phc) {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

fn main() {
    let _ = app(AppState {
        users: Arc::new(HashMap::new()),
        verify: Arc::new(argon2_verify),
    });
    println!("GET /health and POST /login are wired up");
}
