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
        .route("/comments", post(create_comment))
        .route("/avatar", put(upload_avatar))
        // TODO: a limit per route instead of no limit at all.
        .layer(DefaultBodyLimit::disable())
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
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tower::ServiceExt;

    /// Counts the bytes allocated on each thread, so a test can see how much memory the
    /// server spent on a request (the tests' runtime runs client and server on one thread).
    struct CountingAllocator;

    thread_local! {
        static ALLOCATED: Cell<usize> = const { Cell::new(0) };
    }

    fn count(bytes: usize) {
        let _ = ALLOCATED.try_with(|n| n.set(n.get().saturating_add(bytes)));
    }

    // SAFETY: every call is passed on to the system allocator unchanged.
    unsafe impl GlobalAlloc for CountingAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count(layout.size());
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count(new_size.saturating_sub(layout.size()));
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: CountingAllocator = CountingAllocator;

    fn allocated() -> usize {
        ALLOCATED.with(Cell::get)
    }

    /// Sends `body` to the app over a real socket, as an attacker would, and returns how
    /// many bytes were allocated on this thread (client and server) until the exchange ended.
    async fn bytes_allocated_for(method: &str, path: &str, body: &[u8]) -> usize {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app()).await });
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let mut response = Vec::with_capacity(64 * 1024);
        let before = allocated();
        let exchange = async {
            let send = async {
                // The server may answer 413 and hang up before taking it all: that's the point.
                let _ = writer.write_all(head.as_bytes()).await;
                let _ = writer.write_all(body).await;
                let _ = writer.shutdown().await;
            };
            let receive = async {
                let _ = reader.read_to_end(&mut response).await;
            };
            tokio::join!(send, receive);
        };
        tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .expect("the exchange with the server did not finish");
        let used = allocated() - before;
        server.abort();
        used
    }

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
            StatusCode::CREATED,
            "an ordinary comment is created"
        );
        let long_but_valid = "a".repeat(MAX_COMMENT_CHARS);
        assert_eq!(
            status_of(comment_of(&long_but_valid)).await,
            StatusCode::CREATED,
            "a comment of exactly 1000 characters is created"
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
        let body: Value = serde_json::from_slice(&bytes).expect("the answer is JSON");
        assert_eq!(
            body,
            json!({"bytes": three_mib}),
            "the size of the stored avatar"
        );
    }

    #[tokio::test]
    async fn each_limit_is_exactly_the_contract() {
        // A body of exactly 16 KiB is read (and its too-long text refused with 422); one
        // byte more is not read at all.
        let exactly = |len: usize| {
            let text = "a".repeat(len - r#"{"text":""}"#.len());
            comment_of(&text)
        };
        assert_eq!(
            status_of(exactly(16 * 1024)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a 16 KiB comment body is within the limit: it is read, then validated (422)"
        );
        assert_eq!(
            status_of(exactly(16 * 1024 + 1)).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "16 KiB + 1 byte is over the comment limit"
        );
        assert_eq!(
            status_of(avatar_of(5 * 1024 * 1024)).await,
            StatusCode::OK,
            "a 5 MiB avatar is within the limit"
        );
        assert_eq!(
            status_of(avatar_of(5 * 1024 * 1024 + 1)).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "5 MiB + 1 byte is over the avatar limit"
        );
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused_before_they_are_read() {
        // The attack, over a real socket: bodies far over each limit. Refusing them after
        // reading them (a length check in the handler) costs the server all that memory.
        let comment = vec![b'a'; 8 * 1024 * 1024];
        let used = bytes_allocated_for("POST", "/comments", &comment).await;
        assert!(
            used < 2 * 1024 * 1024,
            "the server allocated {used} bytes for an 8 MiB comment body it should refuse \
             after 16 KiB: the limit must stop the read, not judge the body once it's in"
        );
        let avatar = vec![0x89_u8; 32 * 1024 * 1024];
        let used = bytes_allocated_for("PUT", "/avatar", &avatar).await;
        assert!(
            used < 12 * 1024 * 1024,
            "the server allocated {used} bytes for a 32 MiB avatar it should refuse after \
             5 MiB: the limit must stop the read, not judge the body once it's in"
        );
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
