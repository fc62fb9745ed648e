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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use serde_json::{Value, json};
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    const PUBLIC_V4: Ipv4Addr = Ipv4Addr::new(93, 184, 215, 14);
    const PUBLIC_V6: Ipv6Addr = Ipv6Addr::new(
        0x2606, 0x2800, 0x21f, 0xcb07, 0x6820, 0x80da, 0xaf6b, 0x8b2c,
    );

    /// A resolver with the answers the test wants, and getaddrinfo's reading of numeric
    /// hosts (inet_aton: `2130706433`, `0177.0.0.1`, `0x7f.1` are all 127.0.0.1).
    struct FakeDns {
        lookups: AtomicUsize,
    }

    fn inet_aton(host: &str) -> Option<Ipv4Addr> {
        let parts: Vec<&str> = host.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        let mut numbers = Vec::new();
        for part in &parts {
            let value = if let Some(hex) = part.strip_prefix("0x").or(part.strip_prefix("0X")) {
                u32::from_str_radix(hex, 16).ok()?
            } else if part.len() > 1 && part.starts_with('0') {
                u32::from_str_radix(&part[1..], 8).ok()?
            } else {
                part.parse::<u32>().ok()?
            };
            numbers.push(value);
        }
        let (last, first) = numbers.split_last()?;
        let mut value: u32 = 0;
        for (i, byte) in first.iter().enumerate() {
            if *byte > 255 {
                return None;
            }
            value |= byte << (24 - 8 * i);
        }
        let room = 32 - 8 * first.len() as u32;
        if room < 32 && *last >= 1 << room {
            return None;
        }
        Some(Ipv4Addr::from(value | last))
    }

    impl Resolve for FakeDns {
        fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
            let nth = self.lookups.fetch_add(1, Ordering::SeqCst);
            let answer = (|| {
                if let Ok(v6) = host.parse::<Ipv6Addr>() {
                    return Some(vec![IpAddr::V6(v6)]);
                }
                if let Some(v4) = inet_aton(host) {
                    return Some(vec![IpAddr::V4(v4)]);
                }
                let name = host.trim_end_matches('.').to_ascii_lowercase();
                let loopback = vec![
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(Ipv6Addr::LOCALHOST),
                ];
                if name == "localhost" || name.ends_with(".localhost") {
                    return Some(loopback);
                }
                let ips: Vec<IpAddr> = match name.as_str() {
                    "example.com" => vec![PUBLIC_V4.into(), PUBLIC_V6.into()],
                    "v6.example.com" => vec![PUBLIC_V6.into()],
                    "metadata.internal" => vec![Ipv4Addr::new(169, 254, 169, 254).into()],
                    "intranet.corp" => vec![Ipv4Addr::new(10, 0, 0, 5).into()],
                    "mapped.attacker.net" => {
                        vec!["::ffff:127.0.0.1".parse::<Ipv6Addr>().unwrap().into()]
                    }
                    "ula.attacker.net" => vec!["fd12:3456::1".parse::<Ipv6Addr>().unwrap().into()],
                    "private-first.attacker.net" => {
                        vec![Ipv4Addr::new(192, 168, 1, 1).into(), PUBLIC_V4.into()]
                    }
                    "public-first.attacker.net" => {
                        vec![PUBLIC_V4.into(), Ipv4Addr::new(172, 16, 0, 1).into()]
                    }
                    // DNS rebinding: a public answer first, loopback on every later lookup.
                    "rebind.attacker.net" if nth == 0 => vec![PUBLIC_V4.into()],
                    "rebind.attacker.net" => vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
                    _ => return None,
                };
                Some(ips)
            })();
            Box::pin(async move {
                answer.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such host"))
            })
        }
    }

    /// A fetcher that sends nothing anywhere: it records the addresses it was given.
    #[derive(Default)]
    struct FakeFetch {
        connected: Mutex<Vec<SocketAddr>>,
    }

    impl Fetch for FakeFetch {
        fn fetch<'a>(
            &'a self,
            addr: SocketAddr,
            _host: &'a str,
            _path: &'a str,
        ) -> BoxFuture<'a, io::Result<String>> {
            self.connected.lock().unwrap().push(addr);
            let page = if addr.ip() == IpAddr::V4(PUBLIC_V4) || addr.ip() == IpAddr::V6(PUBLIC_V6) {
                "<html><title>Example Domain</title></html>"
            } else {
                "<html><title>INTERNAL: admin console</title></html>"
            };
            Box::pin(async move { Ok(page.to_string()) })
        }
    }

    async fn ask(app: &Router, url: &str) -> (StatusCode, String) {
        let req = Request::post("/preview")
            .header("content-type", "application/json")
            .body(Body::from(json!({ "url": url }).to_string()))
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

    fn fakes() -> (Arc<FakeDns>, Arc<FakeFetch>, Router) {
        let dns = Arc::new(FakeDns {
            lookups: AtomicUsize::new(0),
        });
        let fetch = Arc::new(FakeFetch::default());
        let app = app(dns.clone(), fetch.clone());
        (dns, fetch, app)
    }

    fn is_test_public(ip: IpAddr) -> bool {
        ip == IpAddr::V4(PUBLIC_V4) || ip == IpAddr::V6(PUBLIC_V6)
    }

    #[tokio::test]
    async fn public_sites_are_previewed() {
        for (url, ip) in [
            ("http://example.com/", IpAddr::V4(PUBLIC_V4)),
            ("http://v6.example.com:8080/page", IpAddr::V6(PUBLIC_V6)),
            ("http://93.184.215.14/", IpAddr::V4(PUBLIC_V4)),
            (
                "http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
                IpAddr::V6(PUBLIC_V6),
            ),
        ] {
            let (_, fetch, app) = fakes();
            let (status, body) = ask(&app, url).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "previewing the public {url} failed: {body}"
            );
            let title: Value = serde_json::from_str(&body).expect("the preview is JSON");
            assert_eq!(
                title["title"], "Example Domain",
                "wrong preview of {url}: {body}"
            );
            let connected = fetch.connected.lock().unwrap().clone();
            assert!(
                connected.len() == 1 && connected[0].ip() == ip,
                "previewing {url} must fetch once from {ip}, fetched from {connected:?}"
            );
        }
    }

    #[tokio::test]
    async fn internal_targets_are_refused_after_resolution() {
        // The attack: make the server fetch what only it can reach, in every disguise.
        let attacks = [
            ("http://127.0.0.1/", "loopback"),
            ("http://127.1.2.3:6379/", "the rest of 127/8"),
            ("http://localhost:8080/admin", "localhost"),
            (
                "http://LOCALHOST./",
                "localhost, upper case with a trailing dot",
            ),
            ("http://admin.localhost/", "a .localhost name"),
            ("http://2130706433/", "127.0.0.1 as one decimal number"),
            ("http://0177.0.0.1/", "127.0.0.1 in octal"),
            ("http://0x7f.1/", "127.0.0.1 in hex, short form"),
            (
                "http://0.0.0.0:22/",
                "the unspecified address (reaches the local host)",
            ),
            ("http://10.0.0.5/", "a private 10/8 address"),
            ("http://172.31.255.255/", "a private 172.16/12 address"),
            ("http://192.168.1.1/", "a private 192.168/16 address"),
            (
                "http://169.254.169.254/latest/meta-data/",
                "the cloud metadata service (link-local)",
            ),
            (
                "http://metadata.internal/",
                "a name for the metadata service",
            ),
            ("http://intranet.corp/", "a name for a private address"),
            ("http://[::1]/", "IPv6 loopback"),
            ("http://[::]/", "IPv6 unspecified"),
            ("http://[fe80::1]/", "IPv6 link-local"),
            (
                "http://[fd00::1]/",
                "an IPv6 unique local (private) address",
            ),
            (
                "http://ula.attacker.net/",
                "a name for an IPv6 unique local address",
            ),
            (
                "http://[::ffff:127.0.0.1]/",
                "IPv4 loopback mapped into IPv6",
            ),
            (
                "http://[::ffff:a9fe:a9fe]/",
                "the metadata address mapped into IPv6",
            ),
            (
                "http://mapped.attacker.net/",
                "a name for a mapped loopback address",
            ),
            (
                "http://private-first.attacker.net/",
                "a private address first, a public one second",
            ),
        ];
        for (url, what) in attacks {
            let (_, fetch, app) = fakes();
            let (status, body) = ask(&app, url).await;
            let connected = fetch.connected.lock().unwrap().clone();
            assert!(
                connected.is_empty(),
                "POST /preview {url} ({what}) made the server fetch from {connected:?} (answer \
                 {status} {body}): resolve the host and refuse unless every address is public"
            );
            assert!(
                status == StatusCode::BAD_REQUEST || status == StatusCode::FORBIDDEN,
                "POST /preview {url} ({what}) answered {status} {body}: refuse it with 400"
            );
        }
    }

    #[tokio::test]
    async fn only_a_checked_address_is_ever_fetched() {
        for (url, what) in [
            (
                "http://public-first.attacker.net/",
                "a public address first, a private one second",
            ),
            (
                "http://rebind.attacker.net/",
                "DNS rebinding: public on the first lookup, loopback on the next",
            ),
        ] {
            let (dns, fetch, app) = fakes();
            let (status, body) = ask(&app, url).await;
            let connected = fetch.connected.lock().unwrap().clone();
            assert!(
                connected.iter().all(|addr| is_test_public(addr.ip())),
                "POST /preview {url} ({what}) fetched from {connected:?} (answer {status} \
                 {body}, {} lookup(s)): fetch only from an address you checked; a second \
                 lookup may answer differently",
                dns.lookups.load(Ordering::SeqCst)
            );
        }
    }

    #[tokio::test]
    async fn a_real_loopback_server_is_never_reached() {
        // A server on this machine's loopback, as an internal service would be; it counts
        // the connections it gets. The app uses the real resolver and the real TCP fetcher.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let reached = Arc::new(AtomicUsize::new(0));
        let counter = reached.clone();
        let server = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(b"HTTP/1.0 200 OK\r\n\r\n<title>INTERNAL: redis admin</title>")
                    .await;
            }
        });
        let app = app(Arc::new(SystemResolver), Arc::new(TcpFetcher));
        for url in [
            format!("http://127.0.0.1:{port}/"),
            format!("http://localhost:{port}/"),
        ] {
            let (status, body) = ask(&app, &url).await;
            assert!(
                !status.is_success() && reached.load(Ordering::SeqCst) == 0,
                "POST /preview {url} reached the loopback server ({} connection(s), answer \
                 {status} {body}): internal services must never be fetched",
                reached.load(Ordering::SeqCst)
            );
        }
        server.abort();
    }
}
