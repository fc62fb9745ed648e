// wrong fix: keeps OFFSET but pins it to a snapshot (`max_id` = the newest id when the first page was read): new posts no longer shift the pages, but deleted ones still do, and the database still reads every skipped row
// json6: offset pagination breaks on a feed that changes; use a keyset cursor.
//
// `GET /feed` lists posts newest first, and its `next` link says "skip the first 10". If
// 3 posts are published while the user reads page 1, page 2 starts with 3 posts they have
// already seen (and deletions make posts vanish). Make `next` a cursor instead: "posts
// older than the last one on this page" (`before=<id>`), which stays correct however many
// posts arrive, and which an index answers without scanning all the skipped rows.

// API contract:
//   GET  /feed?limit=N[&cursor params] -> 200 {"items": [{"id", "text"}...], "next": "/feed?..." | null}
//        items newest (highest id) first; `next` is null on the last page
//   POST /posts {"text": "..."}        -> 201 the new post
//   DELETE /posts/{id}                 -> 204, 404 if there is none

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

type Db = Arc<Mutex<Connection>>;

#[derive(Serialize)]
struct Post {
    id: i64,
    text: String,
}

#[derive(Deserialize)]
struct NewPost {
    text: String,
}

#[derive(Deserialize)]
struct FeedParams {
    limit: Option<i64>,
    offset: Option<i64>,
    max_id: Option<i64>,
}

#[derive(Serialize)]
struct FeedPage {
    items: Vec<Post>,
    next: Option<String>,
}

fn internal<E>(_: E) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn feed(
    State(db): State<Db>,
    Query(params): Query<FeedParams>,
) -> Result<Json<FeedPage>, StatusCode> {
    let limit = params.limit.unwrap_or(10).clamp(1, 50);
    let offset = params.offset.unwrap_or(0).max(0);

    let conn = db.lock().unwrap();
    let max_id: i64 = match params.max_id {
        Some(id) => id,
        None => conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM posts", [], |r| r.get(0))
            .map_err(internal)?,
    };
    let mut stmt = conn
        .prepare("SELECT id, text FROM posts WHERE id <= ?3 ORDER BY id DESC LIMIT ?1 OFFSET ?2")
        .map_err(internal)?;
    let items = stmt
        .query_map([limit, offset, max_id], |r| {
            Ok(Post {
                id: r.get(0)?,
                text: r.get(1)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(internal)?;

    let next = match items.last() {
        Some(_) if items.len() as i64 == limit => {
            Some(format!(
                "/feed?limit={limit}&offset={}&max_id={max_id}",
                offset + limit
            ))
        }
        _ => None,
    };
    Ok(Json(FeedPage { items, next }))
}

async fn publish(
    State(db): State<Db>,
    Json(new): Json<NewPost>,
) -> Result<(StatusCode, Json<Post>), StatusCode> {
    let conn = db.lock().unwrap();
    conn.execute("INSERT INTO posts (text) VALUES (?1)", [&new.text])
        .map_err(internal)?;
    let post = Post {
        id: conn.last_insert_rowid(),
        text: new.text,
    };
    Ok((StatusCode::CREATED, Json(post)))
}

async fn unpublish(State(db): State<Db>, Path(id): Path<i64>) -> Result<StatusCode, StatusCode> {
    let conn = db.lock().unwrap();
    match conn.execute("DELETE FROM posts WHERE id = ?1", [id]) {
        Ok(0) => Err(StatusCode::NOT_FOUND),
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(internal(e)),
    }
}

fn app() -> Router {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
        INSERT INTO posts (id, text) SELECT i, 'post ' || i FROM n;",
    )
    .unwrap();
    Router::new()
        .route("/feed", get(feed))
        .route("/posts", post(publish))
        .route("/posts/{id}", delete(unpublish))
        .with_state(Arc::new(Mutex::new(conn)))
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app();
}

