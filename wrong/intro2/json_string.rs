// wrong fix: answers with `Json("ok")`: the body is `"ok"` with quotes and the content type is JSON, not the plain `ok` the probe expects
// intro2: your first axum handler.
//
// An axum handler is an `async fn` whose return value becomes the HTTP response: a
// `&'static str` becomes `200 OK` with a `text/plain; charset=utf-8` body. A load balancer
// probes `GET /health` and routes traffic here only when the body is exactly `ok`, but
// `health` still returns its placeholder. The tests call the router in-process with
// `tower::ServiceExt::oneshot` (no socket). Make `health` return what the probe expects.

use axum::{Json, Router, routing::get};

async fn health() -> Json<&'static str> {
    Json("ok")
}

fn app() -> Router {
    Router::new().route("/health", get(health))
}

fn main() {
    // The tests drive the router; building it here checks that the routes are valid.
    let _app = app();
    println!("GET /health is routed to `health`");
}

