// wrong fix: per-route limits, but in round decimal numbers (10 000 and 5 000 000 bytes) instead of the contract's 16 KiB and 5 MiB; valid requests near the limit are refused
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
            post(create_comment).layer(DefaultBodyLimit::max(10_000)),
        )
        .route(
            "/avatar",
            put(upload_avatar).layer(DefaultBodyLimit::max(5_000_000)),
        )

        .with_state(AppState::default())
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app();
}

