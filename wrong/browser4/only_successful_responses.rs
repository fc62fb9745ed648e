// wrong fix: a layer that adds the headers only when the status is a success: the 404, 400, 415 and 500 pages, which echo the request and are the easiest to abuse, stay unprotected
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

/// Adds the security headers to a response.
async fn with_security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    if resp.status().is_success() {
        for (name, value) in security_headers() {
            resp.headers_mut()
                .insert(name, axum::http::HeaderValue::from_static(value));
        }
    }
    resp
}

async fn index() -> impl IntoResponse {
    Html("<h1>Shop</h1><a href=\"/api/items/1\">item 1</a>")
}

async fn get_item(Path(id): Path<u32>) -> Result<Json<Item>, StatusCode> {
    match id {
        1 => Ok(Json(Item {
            id,
            name: "kettle".to_string(),
        })),
        _ => Err(StatusCode::NOT_FOUND),
    }
}

async fn create_item(Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    (StatusCode::CREATED, Json(item))
}

async fn report() -> Result<String, StatusCode> {
    // The reporting database is down.
    Err(StatusCode::INTERNAL_SERVER_ERROR)
}

fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/items", axum::routing::post(create_item))
        .route("/api/items/{id}", get(get_item))
        .route("/api/report", get(report))
        .layer(axum::middleware::map_response(with_security_headers))
}

fn main() {
    let _ = app();
    for (name, value) in security_headers() {
        println!("{name}: {value}");
    }
}

