// wrong fix: HttpOnly and Secure but no SameSite, counting on Chrome's Lax default: other browsers (and Chrome's two-minute Lax+POST window) still send the cookie on cross-site requests
// browser2: session cookies: HttpOnly, Secure and SameSite.
//
// `POST /login` sets the session cookie with nothing but a path. So any script on the page
// (one XSS, one compromised analytics tag) can read it from `document.cookie` and send it
// away; the browser also sends it over plain http, where anyone on the network reads it;
// and it rides along on requests other sites trigger. Add the attributes that close
// those three doors: `HttpOnly` (no script access), `Secure` (https only) and
// `SameSite=Lax` or `Strict` (not sent on cross-site subrequests and POSTs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

const SESSION_COOKIE: &str = "session";

#[derive(Default)]
struct AppState {
    /// session token -> user name
    sessions: Mutex<HashMap<String, String>>,
}

#[derive(Deserialize)]
struct Login {
    user: String,
    password: String,
}

/// The `Set-Cookie` value that starts a session with `token`.
fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure")
}

async fn login(State(state): State<Arc<AppState>>, Json(login): Json<Login>) -> impl IntoResponse {
    // (Password storage is chapter 09's lesson; one demo account here.)
    if (login.user.as_str(), login.password.as_str()) != ("alice", "correct horse") {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    state
        .sessions
        .lock()
        .unwrap()
        .insert(token.clone(), login.user);
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, session_cookie(&token))]),
    ))
}

/// The session token from the `Cookie` request header.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

async fn me(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<String, StatusCode> {
    let token = session_token(&headers).ok_or(StatusCode::UNAUTHORIZED)?;
    let sessions = state.sessions.lock().unwrap();
    sessions.get(&token).cloned().ok_or(StatusCode::UNAUTHORIZED)
}

fn app() -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .with_state(Arc::new(AppState::default()))
}

fn main() {
    println!("Set-Cookie: {}", session_cookie("<token>"));
    let _ = app();
}

