// wrong fix: counts in a process-wide `static` instead of the app's state: every app (and every test) in the process shares one counter
// routing4: shared state lives behind an `Arc`.
//
// `Router::with_state` hands every request its own *clone* of the state. That is cheap
// and safe when the state is a handle to shared data (an `Arc`, a connection pool), but
// a plain value is copied: each request then changes a private copy that is thrown away
// when the response is sent. This visit counter always says 1.
// Make the counter shared by every request: put it behind an `Arc`, with a type that can
// be changed through a shared reference (an atomic or a `Mutex`).

use axum::{Router, extract::State, routing::get};
use std::sync::atomic::{AtomicU64, Ordering};

static VISITS: AtomicU64 = AtomicU64::new(0);

// TODO: cloning this struct copies the counter.
#[derive(Clone, Default)]
struct AppState {
    visits: u64,
}

/// `POST /visits`: count a visit, answer the new total.
async fn record_visit(State(_state): State<AppState>) -> String {
    (VISITS.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

/// `GET /visits`: the total so far.
async fn visit_count(State(_state): State<AppState>) -> String {
    VISITS.load(Ordering::SeqCst).to_string()
}

fn app() -> Router {
    Router::new()
        .route("/visits", get(visit_count).post(record_visit))
        .with_state(AppState::default())
}

fn main() {
    let _app = app();
    println!("GET and POST /visits are routed");
}

