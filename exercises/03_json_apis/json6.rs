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
    // TODO: page with a cursor (the last id already seen) instead of an offset.
    let offset = params.offset.unwrap_or(0).max(0);

    let conn = db.lock().unwrap();
    let mut stmt = conn
        .prepare("SELECT id, text FROM posts ORDER BY id DESC LIMIT ?1 OFFSET ?2")
        .map_err(internal)?;
    let items = stmt
        .query_map([limit, offset], |r| {
            Ok(Post {
                id: r.get(0)?,
                text: r.get(1)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(internal)?;

    let next = match items.last() {
        Some(_) if items.len() as i64 == limit => {
            Some(format!("/feed?limit={limit}&offset={}", offset + limit))
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, header};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get_page(app: &Router, url: &str) -> (Vec<i64>, Option<String>) {
        let req = Request::get(url).body(Body::empty()).unwrap();
        let (status, page) = send(app, req).await;
        assert_eq!(status, StatusCode::OK, "GET {url} must succeed: {page}");
        let items = page["items"]
            .as_array()
            .expect("the page must have an `items` array");
        let ids = items
            .iter()
            .map(|p| p["id"].as_i64().expect("every post has a numeric id"))
            .collect();
        (ids, page["next"].as_str().map(String::from))
    }

    async fn publish(app: &Router, text: &str) {
        let req = Request::post("/posts")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"text": text}).to_string()))
            .unwrap();
        assert_eq!(
            send(app, req).await.0,
            StatusCode::CREATED,
            "POST /posts must publish the post (201)"
        );
    }

    async fn unpublish(app: &Router, id: i64) {
        let req = Request::delete(format!("/posts/{id}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            send(app, req).await.0,
            StatusCode::NO_CONTENT,
            "DELETE /posts/{id} must delete the post (204)"
        );
    }

    #[tokio::test]
    async fn first_page_is_newest_first() {
        let (ids, next) = get_page(&app(), "/feed?limit=10").await;
        assert_eq!(
            ids,
            (41..=50).rev().collect::<Vec<_>>(),
            "the first page holds the 10 newest posts, newest first"
        );
        assert!(next.is_some(), "the first page must link to the next one");
    }

    #[tokio::test]
    async fn new_posts_do_not_shift_the_next_page() {
        let app = app();
        let (page1, next) = get_page(&app, "/feed?limit=10").await;
        // While the user reads page 1, three posts are published.
        for text in ["breaking", "news", "again"] {
            publish(&app, text).await;
        }
        let (page2, _) = get_page(&app, &next.expect("page 1 must link to page 2")).await;
        let repeated: Vec<_> = page2.iter().filter(|id| page1.contains(id)).collect();
        assert!(
            repeated.is_empty(),
            "page 2 repeats posts {repeated:?} from page 1 (page 2 was {page2:?}): the next \
             link counts rows from the top, and the top moved"
        );
        assert_eq!(
            page2,
            (31..=40).rev().collect::<Vec<_>>(),
            "page 2 must continue right after the last post of page 1"
        );
    }

    #[tokio::test]
    async fn deleted_posts_do_not_shift_the_next_page() {
        let app = app();
        let (_, next) = get_page(&app, "/feed?limit=10").await;
        // While the user reads page 1, two of its posts are deleted.
        for id in [45, 44] {
            unpublish(&app, id).await;
        }
        let (fresh, _) = get_page(&app, "/feed?limit=10").await;
        assert_eq!(
            fresh,
            [50, 49, 48, 47, 46, 43, 42, 41, 40, 39],
            "a fresh first page must no longer show the deleted posts 45 and 44"
        );
        let (page2, _) = get_page(&app, &next.expect("page 1 must link to page 2")).await;
        assert_eq!(
            page2,
            (31..=40).rev().collect::<Vec<_>>(),
            "after two posts of page 1 were deleted, page 2 must still start right after the \
             last post the user saw (41); a position counted from the top (an offset, even \
             one anchored at a snapshot) now skips posts the user never saw"
        );
    }

    #[tokio::test]
    async fn following_next_walks_the_whole_feed_once() {
        let app = app();
        let mut seen = Vec::new();
        let mut url = Some("/feed?limit=7".to_string());
        let mut pages = 0;
        while let Some(u) = url {
            pages += 1;
            assert!(pages <= 20, "the `next` links never end (last: {u})");
            let (ids, next) = get_page(&app, &u).await;
            seen.extend(ids);
            url = next;
        }
        assert_eq!(
            seen,
            (1..=50).rev().collect::<Vec<_>>(),
            "following `next` from the first page must list every post exactly once, newest \
             first"
        );
    }
}
