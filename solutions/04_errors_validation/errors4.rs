// errors4: limit request bodies, per route.
//
// Avatar uploads (up to 5 MiB) hit axum's default 2 MiB body limit, so someone "fixed"
// it with `DefaultBodyLimit::disable()` on the whole router. Now a client can post a
// gigabyte of JSON to the comments endpoint, and the server buffers and parses all of it
// before any validation runs (OWASP A04:2021 Insecure Design). Give each route the limit
// its contract states: bodies over it are answered 413 Content Too Large before they are
// read in full.

// API contract:
//   POST /comments {"text": "..."} -> 201 {"id", "text"}; text longer than 1000
//                                     characters -> 422; body over 16 KiB -> 413
//   PUT  /avatar   (image bytes)   -> 200 {"bytes": N}; body over 5 MiB -> 413

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const COMMENT_BODY_LIMIT: usize = 16 * 1024;
const AVATAR_BODY_LIMIT: usize = 5 * 1024 * 1024;
const MAX_COMMENT_CHARS: usize = 1000;

#[derive(Deserialize)]
struct NewComment {
    text: String,
}

#[derive(Clone, Serialize)]
struct Comment {
    id: usize,
    text: String,
}

#[derive(Clone, Default)]
struct AppState {
    comments: Arc<Mutex<Vec<Comment>>>,
    avatar: Arc<Mutex<Bytes>>,
}

async fn create_comment(
    State(state): State<AppState>,
    Json(new): Json<NewComment>,
) -> Result<(StatusCode, Json<Comment>), StatusCode> {
    if new.text.chars().count() > MAX_COMMENT_CHARS {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut comments = state.comments.lock().unwrap();
    let comment = Comment {
        id: comments.len() + 1,
        text: new.text,
    };
    comments.push(comment.clone());
    Ok((StatusCode::CREATED, Json(comment)))
}

async fn upload_avatar(State(state): State<AppState>, image: Bytes) -> Json<Value> {
    let bytes = image.len();
    *state.avatar.lock().unwrap() = image;
    Json(json!({"bytes": bytes}))
}

fn app() -> Router {
    Router::new()
        .route(
            "/comments",
            post(create_comment).layer(DefaultBodyLimit::max(COMMENT_BODY_LIMIT)),
        )
        .route(
            "/avatar",
            put(upload_avatar).layer(DefaultBodyLimit::max(AVATAR_BODY_LIMIT)),
        )
        .with_state(AppState::default())
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
    use axum::http::{Request, header};
    use tower::ServiceExt;

    async fn status_of(req: Request<Body>) -> StatusCode {
        app().oneshot(req).await.unwrap().status()
    }

    fn comment_of(text: &str) -> Request<Body> {
        Request::post("/comments")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"text": text}).to_string()))
            .unwrap()
    }

    fn avatar_of(len: usize) -> Request<Body> {
        Request::put("/avatar")
            .header(header::CONTENT_TYPE, "image/png")
            .body(Body::from(vec![0x89_u8; len]))
            .unwrap()
    }

    #[tokio::test]
    async fn ordinary_comments_are_accepted() {
        assert_eq!(
            status_of(comment_of("Nice post!")).await,
            StatusCode::CREATED
        );
        let long_but_valid = "a".repeat(MAX_COMMENT_CHARS);
        assert_eq!(
            status_of(comment_of(&long_but_valid)).await,
            StatusCode::CREATED
        );
    }

    #[tokio::test]
    async fn oversized_comment_body_is_refused_with_413() {
        // The attack: a 64 KiB comment (think 1 GiB). Validation would reject it with a
        // 422, but only after the server has buffered and parsed all of it.
        let huge = "a".repeat(64 * 1024);
        assert_eq!(
            status_of(comment_of(&huge)).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "a 64 KiB body on /comments must be refused before it is read in full"
        );
    }

    #[tokio::test]
    async fn avatars_up_to_5_mib_are_accepted() {
        let three_mib = 3 * 1024 * 1024;
        let resp = app().oneshot(avatar_of(three_mib)).await.unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "a 3 MiB avatar must be accepted"
        );
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body, json!({"bytes": three_mib}));
    }

    #[tokio::test]
    async fn avatars_over_5_mib_are_refused_with_413() {
        assert_eq!(
            status_of(avatar_of(6 * 1024 * 1024)).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "a 6 MiB avatar is over the 5 MiB limit"
        );
    }
}
