// wrong fix: uses a broadcast channel and drops the `Lagged` errors with `filter_map(Result::ok)`: the stream goes on, but the client is never told that it missed messages
// realtime1: server-sent events where one slow client can't hold up the others.
//
// `GET /events` streams the chat's messages to browsers as server-sent events and
// `POST /messages` publishes one. Each client has its own queue of `capacity` messages, and
// publishing waits until every queue has room: one client that stops reading (a phone in a
// tunnel) blocks every publisher, and with them every other client. Fan out through a
// `tokio::sync::broadcast` channel instead: sending never waits, and a receiver that falls
// more than `capacity` behind learns how many it missed. Tell such a client with an event
// `lagged` whose data is that number, then carry on with the messages that are left.

use std::convert::Infallible;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

#[derive(Clone)]
struct AppState {
    /// One ring of `capacity` messages shared by every client: a send never waits, and a
    /// client that falls behind loses the oldest messages (and is told so).
    messages: broadcast::Sender<String>,
}

/// The chat service; `capacity`: how many messages may wait for one client.
fn app(capacity: usize) -> Router {
    let (messages, _) = broadcast::channel(capacity);
    let state = AppState { messages };
    Router::new()
        .route("/events", get(events))
        .route("/messages", post(publish))
        .with_state(state)
}

async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(state.messages.subscribe())
        .filter_map(Result::ok)
        .map(|text| Ok(Event::default().event("message").data(text)));
    Sse::new(stream)
}

async fn publish(State(state): State<AppState>, text: String) -> StatusCode {
    // An error only means that nobody is listening right now.
    let _ = state.messages.send(text);
    StatusCode::NO_CONTENT
}

fn main() {
    let _app = app(64);
    println!("GET /events streams what POST /messages publishes");
}
