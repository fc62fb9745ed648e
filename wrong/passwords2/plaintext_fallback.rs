// wrong fix: verifies PHC strings properly but falls back to comparing the stored value with the typed password as text when it does not parse ("for old rows"): plaintext rows keep working and a damaged row is a way in
// passwords2: check a password through its PHC string, never by hashing it again.
//
// `PUT /account/password` changes a password once the user has re-typed the current
// one. The check hashes the typed password and compares the two PHC strings, but
// Argon2 salts every hash with fresh random bytes, so the strings never match and
// nobody can change their password. Parse the stored string (`PasswordHash::new`) and
// `verify_password` against it: that reuses its salt and its parameters, so hashes made
// before a parameter upgrade keep working too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::put;
use axum::{Json, Router};
use serde::Deserialize;

struct AppState {
    /// username -> PHC string
    users: Mutex<HashMap<String, String>>,
    /// Parameters for new hashes.
    argon2: Argon2<'static>,
}

#[derive(Deserialize)]
struct ChangePassword {
    username: String,
    current_password: String,
    new_password: String,
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/account/password", put(change_password))
        .with_state(state)
}

async fn change_password(
    State(state): State<Arc<AppState>>,
    Json(req): Json<ChangePassword>,
) -> StatusCode {
    let mut users = state.users.lock().unwrap();
    let Some(stored) = users.get(&req.username) else {
        return StatusCode::FORBIDDEN;
    };

    use argon2::password_hash::PasswordVerifier;
    let current_ok = match argon2::PasswordHash::new(stored) {
        Ok(parsed) => state
            .argon2
            .verify_password(req.current_password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => *stored == req.current_password,
    };
    if !current_ok {
        return StatusCode::FORBIDDEN;
    }

    let Ok(new_hash) = state.argon2.hash_password(req.new_password.as_bytes()) else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    users.insert(req.username, new_hash.to_string());
    StatusCode::NO_CONTENT
}

fn main() {
    let argon2 = Argon2::default();
    let hash = argon2.hash_password(b"hunter2").unwrap().to_string();
    let again = argon2.hash_password(b"hunter2").unwrap().to_string();
    println!("hunter2 -> {hash}");
    println!("hunter2 -> {again}");
    println!("same string: {}", hash == again);
    let _ = app(Arc::new(AppState {
        users: Mutex::new(HashMap::from([("alice".to_string(), hash)])),
        argon2,
    }));
}
