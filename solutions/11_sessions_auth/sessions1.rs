// sessions1: a session token must be impossible to guess.
//
// Whoever presents a session token is that user. These tokens come from a counter
// ("sess-00000007"), so anyone who logs in can try the numbers next to their own and
// walk into the neighbours' sessions. Clock-based tokens, a seeded PRNG or a hash of any
// of these fail the same way: whoever knows the code can compute them. Make each token 32
// bytes from the operating system's cryptographically secure generator (the `getrandom`
// crate), as 64 lowercase hex characters.

use std::collections::HashMap;
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

fn new_session_token() -> String {
    // 256 bits from the OS CSPRNG: nothing about them follows from the code, the clock,
    // the user or the previous token.
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
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

    let token = new_session_token();
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
    println!("a session token: {}", new_session_token());
    println!("another one:     {}", new_session_token());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use argon2::Params;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    fn test_app() -> Router {
        // Cheap parameters keep the tests fast; production uses `Argon2::default()`.
        let fast = Argon2::from(Params::new(64, 1, 1, None).unwrap());
        let account = |id, password: &str| Account {
            id,
            password_hash: fast.hash_password(password.as_bytes()).unwrap().to_string(),
        };
        let accounts = HashMap::from([
            ("alice".to_string(), account(1, "alice's password")),
            ("mallory".to_string(), account(2, "mallory's password")),
        ]);
        app(Arc::new(AppState {
            accounts,
            sessions: Mutex::new(HashMap::new()),
        }))
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
        let resp = app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("a small JSON body");
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn login_as(app: &Router, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({ "username": username, "password": password });
        let req = Request::post("/login")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        send(app, req).await
    }

    async fn token_for(app: &Router, username: &str) -> String {
        let (status, body) = login_as(app, username, &format!("{username}'s password")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{username} could not log in with the right password: {body}"
        );
        body["token"]
            .as_str()
            .expect("a successful login returns {\"token\": \"...\"}")
            .to_string()
    }

    async fn me_with(app: &Router, token: &str) -> (StatusCode, Value) {
        let req = Request::get("/me")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        send(app, req).await
    }

    /// Tokens an attacker would try next to their own: the number at the end, +-1..8.
    fn neighbours(token: &str) -> Vec<String> {
        let digits = token.len() - token.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (prefix, number) = token.split_at(token.len() - digits);
        let Ok(n) = number.parse::<u128>() else {
            return Vec::new();
        };
        (1..=8)
            .flat_map(|d| [n.checked_sub(d), n.checked_add(d)])
            .flatten()
            .map(|m| format!("{prefix}{m:0digits$}"))
            .collect()
    }

    #[tokio::test]
    async fn login_then_me() {
        let app = test_app();
        let token = token_for(&app, "alice").await;
        let (status, body) = me_with(&app, &token).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "alice's fresh token was refused by /me: {body}"
        );
        assert_eq!(
            body["username"], "alice",
            "alice's token must identify alice: {body}"
        );
        assert_eq!(
            login_as(&app, "alice", "guess").await.0,
            StatusCode::UNAUTHORIZED,
            "a wrong password must not get a session"
        );
        assert_eq!(
            me_with(&app, "not-a-session").await.0,
            StatusCode::UNAUTHORIZED,
            "a token the server never issued must be refused"
        );
    }

    #[tokio::test]
    async fn tokens_are_32_random_bytes_in_hex() {
        let app = test_app();
        let first = token_for(&app, "alice").await;
        let second = token_for(&app, "alice").await;
        for token in [&first, &second] {
            assert!(
                token.len() == 64
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "expected 64 lowercase hex characters (32 bytes), got {token:?}"
            );
        }
        let same_position = first.bytes().zip(second.bytes()).filter(|(a, b)| a == b);
        assert!(
            same_position.count() < 32,
            "two tokens share most of their characters: {first} / {second}: they are not \
             random, the differing part is all an attacker has to guess"
        );
    }

    /// Set for the child processes that `a_restarted_server_issues_new_tokens` starts.
    const FRESH_PROCESS: &str = "SESSIONS1_FRESH_PROCESS";

    /// Only does something in a child process: logs two users in on a freshly started
    /// server and prints their tokens.
    #[tokio::test]
    async fn tokens_of_a_fresh_process() {
        if std::env::var_os(FRESH_PROCESS).is_none() {
            return;
        }
        let app = test_app();
        for username in ["alice", "mallory"] {
            println!("token: {}", token_for(&app, username).await);
        }
    }

    #[test]
    fn a_restarted_server_issues_new_tokens() {
        // The attacker runs the same code (it is open source, or they have a copy of the
        // binary): start the server twice from scratch and compare the first tokens.
        // A counter, a fixed seed, or a hash of the user id gives the same ones again.
        let first_tokens = || {
            let this_test_binary = std::env::current_exe().expect("the test binary's path");
            let child = std::process::Command::new(this_test_binary)
                .args(["tests::tokens_of_a_fresh_process", "--exact", "--nocapture"])
                .env(FRESH_PROCESS, "1")
                .output()
                .expect("could not start the test binary again");
            let stdout = String::from_utf8_lossy(&child.stdout).into_owned();
            assert!(
                child.status.success(),
                "logging in on a freshly started server failed: {stdout}"
            );
            let tokens: Vec<String> = stdout
                .lines()
                .filter_map(|line| line.strip_prefix("token: "))
                .map(str::to_string)
                .collect();
            assert_eq!(
                tokens.len(),
                2,
                "expected two tokens from the fresh server, got {stdout}"
            );
            tokens
        };
        let (before, after) = (first_tokens(), first_tokens());
        for token in &after {
            assert!(
                !before.contains(token),
                "two freshly started servers both issued the token {token}: the tokens follow \
                 from the code (a counter, a fixed seed, a hash of the user), so anyone with a \
                 copy of it can compute them. Read them from the OS generator"
            );
        }
    }

    #[tokio::test]
    async fn a_user_cannot_guess_the_session_of_the_previous_user() {
        let app = test_app();
        let victim = token_for(&app, "alice").await;
        let own = token_for(&app, "mallory").await;
        assert_ne!(
            victim, own,
            "alice and mallory got the same token: each session needs its own"
        );
        for guess in neighbours(&own) {
            let (status, body) = me_with(&app, &guess).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "mallory's token is {own}; she tried {guess} and is now {body}"
            );
        }
    }
}
