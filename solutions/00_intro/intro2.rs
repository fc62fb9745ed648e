// intro2: your first axum handler.
//
// An axum handler is an `async fn` whose return value becomes the HTTP response: a
// `&'static str` becomes `200 OK` with a `text/plain; charset=utf-8` body. A load balancer
// probes `GET /health` and routes traffic here only when the body is exactly `ok`, but
// `health` still returns its placeholder. The tests call the router in-process with
// `tower::ServiceExt::oneshot` (no socket). Make `health` return what the probe expects.

use axum::{Router, routing::get};

async fn health() -> &'static str {
    "ok"
}

fn app() -> Router {
    Router::new().route("/health", get(health))
}

fn main() {
    // The tests drive the router; building it here checks that the routes are valid.
    let _app = app();
    println!("GET /health is routed to `health`");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    async fn get_health() -> (StatusCode, String, String) {
        let request = Request::get("/health").body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn health_answers_ok() {
        let (status, content_type, body) = get_health().await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/plain; charset=utf-8");
        assert_eq!(body, "ok", "the load balancer's probe expects exactly `ok`");
    }

    #[tokio::test]
    async fn unknown_path_is_404() {
        let request = Request::get("/healthz").body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
