// wrong fix: wraps the hash in `std::panic::catch_unwind` so a panic becomes a 500, but still runs it on the runtime thread: catching a panic is no substitute for moving blocking work off the runtime
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
    let verify = state.verify.clone();
    let verified = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        verify(req.password.as_bytes(), &phc)
    }));
    match verified {
        Ok(true) => StatusCode::OK,
        Ok(false) => StatusCode::UNAUTHORIZED,
        // A panicking hash becomes a 500 instead of a crash.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn main() {
    let _ = app(AppState {
        users: Arc::new(HashMap::new()),
        verify: Arc::new(argon2_verify),
    });
    println!("GET /health and POST /login are wired up");
}
