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
    // TODO: both failures must look the same and cost the same.
    let Some(phc) = state.users.get(&req.username).cloned() else {
        let body = json!({ "error": "unknown user" });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    };
    if !check(&state, req.password, phc).await {
        let body = json!({ "error": "wrong password" });
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{Params, PasswordHash};
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use std::sync::{Mutex, mpsc};
    use std::time::Duration;
    use tokio::time::timeout;
    use tower::ServiceExt;

    /// The real verifier, plus a record of the cost parameters of every hash it checked.
    fn recording_verifier() -> (Verifier, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let verify: Verifier = Arc::new(move |password, phc| {
            let params = PasswordHash::new(phc)
                .map(|parsed| parsed.params.to_string())
                .unwrap_or_else(|_| format!("not a PHC string: {phc}"));
            log.lock().unwrap().push(params);
            argon2_verify(password, phc)
        });
        (verify, seen)
    }

    fn test_app(verify: Verifier) -> Router {
        // Cheap parameters keep the tests fast; production uses `Argon2::default()`.
        let fast = Argon2::from(Params::new(64, 1, 1, None).unwrap());
        app(AppState::new(&fast, &[("alice", "correct horse")], verify))
    }

    /// Status, body, and the parameters of each hash verified during the request.
    async fn attempt(username: &str, password: &str) -> (StatusCode, String, Vec<String>) {
        let (verify, seen) = recording_verifier();
        let (status, body) = attempt_with(test_app(verify), username, password).await;
        let verified = seen.lock().unwrap().clone();
        (status, body, verified)
    }

    async fn attempt_with(app: Router, username: &str, password: &str) -> (StatusCode, String) {
        let body = json!({ "username": username, "password": password });
        let req = Request::post("/login")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = app
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("a small JSON body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_right_password_logs_in() {
        let (status, body, _) = attempt("alice", "correct horse").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "alice typed her password correctly and was refused: {body}"
        );
    }

    #[tokio::test]
    async fn unknown_user_and_wrong_password_get_the_same_answer() {
        let (wrong_status, wrong_body, _) = attempt("alice", "hunter2").await;
        let (unknown_status, unknown_body, _) = attempt("mallory", "hunter2").await;
        assert_eq!(
            wrong_status,
            StatusCode::UNAUTHORIZED,
            "a wrong password must be refused with 401: {wrong_body}"
        );
        assert_eq!(
            (unknown_status, &unknown_body),
            (wrong_status, &wrong_body),
            "an attacker can tell unknown usernames from known ones by the answer"
        );
    }

    #[tokio::test]
    async fn unknown_user_and_wrong_password_cost_the_same_work() {
        let (_, _, wrong) = attempt("alice", "hunter2").await;
        let (_, _, unknown) = attempt("mallory", "hunter2").await;
        assert_eq!(
            wrong.len(),
            1,
            "a wrong password must run the verifier exactly once, it ran {wrong:?}"
        );
        assert_eq!(
            unknown, wrong,
            "hashes verified (by their parameters) for an unknown user: {unknown:?}, for a \
             wrong password: {wrong:?}: a different amount of Argon2 work shows in the \
             response time"
        );
    }

    #[tokio::test]
    async fn unknown_users_never_get_in() {
        for password in ["", "hunter2", "correct horse"] {
            let (status, body, _) = attempt("mallory", password).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "unknown user, password {password:?}: got {status} {body}, expected the 401 of a \
                 wrong password (and never a way in)"
            );
        }
    }

    #[tokio::test]
    async fn the_dummy_hash_is_no_way_in() {
        // The attacker has found the password behind the dummy hash (it is in the source
        // code, or it is empty, or it is somebody's real hash): the verifier now says yes
        // to every hash. An unknown user must still be refused.
        let everything_verifies: Verifier = Arc::new(|_, _| true);
        let (status, body) = attempt_with(
            test_app(everything_verifies),
            "mallory",
            "the dummy's password",
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "an unknown user whose password matches the dummy hash got {status} {body}, \
             expected 401: the dummy hash only spends the time, it must never let anyone in"
        );
    }

    #[tokio::test]
    async fn the_answer_waits_for_the_dummy_verification() {
        // The real verifier, held "in progress" until the test releases it.
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let started_tx = Mutex::new(Some(started_tx));
        let release_rx = Mutex::new(release_rx);
        let held: Verifier = Arc::new(move |password, phc| {
            if let Some(tx) = started_tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
            // The limit only stops a broken handler from hanging the test forever.
            let _ = release_rx
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(2));
            argon2_verify(password, phc)
        });

        let login = tokio::spawn(attempt_with(test_app(held), "mallory", "hunter2"));
        let started = timeout(Duration::from_secs(2), started_rx).await;
        assert!(
            matches!(started, Ok(Ok(()))),
            "an unknown user's login never ran the verifier: it must do the same Argon2 work \
             as a wrong password"
        );
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let answered_before_the_work_was_done = login.is_finished();
        let _ = release_tx.send(());
        let (status, _) = login.await.expect("the login request panicked");
        assert!(
            !answered_before_the_work_was_done,
            "the unknown user was answered ({status}) while the dummy verification was still \
             running: a detached verification costs the attacker nothing to wait for, so the \
             answer must await it"
        );
    }
}
