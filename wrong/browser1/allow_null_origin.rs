// wrong fix: exact allow-list plus the origin "null" (to make a local file:// page work): any attacker page can send Origin: null from a sandboxed iframe
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
const ALLOWED_ORIGINS: [&str; 2] = ["https://app.example.com", "https://admin.example.com"];

async fn cors(req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|origin| {
            origin.as_bytes() == b"null"
                || ALLOWED_ORIGINS.iter().any(|ok| origin.as_bytes() == ok.as_bytes())
        })
        .cloned();
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

