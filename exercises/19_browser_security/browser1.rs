// browser1: CORS: grant the origins you trust by exact match, never echo the caller's.
//
// The single-page apps at https://app.example.com and https://admin.example.com call this
// API with the user's session cookie. The `cors` middleware copies whatever `Origin` the
// request carries into `Access-Control-Allow-Origin`, with `Allow-Credentials: true`: so
// any page a signed-in user visits may call the API as them and read the answers. Send
// the CORS headers only to the origins in `ALLOWED_ORIGINS`, compared as whole strings
// (`contains`, `starts_with` or `ends_with` let look-alikes in; `null` is never trusted).

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The exact origins (scheme, host and port) of our own front-ends.
#[allow(dead_code)] // Not used yet: the middleware trusts every origin.
const ALLOWED_ORIGINS: [&str; 2] = ["https://app.example.com", "https://admin.example.com"];

async fn cors(req: Request, next: Next) -> Response {
    // TODO: every origin is granted access, whoever sent the request.
    let origin = req.headers().get(header::ORIGIN).cloned();
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut resp = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let headers = resp.headers_mut();
    // The answer depends on the Origin header: caches must keep one copy per origin.
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if preflight {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, DELETE"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    resp
}

fn app() -> Router {
    Router::new()
        .route(
            "/api/me",
            get(|| async { r#"{"email":"alice@example.com","iban":"DE89370400440532013000"}"# })
                .delete(|| async { StatusCode::NO_CONTENT }),
        )
        .layer(middleware::from_fn(cors))
}

fn main() {
    let _ = app();
    println!("allowed origins: {ALLOWED_ORIGINS:?}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::HeaderMap;
    use tower::ServiceExt;

    const TRUSTED: [&str; 2] = ["https://app.example.com", "https://admin.example.com"];

    /// Origins that must get no CORS grant, and why each is a trap.
    const UNTRUSTED: [(&str, &str); 11] = [
        ("https://evil.net", "an attacker's site"),
        (
            "null",
            "the origin of sandboxed iframes, data: URLs and file://, any page can send it",
        ),
        (
            "https://app.example.com.evil.net",
            "starts with a trusted origin",
        ),
        ("https://example.com.evil.net", "contains example.com"),
        ("https://evilapp.example.com", "ends with app.example.com"),
        (
            "https://blog.example.com",
            "another subdomain, not one of ours to trust",
        ),
        ("https://notexample.com", "ends with example.com"),
        (
            "http://app.example.com",
            "plain http: anyone on the network can be that origin",
        ),
        (
            "https://app.example.com:8443",
            "another port is another origin",
        ),
        (
            "https://admin.example.com.",
            "a trailing dot is another host name",
        ),
        (
            "https://app-example.com",
            "a dash where the dot was: another domain",
        ),
    ];

    async fn send(
        method: Method,
        origin: Option<&str>,
        preflight: bool,
    ) -> (StatusCode, HeaderMap) {
        let mut req = Request::builder().method(method).uri("/api/me");
        if let Some(origin) = origin {
            req = req.header(header::ORIGIN, origin);
        }
        if preflight {
            req = req
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "DELETE")
                .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type");
        }
        let resp = app()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .expect("the router itself cannot fail");
        (resp.status(), resp.headers().clone())
    }

    fn header_of(headers: &HeaderMap, name: header::HeaderName) -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("<not text>").to_string())
            .collect()
    }

    fn assert_granted(headers: &HeaderMap, origin: &str, what: &str) {
        assert_eq!(
            header_of(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            [origin],
            "{what} from our own front-end {origin}: Access-Control-Allow-Origin must be \
             exactly that origin (`*` is not allowed with credentials)"
        );
        assert_eq!(
            header_of(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
            ["true"],
            "{what} from {origin}: Access-Control-Allow-Credentials: true is needed for the \
             session cookie"
        );
        let vary = header_of(headers, header::VARY)
            .join(",")
            .to_ascii_lowercase();
        assert!(
            vary.contains("origin"),
            "{what} from {origin}: the answer depends on Origin, so it must carry Vary: Origin \
             (or a cache hands one origin's grant to another)"
        );
    }

    fn assert_not_granted(headers: &HeaderMap, origin: &str, why: &str, what: &str) {
        let allow = header_of(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN);
        let creds = header_of(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
        assert!(
            allow.is_empty() && creds.is_empty(),
            "{what} from Origin {origin} ({why}) was granted Access-Control-Allow-Origin \
             {allow:?}, Allow-Credentials {creds:?}: that page can now read the API's answers \
             as the signed-in user. Compare the whole origin with the allow-list"
        );
    }

    #[tokio::test]
    async fn trusted_origins_are_granted() {
        for origin in TRUSTED {
            let (status, headers) = send(Method::OPTIONS, Some(origin), true).await;
            assert!(
                status.is_success(),
                "the preflight from {origin} answered {status}: the browser would block the call"
            );
            assert_granted(&headers, origin, "the preflight");
            let methods = header_of(&headers, header::ACCESS_CONTROL_ALLOW_METHODS).join(",");
            assert!(
                methods.contains("DELETE"),
                "the preflight from {origin} must allow DELETE, got {methods:?}"
            );
            let (status, headers) = send(Method::GET, Some(origin), false).await;
            assert_eq!(status, StatusCode::OK, "GET /api/me from {origin} failed");
            assert_granted(&headers, origin, "GET /api/me");
        }
    }

    #[tokio::test]
    async fn untrusted_origins_get_no_grant() {
        for (origin, why) in UNTRUSTED {
            let (_, headers) = send(Method::OPTIONS, Some(origin), true).await;
            assert_not_granted(&headers, origin, why, "the preflight");
            let (_, headers) = send(Method::GET, Some(origin), false).await;
            assert_not_granted(&headers, origin, why, "GET /api/me");
        }
    }

    #[tokio::test]
    async fn requests_without_origin_still_work() {
        let (status, headers) = send(Method::GET, None, false).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a same-origin or server-to-server GET (no Origin header) must still work"
        );
        assert!(
            headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "a request without Origin needs no CORS grant"
        );
    }
}
