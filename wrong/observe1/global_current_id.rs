// wrong fix: stores the id in a global "current request id" and adds it as a field to every line: with two requests in flight, the one that started last overwrites it and the other logs under the wrong id
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

const X_REQUEST_ID: &str = "x-request-id";

static CURRENT_REQUEST_ID: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn current_request_id() -> String {
    CURRENT_REQUEST_ID.lock().unwrap().clone()
}

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
    *CURRENT_REQUEST_ID.lock().unwrap() = id.clone();
    tracing::info!(
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        "request started"
    );
    let mut response = next.run(req).await;
    tracing::info!(
        request_id = %current_request_id(),
        status = response.status().as_u16(),
        "request finished"
    );
    let header = HeaderValue::from_str(&id).expect("a well-formed id is a valid header");
    response.headers_mut().insert(X_REQUEST_ID, header);
    response
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
    tracing::info!(request_id = %current_request_id(), order_id = id, "loading order");
    let order = state.load(id).await;
    let audit = tokio::spawn(async move {
        tokio::task::yield_now().await;
        tracing::info!(request_id = %current_request_id(), order_id = id, "audit record written");
    });
    audit.await.expect("the audit task panicked");
    match order {
        Some(order) => {
            tracing::info!(request_id = %current_request_id(), order_id = id, "order loaded");
            Ok(Json(order))
        }
        None => {
            tracing::warn!(request_id = %current_request_id(), order_id = id, "order not found");
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

