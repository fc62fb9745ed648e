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
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};

#[derive(Clone)]
struct AppState {
    // TODO: one queue per client, and `publish` waits for room in every one of them.
    clients: Arc<Mutex<Vec<mpsc::Sender<String>>>>,
    capacity: usize,
}

/// The chat service; `capacity`: how many messages may wait for one client.
fn app(capacity: usize) -> Router {
    let state = AppState {
        clients: Arc::default(),
        capacity,
    };
    Router::new()
        .route("/events", get(events))
        .route("/messages", post(publish))
        .with_state(state)
}

async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (sender, receiver) = mpsc::channel(state.capacity);
    state.clients.lock().unwrap().push(sender);
    let stream =
        ReceiverStream::new(receiver).map(|text| Ok(Event::default().event("message").data(text)));
    Sse::new(stream)
}

async fn publish(State(state): State<AppState>, text: String) -> StatusCode {
    let clients = state.clients.lock().unwrap().clone();
    for client in clients {
        // An error means that client has gone away; skip it.
        let _ = client.send(text.clone()).await;
    }
    StatusCode::NO_CONTENT
}

fn main() {
    let _app = app(64);
    println!("GET /events streams what POST /messages publishes");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, BodyDataStream};
    use axum::http::Request;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::pin::Pin;
    use std::task::Poll;
    use std::time::Duration;
    use tower::ServiceExt;

    const CAPACITY: usize = 8;

    /// What reading a client's stream gave.
    #[derive(Debug, PartialEq)]
    enum Next {
        /// An event: (event name, data).
        Event(String, String),
        /// The server ended the stream.
        Ended,
        /// Nothing arrived (on the paused clock, nothing was ever going to).
        Nothing,
        /// Producing the next event panicked.
        Panicked,
    }

    fn event(name: &str, data: &str) -> Next {
        Next::Event(name.to_string(), data.to_string())
    }

    /// A browser connected to `GET /events`.
    struct Client {
        body: BodyDataStream,
        buffer: String,
    }

    impl Client {
        async fn connect(app: &Router) -> Client {
            let request = Request::get("/events").body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "GET /events must answer 200"
            );
            let content_type = response.headers().get("content-type");
            assert_eq!(
                content_type.and_then(|v| v.to_str().ok()),
                Some("text/event-stream"),
                "server-sent events are served as text/event-stream"
            );
            Client {
                body: response.into_body().into_data_stream(),
                buffer: String::new(),
            }
        }

        /// The next event, waiting at most 5 s of the (paused) clock for it.
        async fn next(&mut self) -> Next {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let (mut name, mut data) = (String::from("message"), Vec::new());
                    for line in block.lines() {
                        if let Some(value) = line.strip_prefix("event:") {
                            name = value.trim_start().to_string();
                        } else if let Some(value) = line.strip_prefix("data:") {
                            data.push(value.trim_start().to_string());
                        }
                    }
                    if data.is_empty() {
                        continue; // A comment or keep-alive: not an event.
                    }
                    return Next::Event(name, data.join("\n"));
                }
                let body = &mut self.body;
                let chunk = std::future::poll_fn(|cx| {
                    match catch_unwind(AssertUnwindSafe(|| {
                        tokio_stream::Stream::poll_next(Pin::new(&mut *body), cx)
                    })) {
                        Ok(Poll::Ready(item)) => Poll::Ready(Ok(item)),
                        Ok(Poll::Pending) => Poll::Pending,
                        Err(_) => Poll::Ready(Err(())),
                    }
                });
                match tokio::time::timeout(Duration::from_secs(5), chunk).await {
                    Err(_) => return Next::Nothing,
                    Ok(Err(())) => return Next::Panicked,
                    Ok(Ok(None)) => return Next::Ended,
                    Ok(Ok(Some(Err(err)))) => panic!("the event stream failed: {err}"),
                    Ok(Ok(Some(Ok(bytes)))) => {
                        self.buffer.push_str(std::str::from_utf8(&bytes).unwrap())
                    }
                }
            }
        }
    }

    /// Publishes `text`; false if the request didn't complete within 5 s (paused clock).
    async fn publish(app: &Router, text: &str) -> bool {
        let request = Request::post("/messages")
            .body(Body::from(text.to_string()))
            .unwrap();
        match tokio::time::timeout(Duration::from_secs(5), app.clone().oneshot(request)).await {
            Ok(response) => {
                let status = response.unwrap().status();
                assert!(
                    status.is_success(),
                    "POST /messages must succeed, got {status}"
                );
                true
            }
            Err(_) => false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_client_gets_every_message_in_order() {
        let app = app(CAPACITY);
        let mut alice = Client::connect(&app).await;
        let mut bob = Client::connect(&app).await;
        for text in ["hello", "how are you?", "bye"] {
            assert!(
                publish(&app, text).await,
                "publishing {text:?} must not wait"
            );
        }
        for (name, client) in [("alice", &mut alice), ("bob", &mut bob)] {
            for text in ["hello", "how are you?", "bye"] {
                assert_eq!(
                    client.next().await,
                    event("message", text),
                    "{name} must receive every message, in order, as a `message` event"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_stops_reading_does_not_block_the_others() {
        let app = app(CAPACITY);
        let _stalled = Client::connect(&app).await; // Connected, but never reads.
        let mut reader = Client::connect(&app).await;
        for i in 0..50 {
            let text = format!("message {i}");
            assert!(
                publish(&app, &text).await,
                "publishing message {i} never completed: a client that stopped reading has a \
                 full queue, and the publisher waits for room in it (so every other client \
                 waits too). Sending on a broadcast channel never waits"
            );
            assert_eq!(
                reader.next().await,
                event("message", &text),
                "the client that reads must get each message while the other one stalls"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_fell_behind_is_told_what_it_missed_and_stays_connected() {
        let app = app(CAPACITY);
        let mut slow = Client::connect(&app).await;
        for i in 0..50 {
            let text = format!("message {i}");
            assert!(
                publish(&app, &text).await,
                "publishing message {i} never completed: a client that isn't reading must \
                 not block the publisher"
            );
        }
        // The slow client reads again: 42 messages were dropped, the last 8 are left.
        let missed = 50 - CAPACITY;
        match slow.next().await {
            Next::Event(name, data) if name == "lagged" => assert_eq!(
                data,
                missed.to_string(),
                "the `lagged` event's data is how many messages the client missed"
            ),
            Next::Event(name, data) => {
                let mut received = vec![data];
                while let Next::Event(_, data) = slow.next().await {
                    received.push(data);
                }
                assert!(
                    received.len() <= CAPACITY,
                    "the slow client was sent all {} messages (from {:?}, a `{name}` event) \
                     although only {CAPACITY} may wait for it: its queue grows without \
                     bound, and a client that never reads can use up the server's memory. \
                     Keep {CAPACITY} and report the rest as missed",
                    received.len(),
                    received[0]
                );
                panic!(
                    "after falling {missed} messages behind, the client must first get an \
                     event `lagged` with data {missed} (so it knows, and can reload), then \
                     the {CAPACITY} most recent messages; it got {received:?} and no word \
                     about the gap"
                )
            }
            Next::Ended => panic!(
                "the stream ended when the client fell behind: `Lagged` is not the end of \
                 the channel. Send a `lagged` event and carry on"
            ),
            Next::Panicked => panic!(
                "the event stream panicked when the client fell behind (see the message \
                 above): `Lagged` is an expected error, not a bug. Send a `lagged` event"
            ),
            Next::Nothing => panic!(
                "the slow client got nothing after 50 messages were published: it must \
                 learn what it missed and get the {CAPACITY} most recent messages"
            ),
        }
        for i in missed..50 {
            assert_eq!(
                slow.next().await,
                event("message", &format!("message {i}")),
                "after the `lagged` event the client gets the {CAPACITY} most recent \
                 messages, oldest first"
            );
        }
        assert!(
            publish(&app, "still there?").await,
            "publishing must not wait"
        );
        assert_eq!(
            slow.next().await,
            event("message", "still there?"),
            "a client that fell behind stays connected and gets the new messages"
        );
    }
}
