// wrong fix: checks that the peer is the proxy but still takes the first hop, which the client wrote before the proxy appended the real one
// limits2: trust X-Forwarded-For only from your own proxy.
//
// Login attempts are limited per client IP. The API sits behind one reverse proxy
// (`trusted_proxy`), which appends the address it received the connection from to
// `X-Forwarded-For`, so for proxied requests the TCP peer is the proxy. `client_ip` takes
// the header's FIRST address: the one the client wrote itself. An attacker who writes a
// new address in every request is never limited. Believe the header only when the peer is
// the trusted proxy, and then only the hop the proxy added; otherwise use the peer address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// The address a request is accounted to, given the TCP peer that sent it.
fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted_proxy: IpAddr) -> IpAddr {
    // Anyone else may write anything in the header: only the connection is a fact.
    if peer.ip() != trusted_proxy {
        return peer.ip();
    }
    // The proxy appends one hop to whatever the client sent (several header lines count
    // as one comma-separated list), so its hop is the very last one.
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .and_then(|hop| hop.trim().parse().ok())
        .unwrap_or(peer.ip())
}

#[derive(Clone)]
struct AppState {
    trusted_proxy: IpAddr,
    max_attempts: u32,
    attempts: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let ip = client_ip(peer, &headers, state.trusted_proxy);
    let mut attempts = state.attempts.lock().unwrap();
    let count = attempts.entry(ip).or_insert(0);
    if *count >= state.max_attempts {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many attempts from {ip}\n"),
        )
            .into_response();
    }
    *count += 1;
    // (Checking the password is another chapter's lesson.)
    (
        StatusCode::UNAUTHORIZED,
        format!("wrong password, attempt from {ip}\n"),
    )
        .into_response()
}

fn app(trusted_proxy: IpAddr, max_attempts: u32) -> Router {
    Router::new()
        .route("/login", post(login))
        .with_state(AppState {
            trusted_proxy,
            max_attempts,
            attempts: Arc::new(Mutex::new(HashMap::new())),
        })
}

fn main() {
    let proxy: SocketAddr = "10.0.0.2:41000".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        "198.51.100.1, 203.0.113.66".parse().unwrap(),
    );
    println!("client: {}", client_ip(proxy, &headers, proxy.ip()));
    let _ = app(proxy.ip(), 5);
}

