// realtime2: a long-poll that waits without holding the database.
//
// `GET /messages?after=N` answers at once with the messages whose id is above N or, if
// there are none yet, waits up to 30 s for one (long polling: live updates without
// WebSockets). `POST /messages` stores a message and wakes the waiting polls through a
// `watch` channel. But `poll` keeps the connection's lock while it waits, so the POST that
// would wake it can't store anything, and every other request queues behind it until the
// wait times out. Hold the lock only while you query, never across an `.await` that waits.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};
use tokio::time::{Instant, timeout_at};

/// How long a poll waits for a new message before answering with none.
const LONG_POLL: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct AppState {
    db: Arc<Mutex<Connection>>,
    /// The id of the newest message; every change wakes the waiting polls.
    latest: watch::Sender<i64>,
}

#[derive(Serialize)]
struct Message {
    id: i64,
    text: String,
}

#[derive(Deserialize)]
struct Since {
    after: i64,
}

fn app() -> Router {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE messages (id INTEGER PRIMARY KEY, text TEXT NOT NULL);")
        .unwrap();
    let state = AppState {
        db: Arc::new(Mutex::new(conn)),
        latest: watch::Sender::new(0),
    };
    Router::new()
        .route("/messages", get(poll).post(post_message))
        .with_state(state)
}

fn messages_after(conn: &Connection, after: i64) -> rusqlite::Result<Vec<Message>> {
    let mut stmt = conn.prepare("SELECT id, text FROM messages WHERE id > ?1 ORDER BY id")?;
    let rows = stmt.query_map([after], |row| {
        Ok(Message {
            id: row.get(0)?,
            text: row.get(1)?,
        })
    })?;
    rows.collect()
}

fn internal_error(_: rusqlite::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn poll(
    State(state): State<AppState>,
    Query(since): Query<Since>,
) -> Result<Json<Vec<Message>>, StatusCode> {
    let deadline = Instant::now() + LONG_POLL;
    // Subscribed before looking, so a message stored after the query still wakes us.
    let mut latest = state.latest.subscribe();
    loop {
        // The guard lives only in this block: the connection is free again before we wait.
        let messages = {
            let conn = state.db.lock().await;
            messages_after(&conn, since.after).map_err(internal_error)?
        };
        if !messages.is_empty() {
            return Ok(Json(messages));
        }
        match timeout_at(deadline, latest.changed()).await {
            Ok(Ok(())) => continue,       // Something new: look again.
            _ => return Ok(Json(vec![])), // Timed out: the client polls again.
        }
    }
}

async fn post_message(
    State(state): State<AppState>,
    text: String,
) -> Result<(StatusCode, Json<i64>), StatusCode> {
    let id = {
        let conn = state.db.lock().await;
        conn.execute("INSERT INTO messages (text) VALUES (?1)", [&text])
            .map_err(internal_error)?;
        conn.last_insert_rowid()
    };
    state.latest.send_replace(id);
    Ok((StatusCode::CREATED, Json(id)))
}

fn main() {
    let _app = app();
    println!("GET /messages?after=0 waits for what POST /messages stores");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    /// Sends a request; `None` if it didn't complete within 60 s of the paused clock.
    async fn send(app: &Router, request: Request<Body>) -> Option<(StatusCode, Value)> {
        let call = app.clone().oneshot(request);
        let response = tokio::time::timeout(Duration::from_secs(60), call)
            .await
            .ok()?
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Some((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    fn poll_request(after: i64) -> Request<Body> {
        Request::get(format!("/messages?after={after}"))
            .body(Body::empty())
            .unwrap()
    }

    /// Posts `text`; the time it took on the paused clock, or None if it never completed.
    async fn post(app: &Router, text: &str) -> Option<Duration> {
        let start = Instant::now();
        let request = Request::post("/messages")
            .body(Body::from(text.to_string()))
            .unwrap();
        let (status, _) = send(app, request).await?;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "POST /messages must store the message and answer 201, even while polls wait"
        );
        Some(start.elapsed())
    }

    /// Starts a poll in a task of its own, as another client's request.
    fn spawn_poll(
        app: &Router,
        after: i64,
    ) -> tokio::task::JoinHandle<Option<(StatusCode, Value)>> {
        let app = app.clone();
        tokio::spawn(async move { send(&app, poll_request(after)).await })
    }

    /// Lets every spawned task run until it waits: the paused clock only moves forward
    /// (by this millisecond) once every task is idle.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn messages_already_there_come_back_at_once() {
        let app = app();
        for text in ["first", "second"] {
            assert_eq!(
                post(&app, text).await,
                Some(Duration::ZERO),
                "posting is instant"
            );
        }
        let start = Instant::now();
        let got = send(&app, poll_request(0)).await;
        assert_eq!(
            got,
            Some((
                StatusCode::OK,
                json!([{"id": 1, "text": "first"}, {"id": 2, "text": "second"}])
            )),
            "a poll for messages after 0 gets both stored messages"
        );
        assert_eq!(start.elapsed(), Duration::ZERO, "without waiting");
        let got = send(&app, poll_request(1)).await;
        assert_eq!(
            got.map(|(_, body)| body),
            Some(json!([{"id": 2, "text": "second"}])),
            "`after` skips what the client already has"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_requests_proceed_while_a_poll_waits() {
        let app = app();
        let waiting = spawn_poll(&app, 0);
        settle().await;
        assert!(
            !waiting.is_finished(),
            "a poll with no new message answered at once: it must wait (up to {LONG_POLL:?}) \
             for one, or the client polls in a busy loop"
        );
        let posted = post(&app, "hello").await;
        match posted {
            None => panic!(
                "POST /messages never completed while a poll was waiting: the poll holds the \
                 database lock across its wait, so nothing can be stored (and the poll can't \
                 be woken). Release the guard before awaiting"
            ),
            Some(took) => assert_eq!(
                took,
                Duration::ZERO,
                "POST /messages had to wait {took:?} for the connection while a poll was \
                 waiting: the poll holds the lock while it waits"
            ),
        }
        let posted_at = Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(60), waiting)
            .await
            .expect("the waiting poll must answer once a message is posted")
            .unwrap();
        assert_eq!(
            answer,
            Some((StatusCode::OK, json!([{"id": 1, "text": "hello"}]))),
            "the waiting poll answers with the new message"
        );
        assert_eq!(
            posted_at.elapsed(),
            Duration::ZERO,
            "the poll answered {:?} after the message was posted: wake it when a message \
             is stored (the watch channel), instead of checking again on a timer",
            posted_at.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn several_polls_wait_together_and_all_wake() {
        let app = app();
        let first = spawn_poll(&app, 0);
        let second = spawn_poll(&app, 0);
        settle().await;
        assert!(
            post(&app, "to everyone")
                .await
                .is_some_and(|took| took.is_zero()),
            "POST /messages must go through at once while two polls wait: a waiting poll \
             must not hold the connection's lock"
        );
        for (name, poll) in [("first", first), ("second", second)] {
            let answer = tokio::time::timeout(Duration::from_secs(1), poll)
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "the {name} waiting poll did not answer after the message was posted: \
                         waiting polls must not queue behind one another for the connection"
                    )
                })
                .unwrap();
            assert_eq!(
                answer.map(|(_, body)| body),
                Some(json!([{"id": 1, "text": "to everyone"}])),
                "the {name} poll gets the new message"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_with_nothing_new_answers_empty_after_the_wait() {
        let app = app();
        let start = Instant::now();
        let answer = send(&app, poll_request(0)).await;
        assert_eq!(
            answer,
            Some((StatusCode::OK, json!([]))),
            "with no message, the poll answers with an empty list when its wait is over"
        );
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "the poll answered after {:?}: a long poll waits for a message before \
             answering with none",
            start.elapsed()
        );
    }
}
