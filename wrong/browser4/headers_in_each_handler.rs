// wrong fix: adds the headers to every handler's answer, errors included: the answers no handler writes (extractor rejections, the router's 404 and 405) still go out without them, and so will the next handler's
// browser4: security headers on every response, errors and 404s included.
//
// `security_headers` lists what each answer of this site must carry: a Content-Security-
// Policy (only our own scripts; `frame-ancestors 'none'` so no other site can frame a page
// and trick clicks on it), `X-Content-Type-Options: nosniff` (no guessing a script out of
// a text answer) and a Referrer-Policy (no full URLs leaked to other sites). Only the home
// page sends them. Error pages, 404s and rejected requests need them most: they echo the
// request back. Add them to every response with one layer, not in each handler.

use axum::extract::Path;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The headers every response of this site must carry.
fn security_headers() -> [(HeaderName, &'static str); 3] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ]
}

#[derive(Serialize, Deserialize)]
struct Item {
    id: u32,
    name: String,
}

async fn index() -> impl IntoResponse {
    (security_headers(),
    Html("<h1>Shop</h1><a href=\"/api/items/1\">item 1</a>"))
}

async fn get_item(Path(id): Path<u32>) -> impl IntoResponse {
    match id {
        1 => (
            security_headers(),
            Ok(Json(Item {
                id,
                name: "kettle".to_string(),
            })),
        ),
        _ => (security_headers(), Err(StatusCode::NOT_FOUND)),
    }
}

async fn create_item(Json(item): Json<Item>) -> impl IntoResponse {
    (StatusCode::CREATED, security_headers(), Json(item))
}

async fn report() -> impl IntoResponse {
    // The reporting database is down.
    (StatusCode::INTERNAL_SERVER_ERROR, security_headers())
}

fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/items", axum::routing::post(create_item))
        .route("/api/items/{id}", get(get_item))
        .route("/api/report", get(report))
}

fn main() {
    let _ = app();
    for (name, value) in security_headers() {
        println!("{name}: {value}");
    }
}

