// wrong fix: an `Arc<u64>` updated with `Arc::make_mut`: the clone-on-write copies the value as soon as it is shared, so each request still counts on its own copy
// routing4: shared state lives behind an `Arc`.
//
// `Router::with_state` hands every request its own *clone* of the state. That is cheap
// and safe when the state is a handle to shared data (an `Arc`, a connection pool), but
// a plain value is copied: each request then changes a private copy that is thrown away
// when the response is sent. This visit counter always says 1.
// Make the counter shared by every request: put it behind an `Arc`, with a type that can
// be changed through a shared reference (an atomic or a `Mutex`).

use axum::{Router, extract::State, routing::get};
use std::sync::Arc;

// TODO: cloning this struct copies the counter.
#[derive(Clone, Default)]
struct AppState {
    visits: Arc<u64>,
}

/// `POST /visits`: count a visit, answer the new total.
async fn record_visit(State(mut state): State<AppState>) -> String {
    *Arc::make_mut(&mut state.visits) += 1;
    state.visits.to_string()
}

/// `GET /visits`: the total so far.
async fn visit_count(State(state): State<AppState>) -> String {
    state.visits.to_string()
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

