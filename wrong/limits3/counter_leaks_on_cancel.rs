// wrong fix: counts reports in flight with an AtomicUsize decremented after the build: a request the client abandons is cancelled at its .await, the decrement never runs, and the slot is lost for good
// limits3: shed load instead of queueing it.
//
// `/reports` is expensive, and the service builds at most `max_in_flight` reports at once.
// The handler waits for a permit, so in a spike the excess requests queue without bound:
// each holds a connection and memory, clients time out and retry, and the queue grows
// faster than it drains. When every permit is taken, answer 503 Service Unavailable with
// `Retry-After` at once, without waiting, and build a report only while holding a permit
// (a request the client abandons must give its permit back).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::Semaphore;

/// Builds one report (slow: it queries and renders a lot).
type BuildReport = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = String> + Send>> + Send + Sync>;

#[derive(Clone)]
struct AppState {
    in_flight: Arc<Semaphore>,
    build_report: BuildReport,
    active: Arc<AtomicUsize>,
}

async fn report(State(state): State<AppState>) -> Response {
    // Take a permit only if one is free right now. The guard lives until the report is
    // built, and gives the permit back when dropped, even if the request is cancelled.
    if state.active.fetch_add(1, Ordering::SeqCst) >= state.in_flight.available_permits() {
        state.active.fetch_sub(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(RETRY_AFTER, "1")],
            "too busy, try again in a moment\n",
        )
            .into_response();
    }
    let report = (state.build_report)().await;
    state.active.fetch_sub(1, Ordering::SeqCst);
    report.into_response()
}

fn app(max_in_flight: usize, build_report: BuildReport) -> Router {
    Router::new()
        .route("/reports", get(report))
        .with_state(AppState {
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            build_report,
            active: Arc::new(AtomicUsize::new(0)),
        })
}

fn main() {
    let build: BuildReport = Arc::new(|| Box::pin(async { "monthly report\n".to_string() }));
    let _ = app(4, build);
    println!("at most 4 reports at once");
}

