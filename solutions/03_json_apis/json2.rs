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
    let article = Article {
        id: articles.len() as u64 + 1,
        title: new.title,
        body: new.body,
    };
    articles.push(article.clone());
    let location = format!("/articles/{}", article.id);
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::response::Parts;
    use axum::http::{Request, header};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn send(app: &Router, req: Request<Body>) -> (Parts, Value) {
        let resp = app.clone().oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts, json)
    }

    fn create(title: &str) -> Request<Body> {
        Request::post("/articles")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"title": title, "body": "Lorem ipsum."}).to_string(),
            ))
            .unwrap()
    }

    fn location(parts: &Parts) -> String {
        parts
            .headers
            .get(header::LOCATION)
            .expect("the 201 response has no Location header: the client cannot tell where the new article lives")
            .to_str()
            .expect("the Location header must be text")
            .to_string()
    }

    #[tokio::test]
    async fn create_answers_201_created() {
        let app = app();
        let (parts, article) = send(&app, create("Hello")).await;
        assert_eq!(
            parts.status,
            StatusCode::CREATED,
            "a create must answer 201 Created, not 200: clients and caches rely on it"
        );
        assert_eq!(
            article,
            json!({"id": 1, "title": "Hello", "body": "Lorem ipsum."}),
            "the 201 response still carries the new article as JSON"
        );
        assert_eq!(
            location(&parts),
            "/articles/1",
            "the first article is /articles/1: Location names the article just created"
        );
    }

    #[tokio::test]
    async fn location_points_at_the_new_article() {
        let app = app();
        for (n, title) in ["First", "Second", "Third"].into_iter().enumerate() {
            let (parts, created) = send(&app, create(title)).await;
            let location = location(&parts);
            assert_eq!(
                location,
                format!("/articles/{}", n + 1),
                "article number {} must be at /articles/{}: Location is built from the new \
                 article's id",
                n + 1,
                n + 1
            );

            // A client follows the Location header instead of building URLs itself.
            let follow = Request::get(location.as_str()).body(Body::empty()).unwrap();
            let (parts, fetched) = send(&app, follow).await;
            assert_eq!(
                parts.status,
                StatusCode::OK,
                "following Location ({location}) must find the article"
            );
            assert_eq!(
                fetched, created,
                "following Location ({location}) must give the article that was just created"
            );
        }
    }
}
