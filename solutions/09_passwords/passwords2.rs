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

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
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

    let current_ok = PasswordHash::new(stored).is_ok_and(|parsed| {
        state
            .argon2
            .verify_password(req.current_password.as_bytes(), &parsed)
            .is_ok()
    });
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;
    use argon2::{Params, PasswordHash};
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    // Cheap parameters keep the tests fast; production uses `Argon2::default()`.
    fn argon2_with(m_kib: u32, t: u32) -> Argon2<'static> {
        Argon2::from(Params::new(m_kib, t, 1, None).unwrap())
    }

    fn state_with_alice(alice_hash_made_by: &Argon2) -> Arc<AppState> {
        let hash = alice_hash_made_by
            .hash_password(b"old password")
            .expect("hashing with valid parameters")
            .to_string();
        state_with_alice_stored_as(hash)
    }

    fn state_with_alice_stored_as(hash: String) -> Arc<AppState> {
        Arc::new(AppState {
            users: Mutex::new(HashMap::from([("alice".to_string(), hash)])),
            argon2: argon2_with(64, 1),
        })
    }

    async fn change(state: &Arc<AppState>, current: &str, new: &str) -> StatusCode {
        let body = serde_json::json!({
            "username": "alice",
            "current_password": current,
            "new_password": new,
        });
        let req = Request::put("/account/password")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        app(state.clone())
            .oneshot(req)
            .await
            .expect("the router itself cannot fail")
            .status()
    }

    fn alice_password_is(state: &AppState, password: &str) -> bool {
        let users = state.users.lock().unwrap();
        let parsed = PasswordHash::new(&users["alice"])
            .expect("alice's stored value must stay a PHC string");
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    }

    #[tokio::test]
    async fn the_right_current_password_changes_it() {
        let state = state_with_alice(&argon2_with(64, 1));
        assert_eq!(
            change(&state, "old password", "new password").await,
            StatusCode::NO_CONTENT,
            "alice typed her current password correctly and was refused: hashing it again \
             picks a new salt, so comparing strings never matches"
        );
        assert!(
            alice_password_is(&state, "new password"),
            "the change was accepted but alice's new password does not verify"
        );
        assert!(
            !alice_password_is(&state, "old password"),
            "alice's old password still works after the change"
        );
    }

    #[tokio::test]
    async fn a_wrong_current_password_is_refused() {
        let state = state_with_alice(&argon2_with(64, 1));
        assert_eq!(
            change(&state, "guess", "attacker's password").await,
            StatusCode::FORBIDDEN,
            "someone who does not know alice's current password must not change it"
        );
        assert!(
            alice_password_is(&state, "old password"),
            "alice's password changed although the current one was wrong"
        );
    }

    #[tokio::test]
    async fn a_stored_value_that_is_not_a_phc_string_verifies_nothing() {
        // A row left over from the plaintext days, or damaged by hand.
        let state = state_with_alice_stored_as("old password".to_string());
        assert_eq!(
            change(&state, "old password", "new password").await,
            StatusCode::FORBIDDEN,
            "a stored value that is not a PHC string must count as a wrong password: \
             comparing it with the typed password as text accepts plaintext rows"
        );
    }

    #[tokio::test]
    async fn hashes_made_with_older_parameters_still_verify() {
        // Alice signed up before the server moved to its current parameters.
        let state = state_with_alice(&argon2_with(32, 2));
        assert_eq!(
            change(&state, "old password", "new password").await,
            StatusCode::NO_CONTENT,
            "alice's hash was made with m=32,t=2 before the parameters changed: verify with \
             the salt and parameters stored in it, not the current ones"
        );
        assert!(
            alice_password_is(&state, "new password"),
            "alice's new password does not verify"
        );
    }
}
