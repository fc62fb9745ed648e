// wrong fix: builds Location from the number of articles before this one was added: off by one, it names the previous article
// json2: a create endpoint answers 201 Created with a Location header.
//
// HTTP has a precise answer for a request that creates a resource (RFC 9110 §15.3.2):
// status 201 Created, and a `Location` header holding the URL of the new resource, so the
// client can fetch it without guessing how URLs are built. `POST /articles` answers a
// plain 200 with no Location. Return the status, the header and the JSON body together
// (a tuple of them implements `IntoResponse`).

// API contract:
//   POST /articles {"title": "...", "body": "..."} -> 201, Location: /articles/{id}, the article
//   GET  /articles/{id}                            -> 200 the article, 404 if there is none

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
struct Article {
    id: u64,
    title: String,
    body: String,
}

#[derive(Deserialize)]
struct NewArticle {
    title: String,
    body: String,
}

type Articles = Arc<Mutex<Vec<Article>>>;

async fn create_article(
    State(articles): State<Articles>,
    Json(new): Json<NewArticle>,
) -> impl IntoResponse {
    let mut articles = articles.lock().unwrap();
    let location = format!("/articles/{}", articles.len());
    let article = Article {
        id: articles.len() as u64 + 1,
        title: new.title,
        body: new.body,
    };
    articles.push(article.clone());
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(article),
    )
}

async fn get_article(
    State(articles): State<Articles>,
    Path(id): Path<u64>,
) -> Result<Json<Article>, StatusCode> {
    let articles = articles.lock().unwrap();
    let article = articles.iter().find(|a| a.id == id);
    article.cloned().map(Json).ok_or(StatusCode::NOT_FOUND)
}

fn app() -> Router {
    Router::new()
        .route("/articles", post(create_article))
        .route("/articles/{id}", get(get_article))
        .with_state(Articles::default())
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app();
}

