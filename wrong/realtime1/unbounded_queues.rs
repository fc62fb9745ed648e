// wrong fix: gives each client an unbounded queue, so publishing never waits: a client that stops reading keeps every message in the server's memory, without limit, and never learns it fell behind
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
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::{Stream, StreamExt};

#[derive(Clone)]
struct AppState {
    clients: Arc<Mutex<Vec<mpsc::UnboundedSender<String>>>>,
}

/// The chat service; `capacity`: how many messages may wait for one client.
fn app(capacity: usize) -> Router {
    let _ = capacity;
    let state = AppState {
        clients: Arc::default(),
    };
    Router::new()
        .route("/events", get(events))
        .route("/messages", post(publish))
        .with_state(state)
}

async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (sender, receiver) = mpsc::unbounded_channel();
    state.clients.lock().unwrap().push(sender);
    let stream =
        UnboundedReceiverStream::new(receiver).map(|text| Ok(Event::default().event("message").data(text)));
    Sse::new(stream)
}

async fn publish(State(state): State<AppState>, text: String) -> StatusCode {
    let clients = state.clients.lock().unwrap().clone();
    for client in clients {
        // An error means that client has gone away; skip it.
        let _ = client.send(text.clone());
    }
    StatusCode::NO_CONTENT
}

fn main() {
    let _app = app(64);
    println!("GET /events streams what POST /messages publishes");
}
