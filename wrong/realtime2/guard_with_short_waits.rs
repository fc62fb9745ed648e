// wrong fix: keeps the guard but waits in slices of 100 ms, looking again after each: the lock is still held across every wait, so a POST waits for the whole long-poll
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
    let conn = state.db.lock().await;
    loop {
        let messages = messages_after(&conn, since.after).map_err(internal_error)?;
        if !messages.is_empty() {
            return Ok(Json(messages));
        }
        if Instant::now() >= deadline {
            return Ok(Json(vec![]));
        }
        let _ = tokio::time::timeout(Duration::from_millis(100), latest.changed()).await;
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
