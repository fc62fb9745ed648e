// observe1: a request id in every log line of the request.
//
// With many requests served at once, their log lines interleave; the way to read one
// request's story is an id that every line of it carries (and that the client and the
// proxies in front see in the `x-request-id` response header). The middleware below works
// out the id (the caller's when well-formed, else a fresh one) but logs it on the first
// line only: the handler's lines, the audit task it spawns and the final line carry none.
// Run the request inside a `tracing` span with a `request_id` field, so every event of
// the request, whatever awaits and tasks it goes through, is recorded within it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tracing::Instrument;

const X_REQUEST_ID: &str = "x-request-id";

/// An id we accept from a caller: 1 to 64 characters, ASCII letters, digits, `-` and `_`
/// (anything else could forge or break log lines).
fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh id: 128 random bits, in hex.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| well_formed(id))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    // `instrument` enters the span each time the future is polled and leaves it when the
    // future yields, so other requests polled in between never run inside it.
    async move {
        tracing::info!("request started");
        let mut response = next.run(req).await;
        tracing::info!(status = response.status().as_u16(), "request finished");
        let header = HeaderValue::from_str(&id).expect("a well-formed id is a valid header");
        response.headers_mut().insert(X_REQUEST_ID, header);
        response
    }
    .instrument(span)
    .await
}

#[derive(Clone, Serialize)]
struct Order {
    id: u32,
    total_cents: u64,
}

#[derive(Clone)]
struct AppState {
    orders: Arc<HashMap<u32, Order>>,
}

impl AppState {
    /// Stands in for a database call: it yields, and other requests run meanwhile.
    async fn load(&self, id: u32) -> Option<Order> {
        tokio::task::yield_now().await;
        self.orders.get(&id).cloned()
    }
}

async fn get_order(
    State(state): State<AppState>,
    Path(id): Path<u32>,
) -> Result<Json<Order>, StatusCode> {
    tracing::info!(order_id = id, "loading order");
    let order = state.load(id).await;
    // A spawned task does not inherit the span: hand it the current one.
    let audit = tokio::spawn(
        async move {
            tokio::task::yield_now().await;
            tracing::info!(order_id = id, "audit record written");
        }
        .instrument(tracing::Span::current()),
    );
    audit.await.expect("the audit task panicked");
    match order {
        Some(order) => {
            tracing::info!(order_id = id, "order loaded");
            Ok(Json(order))
        }
        None => {
            tracing::warn!(order_id = id, "order not found");
            Err(StatusCode::NOT_FOUND)
        }
    }
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/orders/{id}", get(get_order))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

fn main() {
    let orders = HashMap::from([(
        1,
        Order {
            id: 1,
            total_cents: 1250,
        },
    )]);
    let _ = app(AppState {
        orders: Arc::new(orders),
    });
    println!("a fresh request id: {}", new_request_id());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::collections::BTreeSet;
    use std::fmt;
    use std::sync::Mutex;
    use tower::ServiceExt;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;

    /// One recorded event: its message, and every field of the event and of the spans it
    /// was recorded in (as `name`, `{:?}` of the value, quotes removed).
    #[derive(Clone, Debug)]
    struct Captured {
        message: String,
        fields: Vec<(String, String)>,
    }

    impl Captured {
        fn field(&self, name: &str) -> Option<&str> {
            self.fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
        /// The request ids this event carries (its own field and its spans').
        fn request_ids(&self) -> BTreeSet<&str> {
            self.fields
                .iter()
                .filter(|(n, _)| n == "request_id")
                .map(|(_, v)| v.as_str())
                .collect()
        }
    }

    #[derive(Default)]
    struct Fields(Vec<(String, String)>);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            let value = format!("{value:?}").trim_matches('"').to_string();
            self.0.push((field.name().to_string(), value));
        }
    }

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<Captured>>>);

    impl<S> Layer<S> for Capture
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            attrs.record(&mut fields);
            if let Some(span) = ctx.span(id) {
                span.extensions_mut().insert(fields);
            }
        }
        fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
            if let Some(span) = ctx.span(id) {
                let mut extensions = span.extensions_mut();
                if let Some(fields) = extensions.get_mut::<Fields>() {
                    values.record(fields);
                }
            }
        }
        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope {
                    if let Some(span_fields) = span.extensions().get::<Fields>() {
                        fields.0.extend(span_fields.0.iter().cloned());
                    }
                }
            }
            let message = fields
                .0
                .iter()
                .find(|(n, _)| n == "message")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            self.0.lock().unwrap().push(Captured {
                message,
                fields: fields.0,
            });
        }
    }

    fn test_app() -> Router {
        let orders = HashMap::from([
            (
                1,
                Order {
                    id: 1,
                    total_cents: 1250,
                },
            ),
            (
                2,
                Order {
                    id: 2,
                    total_cents: 990,
                },
            ),
        ]);
        app(AppState {
            orders: Arc::new(orders),
        })
    }

    /// GET `path` with this `x-request-id` (none when `None`); the response's id header.
    async fn get(app: &Router, path: &str, id: Option<&str>) -> (StatusCode, Option<String>) {
        let mut req = Request::get(path);
        if let Some(id) = id {
            req = req.header(X_REQUEST_ID, id);
        }
        let response = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .expect("the router itself cannot fail");
        let echoed = response
            .headers()
            .get(X_REQUEST_ID)
            .map(|v| v.to_str().unwrap_or("<not text>").to_string());
        (response.status(), echoed)
    }

    const STORY: [&str; 5] = [
        "request started",
        "loading order",
        "audit record written",
        "order loaded",
        "request finished",
    ];

    /// Checks that `event`, logged while serving request `id`, carries that id and no other.
    fn assert_carries(event: &Captured, id: &str) {
        let ids = event.request_ids();
        if ids.is_empty() {
            panic!(
                "the line {:?} of request {id:?} carries no request id: every line of a request \
                 must carry it (run the request inside a span with a `request_id` field, and \
                 hand spawned tasks the current span; a field on the first line only is not \
                 enough)",
                event.message
            );
        }
        assert!(
            ids == BTreeSet::from([id]),
            "the line {:?} of request {id:?} carries the request ids {ids:?}: concurrent \
             requests mixed their ids (a global \"current request id\" is overwritten by \
             whichever request ran last; a span belongs to its own request's future)",
            event.message
        );
    }

    /// Checks that `events` are one request's full story, each event carrying `id` only.
    fn assert_story(events: &[&Captured], id: &str) {
        for event in events {
            assert_carries(event, id);
        }
        for message in STORY {
            assert!(
                events.iter().any(|e| e.message == message),
                "request {id:?} logged no {message:?} line: keep the logging, add the id"
            );
        }
    }

    #[tokio::test]
    async fn every_event_carries_the_callers_id() {
        let capture = Capture::default();
        let _guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
        let app = test_app();
        let (status, echoed) = get(&app, "/orders/1", Some("checkout-7f3a9c")).await;
        assert_eq!(status, StatusCode::OK, "order 1 exists");
        assert_eq!(
            echoed.as_deref(),
            Some("checkout-7f3a9c"),
            "the response must echo the caller's well-formed x-request-id"
        );
        let events = capture.0.lock().unwrap().clone();
        assert_story(&events.iter().collect::<Vec<_>>(), "checkout-7f3a9c");
    }

    #[tokio::test]
    async fn a_missing_or_malformed_id_is_replaced_by_a_fresh_one() {
        let app = test_app();
        let long = "a".repeat(65);
        let mut seen = BTreeSet::new();
        for given in [
            None,
            Some(""),
            Some("id with spaces"),
            Some("a/b;c=d"),
            Some(&long[..]),
        ] {
            let capture = Capture::default();
            let _guard = tracing::subscriber::set_default(
                tracing_subscriber::registry().with(capture.clone()),
            );
            let (status, echoed) = get(&app, "/orders/2", given).await;
            assert_eq!(status, StatusCode::OK, "order 2 exists");
            let id = echoed.unwrap_or_else(|| {
                panic!("with x-request-id {given:?} the response carried no x-request-id")
            });
            assert!(
                Some(id.as_str()) != given && well_formed_for_tests(&id),
                "with x-request-id {given:?} the response's id is {id:?}: a missing or \
                 malformed id is replaced by a fresh, well-formed one (never copied into logs)"
            );
            assert!(
                seen.insert(id.clone()),
                "two requests got the same generated id {id:?}: generated ids must be unique"
            );
            let events = capture.0.lock().unwrap().clone();
            assert_story(&events.iter().collect::<Vec<_>>(), &id);
        }
    }

    fn well_formed_for_tests(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    #[tokio::test]
    async fn concurrent_requests_keep_their_own_ids() {
        let capture = Capture::default();
        let _guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
        let app = test_app();
        // Both requests are in flight at once: their awaits interleave on this thread.
        let (first, second) = tokio::join!(
            get(&app, "/orders/1", Some("alpha-1")),
            get(&app, "/orders/2", Some("bravo-2")),
        );
        assert_eq!(first.1.as_deref(), Some("alpha-1"), "request 1's id echoed");
        assert_eq!(
            second.1.as_deref(),
            Some("bravo-2"),
            "request 2's id echoed"
        );
        let events = capture.0.lock().unwrap().clone();
        for (order, id) in [("1", "alpha-1"), ("2", "bravo-2")] {
            for event in events.iter().filter(|e| e.field("order_id") == Some(order)) {
                assert_carries(event, id);
            }
            let own: Vec<&Captured> = events
                .iter()
                .filter(|e| e.request_ids().contains(id))
                .collect();
            assert_story(&own, id);
            assert_eq!(
                own.len(),
                STORY.len(),
                "request {id:?} should own exactly its {} lines, it carries {}",
                STORY.len(),
                own.len()
            );
        }
    }
}
