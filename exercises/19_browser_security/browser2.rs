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
    // TODO: readable by scripts, sent over http, sent with cross-site requests.
    format!("{SESSION_COOKIE}={token}; Path=/")
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
    sessions
        .get(&token)
        .cloned()
        .ok_or(StatusCode::UNAUTHORIZED)
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    /// One `Set-Cookie` header, parsed as a browser does (RFC 6265 section 5.2): the
    /// name=value pair up to the first `;`, then `;`-separated attributes whose names are
    /// case-insensitive and whose values follow the first `=`.
    #[derive(Debug)]
    struct SetCookie {
        name: String,
        value: String,
        /// (lower-cased attribute name, value as sent)
        attributes: Vec<(String, String)>,
    }

    impl SetCookie {
        fn parse(header: &str) -> SetCookie {
            let mut parts = header.split(';');
            let pair = parts.next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or(("", pair));
            let attributes = parts
                .map(|attribute| {
                    let (name, value) = attribute.split_once('=').unwrap_or((attribute, ""));
                    (name.trim().to_ascii_lowercase(), value.trim().to_string())
                })
                .collect();
            SetCookie {
                name: name.trim().to_string(),
                value: value.trim().to_string(),
                attributes,
            }
        }

        /// The value of the last attribute with this name (the one a browser keeps).
        fn attribute(&self, name: &str) -> Option<&str> {
            self.attributes
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// Logs alice in; returns every Set-Cookie header of the answer.
    async fn log_in(app: &Router) -> Vec<String> {
        let req = Request::post("/login")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"user":"alice","password":"correct horse"}"#))
            .unwrap();
        let resp = app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        assert!(
            resp.status().is_success(),
            "alice's login failed with {}",
            resp.status()
        );
        resp.headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("Set-Cookie is text").to_string())
            .collect()
    }

    async fn whoami(app: &Router, cookie: &str) -> (StatusCode, String) {
        let req = Request::get("/me")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        let resp = app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("a small body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// The Set-Cookie headers that carry a working session, checked against GET /me.
    async fn session_cookies(app: &Router) -> Vec<(String, SetCookie)> {
        let headers = log_in(app).await;
        let mut sessions = Vec::new();
        for header in headers {
            let cookie = SetCookie::parse(&header);
            let (status, body) = whoami(app, &format!("{}={}", cookie.name, cookie.value)).await;
            if status == StatusCode::OK && body == "alice" {
                sessions.push((header, cookie));
            }
        }
        assert!(
            !sessions.is_empty(),
            "no Set-Cookie of the login answer opened a session for GET /me"
        );
        sessions
    }

    #[tokio::test]
    async fn the_session_cookie_logs_alice_in() {
        let app = app();
        let sessions = session_cookies(&app).await;
        assert_eq!(
            sessions.len(),
            1,
            "the login must set exactly one session cookie: {sessions:?}"
        );
        let (status, _) = whoami(&app, "session=0000").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a made-up token must not log in"
        );
    }

    #[tokio::test]
    async fn scripts_cannot_read_the_session_cookie() {
        let app = app();
        for (header, cookie) in session_cookies(&app).await {
            assert!(
                cookie.attribute("httponly").is_some(),
                "Set-Cookie: {header}\nhas no HttpOnly attribute: any script on the page (one \
                 XSS) reads the session from document.cookie and sends it away"
            );
        }
    }

    #[tokio::test]
    async fn the_session_cookie_never_travels_over_http() {
        let app = app();
        for (header, cookie) in session_cookies(&app).await {
            assert!(
                cookie.attribute("secure").is_some(),
                "Set-Cookie: {header}\nhas no Secure attribute: the browser also sends it over \
                 plain http, where anyone on the network can read it"
            );
            assert_eq!(
                cookie.attribute("domain"),
                None,
                "Set-Cookie: {header}\nhas a Domain attribute: it widens the cookie to every \
                 subdomain; leave it out for a host-only cookie"
            );
        }
    }

    #[tokio::test]
    async fn other_sites_do_not_get_the_session_cookie_sent() {
        let app = app();
        for (header, cookie) in session_cookies(&app).await {
            let same_site = cookie.attribute("samesite").map(str::to_ascii_lowercase);
            let found = match &same_site {
                Some(value) => format!("SameSite={value}"),
                None => "no SameSite attribute".to_string(),
            };
            assert!(
                matches!(same_site.as_deref(), Some("lax" | "strict")),
                "Set-Cookie: {header}\nhas {found}: without SameSite=Lax or Strict the browser \
                 attaches the session to requests other sites trigger (CSRF); None means \
                 exactly that, and a missing attribute is left to each browser's default"
            );
        }
    }
}
