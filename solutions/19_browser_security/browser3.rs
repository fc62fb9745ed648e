// browser3: CSRF: refuse state-changing requests that another site made the browser send.
//
// `POST /transfer` moves money for whoever's session cookie comes with it. A page on any
// other site can hold a hidden form that posts to it; the victim's browser submits it with
// the victim's cookie (SameSite=Lax does not stop a sibling subdomain, which is same-site,
// nor browsers without it). Make `csrf_guard` refuse (403) unsafe requests (anything but
// GET/HEAD/OPTIONS) not sent by our own origin, using what browsers add and pages cannot
// forge: `Sec-Fetch-Site` (same-origin), or else the `Origin` header (exactly ours).
// (A per-session token in the form works too: name its hidden input `csrf_token`.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use axum::routing::get;
use serde::Deserialize;

/// Scheme, host and port the bank's pages are served from.
const OUR_ORIGIN: &str = "https://bank.example";

#[derive(Default)]
struct AppState {
    /// session token -> user
    sessions: Mutex<HashMap<String, String>>,
    /// user -> balance in cents
    balances: Mutex<HashMap<String, i64>>,
}

impl AppState {
    fn sign_in(&self, user: &str) -> String {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random generator is available");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut sessions = self.sessions.lock().unwrap();
        sessions.insert(token.clone(), user.to_string());
        token
    }
}

/// The signed-in user, from the `session` cookie.
fn session_user(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "session")
        .map(|(_, value)| value.to_string())?;
    state.sessions.lock().unwrap().get(&token).cloned()
}

/// Runs before every route: an unsafe request must come from one of our own pages.
async fn csrf_guard(req: Request, next: Next) -> Result<Response, StatusCode> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !sent_by_our_origin(req.headers()) {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(next.run(req).await)
}

/// What the browser says about who made it send the request. Browsers set these
/// headers themselves; a page cannot remove or forge them.
fn sent_by_our_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `same-site` would include every sibling subdomain.
        return site == "same-origin";
    }
    // Browsers without Fetch Metadata still send Origin on every POST (`null` at worst).
    headers
        .get(header::ORIGIN)
        .is_some_and(|origin| origin == OUR_ORIGIN)
}

async fn transfer_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Html<String>, StatusCode> {
    let user = session_user(&state, &headers).ok_or(StatusCode::UNAUTHORIZED)?;
    Ok(Html(format!(
        r#"<h1>Transfer from {user}</h1>
<form method="post" action="/transfer">
  <input name="to"> <input name="amount_cents" type="number">
  <button>Send</button>
</form>"#
    )))
}

#[derive(Deserialize)]
struct Transfer {
    to: String,
    amount_cents: i64,
}

async fn transfer(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(transfer): Form<Transfer>,
) -> Result<String, StatusCode> {
    let user = session_user(&state, &headers).ok_or(StatusCode::UNAUTHORIZED)?;
    let mut balances = state.balances.lock().unwrap();
    let available = balances.get(&user).copied().unwrap_or(0);
    if transfer.amount_cents <= 0 || transfer.amount_cents > available {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    *balances.entry(user).or_default() -= transfer.amount_cents;
    *balances.entry(transfer.to.clone()).or_default() += transfer.amount_cents;
    Ok(format!(
        "sent {} cents to {}",
        transfer.amount_cents, transfer.to
    ))
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/transfer", get(transfer_form).post(transfer))
        .layer(middleware::from_fn(csrf_guard))
        .with_state(state)
}

fn main() {
    let state = Arc::new(AppState::default());
    println!("alice's session: {}", state.sign_in("alice"));
    let _ = app(state);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use tower::ServiceExt;

    const BANK: &str = "https://bank.example";

    struct World {
        state: Arc<AppState>,
        app: Router,
        alice: String,
        mallory: String,
    }

    fn world() -> World {
        let state = Arc::new(AppState::default());
        {
            let mut balances = state.balances.lock().unwrap();
            balances.insert("alice".to_string(), 100_000);
            balances.insert("mallory".to_string(), 0);
        }
        let (alice, mallory) = (state.sign_in("alice"), state.sign_in("mallory"));
        World {
            app: app(state.clone()),
            state,
            alice,
            mallory,
        }
    }

    fn balance(w: &World, user: &str) -> i64 {
        w.state
            .balances
            .lock()
            .unwrap()
            .get(user)
            .copied()
            .unwrap_or(0)
    }

    async fn send(w: &World, req: Request<Body>) -> (StatusCode, String) {
        let resp = w
            .app
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

    /// The CSRF token of the form `session` is shown, if the form has one.
    async fn form_token(w: &World, session: &str) -> Option<String> {
        let req = Request::get("/transfer")
            .header(header::COOKIE, format!("session={session}"))
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap();
        let (status, html) = send(w, req).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "GET /transfer (the form) failed: {html}"
        );
        let rest = &html[html.find(r#"name="csrf_token""#)?..];
        let rest = &rest[rest.find(r#"value=""#)? + 7..];
        Some(rest[..rest.find('"')?].to_string())
    }

    /// A browser's form POST to /transfer with `session`'s cookie and these headers.
    fn post(session: &str, headers: &[(&str, &str)], token: Option<&str>) -> Request<Body> {
        let mut body = "to=mallory&amount_cents=50000".to_string();
        if let Some(token) = token {
            body.push_str(&format!("&csrf_token={token}"));
        }
        let mut req = Request::post("/transfer")
            .header(header::COOKIE, format!("session={session}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.body(Body::from(body)).unwrap()
    }

    #[tokio::test]
    async fn our_own_form_still_works() {
        let w = world();
        let token = form_token(&w, &w.alice).await;
        let browsers: [(&str, &[(&str, &str)]); 2] = [
            (
                "a current browser",
                &[
                    ("origin", BANK),
                    ("sec-fetch-site", "same-origin"),
                    ("referer", "https://bank.example/transfer"),
                ],
            ),
            (
                "a browser without Sec-Fetch-Site (Safari before 16.4)",
                &[
                    ("origin", BANK),
                    ("referer", "https://bank.example/transfer"),
                ],
            ),
        ];
        for (i, (browser, headers)) in browsers.into_iter().enumerate() {
            let (status, body) = send(&w, post(&w.alice, headers, token.as_deref())).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "alice's own transfer from the bank's page in {browser} was refused: {body}"
            );
            assert_eq!(
                balance(&w, "alice"),
                100_000 - 50_000 * (i as i64 + 1),
                "alice's transfer in {browser} did not move the money"
            );
        }
    }

    #[tokio::test]
    async fn cross_site_posts_are_refused() {
        // The attack: a page elsewhere auto-submits a hidden form to /transfer; the
        // browser attaches alice's cookie and its own Origin/Sec-Fetch-Site headers. The
        // attacker's page sets Referrer-Policy: no-referrer, so no Referer is sent.
        let attacks: [(&str, &[(&str, &str)]); 6] = [
            (
                "a form on https://evil.example",
                &[
                    ("origin", "https://evil.example"),
                    ("sec-fetch-site", "cross-site"),
                ],
            ),
            (
                "a sandboxed iframe (Origin: null)",
                &[("origin", "null"), ("sec-fetch-site", "cross-site")],
            ),
            (
                "a sibling subdomain https://blog.bank.example (same-site, not same-origin)",
                &[
                    ("origin", "https://blog.bank.example"),
                    ("sec-fetch-site", "same-site"),
                ],
            ),
            (
                "a look-alike https://bank.example.evil.net",
                &[
                    ("origin", "https://bank.example.evil.net"),
                    ("sec-fetch-site", "cross-site"),
                ],
            ),
            (
                "plain http://bank.example (a network attacker's injected page)",
                &[
                    ("origin", "http://bank.example"),
                    ("sec-fetch-site", "cross-site"),
                ],
            ),
            (
                "https://evil.example in a browser without Sec-Fetch-Site",
                &[("origin", "https://evil.example")],
            ),
        ];
        for (attack, headers) in attacks {
            let w = world();
            let (status, body) = send(&w, post(&w.alice, headers, None)).await;
            assert_eq!(
                balance(&w, "alice"),
                100_000,
                "{attack} moved alice's money with her cookie (answer {status} {body}): refuse \
                 unsafe requests whose Sec-Fetch-Site is not same-origin, or whose Origin is \
                 not exactly ours (a Referer can be suppressed, so it proves nothing)"
            );
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{attack}: a refused cross-site request should get 403"
            );
        }
    }

    #[tokio::test]
    async fn the_attackers_own_token_does_not_help() {
        // Mallory has an account too: she can read a token from her own form and put it
        // into the hidden form she makes alice's browser submit.
        let w = world();
        let mallorys_token = form_token(&w, &w.mallory).await;
        let headers = [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ];
        let (status, body) = send(&w, post(&w.alice, &headers, mallorys_token.as_deref())).await;
        assert_eq!(
            balance(&w, "alice"),
            100_000,
            "a cross-site POST with alice's cookie (and mallory's CSRF token, if the form has \
             one) moved alice's money (answer {status} {body}): refuse it; a token proves \
             nothing unless it is tied to the session that received it"
        );
    }
}
