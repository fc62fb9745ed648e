// wrong fix: refuses hosts spelled localhost, 127.x, ::1 or 0.0.0.0: 2130706433, 0177.0.0.1, LOCALHOST., every private network and any name pointing at them still get through
// browser6: SSRF: check where a URL really leads before the server fetches it.
//
// `POST /preview` fetches the page at a URL a user sends and returns its title. It fetches
// anything, so users can make the server read what only it can reach: http://127.0.0.1/
// (an admin port), http://169.254.169.254/ (the cloud's credentials), 10.x hosts. Resolve
// the host, then refuse (400) unless EVERY address is public: no loopback, private,
// link-local or unspecified address, in IPv4 or IPv6 (including IPv4 inside IPv6,
// ::ffff:a.b.c.d); then fetch from an address you checked. The host text proves nothing:
// `2130706433`, `0177.0.0.1` and `localhost.` all resolve to 127.0.0.1.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Turns a host name (or an IP literal) into addresses: DNS in production.
trait Resolve: Send + Sync {
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>>;
}

/// Sends `GET path` with `Host: host` to one address and returns the page: TCP in production.
trait Fetch: Send + Sync {
    fn fetch<'a>(
        &'a self,
        addr: SocketAddr,
        host: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, io::Result<String>>;
}

/// The operating system's resolver (getaddrinfo, through tokio).
struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, 0)).await?;
            Ok(addrs.map(|addr| addr.ip()).collect())
        })
    }
}

/// Plain HTTP/1.0 over TCP, at most 64 KiB of answer.
struct TcpFetcher;

impl Fetch for TcpFetcher {
    fn fetch<'a>(
        &'a self,
        addr: SocketAddr,
        host: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, io::Result<String>> {
        Box::pin(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
            stream.write_all(request.as_bytes()).await?;
            let mut page = Vec::new();
            stream.take(64 * 1024).read_to_end(&mut page).await?;
            Ok(String::from_utf8_lossy(&page).into_owned())
        })
    }
}

/// An `http://host[:port][/path]` URL, split up. IPv6 literals come in brackets.
struct Target {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Option<Target> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.contains('@') || path.contains(char::is_whitespace) {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => 80,
    };
    if host.is_empty() {
        return None;
    }
    Some(Target {
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

#[derive(Clone)]
struct AppState {
    resolver: Arc<dyn Resolve>,
    fetcher: Arc<dyn Fetch>,
}

#[derive(Deserialize)]
struct PreviewRequest {
    url: String,
}

#[derive(Serialize)]
struct Preview {
    title: String,
}

async fn preview(
    State(state): State<AppState>,
    Json(request): Json<PreviewRequest>,
) -> Result<Json<Preview>, StatusCode> {
    let target = parse_url(&request.url).ok_or(StatusCode::BAD_REQUEST)?;
    let host = target.host.to_ascii_lowercase();
    if host == "localhost" || host.starts_with("127.") || host == "::1" || host == "0.0.0.0" {
        return Err(StatusCode::BAD_REQUEST);
    }
    let addrs = state
        .resolver
        .resolve(&target.host)
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    // TODO: whatever the name resolves to is fetched, internal addresses included.
    let ip = *addrs.first().ok_or(StatusCode::BAD_GATEWAY)?;
    let page = state
        .fetcher
        .fetch(SocketAddr::new(ip, target.port), &target.host, &target.path)
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let title = page
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map_or("", |(title, _)| title.trim());
    Ok(Json(Preview {
        title: title.to_string(),
    }))
}

fn app(resolver: Arc<dyn Resolve>, fetcher: Arc<dyn Fetch>) -> Router {
    Router::new()
        .route("/preview", post(preview))
        .with_state(AppState { resolver, fetcher })
}

fn main() {
    let _ = app(Arc::new(SystemResolver), Arc::new(TcpFetcher));
}

