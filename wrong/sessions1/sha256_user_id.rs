// wrong fix: derives the token from the user id with SHA-256: the same user always gets the same token, and anyone who knows a user id (or the code) can compute it
// sessions1: a session token must be impossible to guess.
//
// Whoever presents a session token is that user. These tokens come from a counter
// ("sess-00000007"), so anyone who logs in can try the numbers next to their own and
// walk into the neighbours' sessions. Clock-based tokens, a seeded PRNG or a hash of any
// of these fail the same way: whoever knows the code can compute them. Make each token 32
// bytes from the operating system's cryptographically secure generator (the `getrandom`
// crate), as 64 lowercase hex characters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

type UserId = u32;

struct Account {
    id: UserId,
    password_hash: String,
}

struct AppState {
    /// username -> account
    accounts: HashMap<String, Account>,
    /// session token -> user
    sessions: Mutex<HashMap<String, UserId>>,
}

static SESSIONS_ISSUED: AtomicU64 = AtomicU64::new(0);

fn new_session_token(user: UserId) -> String {
    use sha2::{Digest, Sha256};
    let _ = SESSIONS_ISSUED.load(Ordering::Relaxed);
    let digest = Sha256::digest(format!("user-{user}").as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .with_state(state)
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    Json(req): Json<Login>,
) -> Result<Json<Value>, StatusCode> {
    let account = state
        .accounts
        .get(&req.username)
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let phc = account.password_hash.clone();
    let verified = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(req.password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    if !verified {
        return Err(StatusCode::UNAUTHORIZED);
    }

    let token = new_session_token(account.id);
    state
        .sessions
        .lock()
        .unwrap()
        .insert(token.clone(), account.id);
    Ok(Json(json!({ "token": token })))
}

async fn me(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let user = *state
        .sessions
        .lock()
        .unwrap()
        .get(token)
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let username = state
        .accounts
        .iter()
        .find(|(_, account)| account.id == user)
        .map(|(name, _)| name.clone())
        .ok_or(StatusCode::UNAUTHORIZED)?;
    Ok(Json(json!({ "user_id": user, "username": username })))
}

fn main() {
    let password_hash = Argon2::default()
        .hash_password(b"alice's password")
        .unwrap()
        .to_string();
    let accounts = HashMap::from([(
        "alice".to_string(),
        Account {
            id: 1,
            password_hash,
        },
    )]);
    let _ = app(Arc::new(AppState {
        accounts,
        sessions: Mutex::new(HashMap::new()),
    }));
    println!("a session token: {}", new_session_token(1));
    println!("another one:     {}", new_session_token(2));
}
