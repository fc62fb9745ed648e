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
    // TODO: the ETag never changes when the article does, If-None-Match is ignored, and
    // clients may reuse their copy for an hour without asking.
    let _ = headers;
    (
        [
            (header::ETAG, format!("\"article-{id}\"")),
            (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        ],
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, Bytes, to_bytes};
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    fn store() -> Store {
        let mut articles = HashMap::new();
        for (id, title) in [(1, "Draft"), (2, "Notes")] {
            articles.insert(
                id,
                Article {
                    title: title.to_string(),
                    body: "Conditional requests save bandwidth.".to_string(),
                },
            );
        }
        Arc::new(Mutex::new(articles))
    }

    async fn get(
        store: &Store,
        path: &str,
        if_none_match: Option<&str>,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let mut request = Request::get(path);
        if let Some(tags) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tags);
        }
        let response = app(Arc::clone(store))
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, body)
    }

    async fn put(store: &Store, path: &str, article: Value) {
        let response = app(Arc::clone(store))
            .oneshot(
                Request::put(path)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(article.to_string()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "PUT must store the article"
        );
    }

    fn header_of<'h>(headers: &'h HeaderMap, name: &header::HeaderName) -> &'h str {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The ETag of a 200 answer, checked to be a strong, quoted entity tag.
    async fn etag_of_article(store: &Store, path: &str) -> String {
        let (status, headers, _) = get(store, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path} must answer 200");
        let etag = header_of(&headers, &header::ETAG).to_string();
        assert!(
            etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
            "GET {path} must send an ETag header, a strong entity tag in double quotes \
             (like \"3f2a...\"), got {etag:?}"
        );
        etag
    }

    fn assert_cache_control(headers: &HeaderMap, what: &str) {
        let value = header_of(headers, &header::CACHE_CONTROL).to_ascii_lowercase();
        let directives: Vec<&str> = value.split(',').map(str::trim).collect();
        let revalidates = directives.contains(&"no-cache")
            || (directives.contains(&"max-age=0") && directives.contains(&"must-revalidate"));
        assert!(
            revalidates && !directives.contains(&"no-store"),
            "{what} must send Cache-Control: no-cache (keep a copy, but ask with its ETag \
             before every reuse), got {value:?}: a max-age lets clients reuse an outdated \
             copy without asking, no-store forbids the copy that an ETag revalidates"
        );
    }

    #[tokio::test]
    async fn get_sends_the_article_an_etag_and_cache_control() {
        let store = store();
        let (status, headers, body) = get(&store, "/articles/1", None).await;
        assert_eq!(status, StatusCode::OK, "GET /articles/1 must answer 200");
        let article: Value =
            serde_json::from_slice(&body).expect("GET /articles/1 must answer JSON");
        assert_eq!(
            article,
            json!({ "title": "Draft", "body": "Conditional requests save bandwidth." }),
            "GET /articles/1 must answer the article"
        );
        etag_of_article(&store, "/articles/1").await;
        assert_cache_control(&headers, "GET /articles/1");
    }

    #[tokio::test]
    async fn a_matching_if_none_match_gets_304_without_a_body() {
        let store = store();
        let etag = etag_of_article(&store, "/articles/1").await;
        let (status, headers, body) = get(&store, "/articles/1", Some(&etag)).await;
        assert_eq!(
            status,
            StatusCode::NOT_MODIFIED,
            "If-None-Match with the article's current ETag must answer 304 Not Modified: \
             the client's copy is still good"
        );
        assert!(
            body.is_empty(),
            "a 304 must have no body (that is the bandwidth it saves), got {} bytes",
            body.len()
        );
        assert_eq!(
            header_of(&headers, &header::ETAG),
            etag,
            "a 304 must repeat the ETag, so that the client keeps the right validator"
        );
        assert_cache_control(&headers, "a 304");
    }

    #[tokio::test]
    async fn weak_listed_and_star_validators_match() {
        let store = store();
        let etag = etag_of_article(&store, "/articles/1").await;
        let cases = [
            (format!("W/{etag}"), "a weak tag (W/\"...\")"),
            (
                format!("\"0123456789abcdef\", {etag}"),
                "a list that contains the current tag",
            ),
            ("*".to_string(), "`*` (any current version)"),
        ];
        for (tags, what) in cases {
            let (status, _, body) = get(&store, "/articles/1", Some(&tags)).await;
            assert_eq!(
                status,
                StatusCode::NOT_MODIFIED,
                "If-None-Match: {tags} must answer 304: it is {what}, and If-None-Match \
                 uses the weak comparison (RFC 9110, 13.1.2)"
            );
            assert!(body.is_empty(), "a 304 must have no body");
        }
    }

    #[tokio::test]
    async fn a_changed_article_gets_a_new_etag_and_the_new_body() {
        let store = store();
        let old = etag_of_article(&store, "/articles/1").await;
        // Same length, same body, one word changed.
        put(
            &store,
            "/articles/1",
            json!({ "title": "Final", "body": "Conditional requests save bandwidth." }),
        )
        .await;
        let (status, headers, body) = get(&store, "/articles/1", Some(&old)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "after an edit, the old ETag must no longer match: the client must get the new \
             version, not a 304 for its outdated copy (derive the ETag from the body's bytes)"
        );
        let article: Value = serde_json::from_slice(&body).expect("the answer must be JSON");
        assert_eq!(
            article["title"], "Final",
            "after an edit, GET must answer the edited article"
        );
        let new = header_of(&headers, &header::ETAG).to_string();
        assert_ne!(new, old, "an edited article must get a new ETag");
        let (status, _, _) = get(&store, "/articles/1", Some(&new)).await;
        assert_eq!(
            status,
            StatusCode::NOT_MODIFIED,
            "the new ETag must match the edited article (the same bytes give the same ETag)"
        );
    }

    #[tokio::test]
    async fn other_tags_get_the_full_article() {
        let store = store();
        let etag = etag_of_article(&store, "/articles/1").await;
        let other = etag_of_article(&store, "/articles/2").await;
        let inner = etag.trim_matches('"');
        for tags in [
            other.clone(),
            "\"0123456789abcdef\"".to_string(),
            format!("\"{}\"", &inner[..inner.len() - 1]),
            format!("\"x{inner}\""),
        ] {
            let (status, _, body) = get(&store, "/articles/1", Some(&tags)).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "If-None-Match: {tags} does not name the current ETag {etag}, so GET must \
                 answer 200 with the article (compare whole tags, not a prefix or substring)"
            );
            assert!(!body.is_empty(), "a 200 must carry the article");
        }
    }

    #[tokio::test]
    async fn a_missing_article_is_404_even_with_star() {
        let store = store();
        let (status, _, _) = get(&store, "/articles/99", Some("*")).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "If-None-Match: * matches only an article that exists; a missing one is 404"
        );
    }
}
