// wrong fix: compares the whole If-None-Match header with the ETag: a weak W/ tag, a list of tags or * never match, so those clients download the article every time
// cache1: conditional GET with ETag, If-None-Match and 304 Not Modified.
//
// Clients poll `GET /articles/{id}`, and each poll downloads the whole article again. Let
// them revalidate instead: send a strong `ETag` derived from the bytes of the body (so it
// changes whenever the article does: a SHA-256 with the `sha2` crate, in hex, in quotes),
// answer `304 Not Modified` with an empty body (and the same ETag and Cache-Control) when
// the request's `If-None-Match` matches it, and send `Cache-Control: no-cache`, which lets a
// client keep a copy but makes it ask before every reuse. `max-age=3600` trusts a copy for
// an hour, edited or not. If-None-Match may list several tags, `W/` tags, or `*`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Clone, Serialize, Deserialize)]
struct Article {
    title: String,
    body: String,
}

type Store = Arc<Mutex<HashMap<u64, Article>>>;

fn app(store: Store) -> Router {
    Router::new()
        .route("/articles/{id}", get(get_article).put(put_article))
        .with_state(store)
}

async fn put_article(
    State(store): State<Store>,
    Path(id): Path<u64>,
    Json(article): Json<Article>,
) -> StatusCode {
    store.lock().unwrap().insert(id, article);
    StatusCode::NO_CONTENT
}

async fn get_article(
    State(store): State<Store>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let Some(article) = store.lock().unwrap().get(&id).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = serde_json::to_vec(&article).unwrap();
    let digest = Sha256::digest(&body);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    let etag = format!("\"{hex}\"");
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let validators = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_string()),
    ];
    if if_none_match == etag {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    (
        validators,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn main() {
    let mut articles = HashMap::new();
    articles.insert(
        1,
        Article {
            title: "Caching".to_string(),
            body: "ETags let clients revalidate.".to_string(),
        },
    );
    let _ = app(Arc::new(Mutex::new(articles)));
    println!("GET /articles/{{id}} answers 304 when If-None-Match names its ETag");
}

