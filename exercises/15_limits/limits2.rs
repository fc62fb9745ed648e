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
    // TODO: this believes the header whoever sent it, and takes the hop the client wrote.
    let _ = trusted_proxy;
    headers
        .get("x-forwarded-for")
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    const PROXY: &str = "10.0.0.2";
    const ATTACKER: &str = "203.0.113.66";
    const MAX: u32 = 3;

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("a test address"), 40_000)
    }

    /// POST /login from the TCP peer `from` with these X-Forwarded-For header lines:
    /// the status and the body (which names the address the server accounted it to).
    async fn attempt(app: &Router, from: SocketAddr, xff_lines: &[&str]) -> (StatusCode, String) {
        let mut req = axum::http::Request::post("/login").extension(ConnectInfo(from));
        for line in xff_lines {
            req = req.header("x-forwarded-for", *line);
        }
        let resp = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Runs 20 attempts and asserts that only the first MAX got through and that the
    /// server accounted every one of them to `real_ip`.
    async fn assert_limited(
        app: &Router,
        attack: &str,
        real_ip: &str,
        requests: Vec<(SocketAddr, Vec<String>)>,
    ) {
        for (i, (from, lines)) in requests.into_iter().enumerate() {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let (status, body) = attempt(app, from, &lines).await;
            assert!(
                body.contains(&format!("from {real_ip}\n")),
                "{attack}: the request with X-Forwarded-For {lines:?} was accounted as `{}`, \
                 but it came from {real_ip}",
                body.trim()
            );
            let expected = if (i as u32) < MAX {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(
                status,
                expected,
                "{attack}: attempt {} with X-Forwarded-For {lines:?} was answered {status} \
                 ({}): the attacker escapes the limit by writing a new address each time",
                i + 1,
                body.trim()
            );
        }
    }

    #[tokio::test]
    async fn a_spoofed_first_hop_through_the_proxy_is_ignored() {
        let app = app(PROXY.parse().unwrap(), MAX);
        let requests = (0..20)
            .map(|i| (peer(PROXY), vec![format!("198.51.100.{i}, {ATTACKER}")]))
            .collect();
        assert_limited(
            &app,
            "through the proxy, a fake first hop",
            ATTACKER,
            requests,
        )
        .await;
    }

    #[tokio::test]
    async fn the_proxy_hop_is_the_last_of_several_header_lines() {
        let app = app(PROXY.parse().unwrap(), MAX);
        // The attacker sends its own header line; the proxy adds another one below it.
        let requests = (0..20)
            .map(|i| {
                (
                    peer(PROXY),
                    vec![format!("198.51.100.{i}, 192.0.2.{i}"), ATTACKER.to_string()],
                )
            })
            .collect();
        assert_limited(
            &app,
            "through the proxy, a fake header line of its own",
            ATTACKER,
            requests,
        )
        .await;
    }

    #[tokio::test]
    async fn the_header_is_ignored_when_the_proxy_did_not_send_it() {
        let app = app(PROXY.parse().unwrap(), MAX);
        // Straight from the internet, bypassing the proxy.
        let requests = (0..20)
            .map(|i| (peer(ATTACKER), vec![format!("198.51.100.{i}, {PROXY}")]))
            .collect();
        assert_limited(
            &app,
            "a direct connection with a fake header",
            ATTACKER,
            requests,
        )
        .await;
        // From another host of the private network: private is not the same as trusted.
        let insider = "10.0.0.9";
        let fresh = super::app(PROXY.parse().unwrap(), MAX);
        let requests = (0..20)
            .map(|i| (peer(insider), vec![format!("198.51.100.{i}")]))
            .collect();
        assert_limited(
            &fresh,
            "another internal host with a fake header",
            insider,
            requests,
        )
        .await;
    }

    #[tokio::test]
    async fn clients_behind_the_proxy_are_limited_separately() {
        let app = app(PROXY.parse().unwrap(), MAX);
        for _ in 0..MAX + 2 {
            attempt(&app, peer(PROXY), &["192.0.2.10"]).await;
        }
        for client in ["192.0.2.20", "2001:db8::7"] {
            let (status, body) =
                attempt(&app, peer(PROXY), &[&format!("198.51.100.1, {client}")]).await;
            assert!(
                body.contains(&format!("from {client}\n")),
                "a request proxied for {client} was accounted as `{}`: the proxy's hop is the \
                 last one of X-Forwarded-For",
                body.trim()
            );
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{client}, proxied, was refused after another client behind the same proxy \
                 used up its attempts: every user would share the proxy's limit"
            );
        }
        let (status, body) = attempt(&app, peer(PROXY), &[]).await;
        assert!(
            status == StatusCode::UNAUTHORIZED && body.contains(&format!("from {PROXY}\n")),
            "a request from the proxy without the header is the proxy's own, got {status} `{}`",
            body.trim()
        );
    }
}
