// wrong fix: trusts Sec-Fetch-Site and lets requests without it through: browsers without Fetch Metadata still send a forged POST, with an Origin nobody looks at
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
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use axum::routing::get;
use serde::Deserialize;

/// Scheme, host and port the bank's pages are served from.
#[allow(dead_code)] // Not used yet: nothing is checked.
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

/// Runs before every route.
async fn csrf_guard(req: Request, next: Next) -> Result<Response, StatusCode> {
    let unsafe_method = req.method() != axum::http::Method::GET;
    if let Some(site) = req.headers().get("sec-fetch-site") {
        if unsafe_method && site != "same-origin" {
            return Err(StatusCode::FORBIDDEN);
        }
    }
    Ok(next.run(req).await)
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

