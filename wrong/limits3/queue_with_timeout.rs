// wrong fix: waits up to 100 ms for a permit and only then answers 503: a queue with a timeout is still a queue, every excess request holds its connection while it waits
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
}

async fn report(State(state): State<AppState>) -> Response {
    // Take a permit only if one is free right now. The guard lives until the report is
    // built, and gives the permit back when dropped, even if the request is cancelled.
    let Ok(Ok(_permit)) =
        tokio::time::timeout(std::time::Duration::from_millis(100), state.in_flight.acquire()).await
    else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(RETRY_AFTER, "1")],
            "too busy, try again in a moment\n",
        )
            .into_response();
    };
    (state.build_report)().await.into_response()
}

fn app(max_in_flight: usize, build_report: BuildReport) -> Router {
    Router::new()
        .route("/reports", get(report))
        .with_state(AppState {
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            build_report,
        })
}

fn main() {
    let build: BuildReport = Arc::new(|| Box::pin(async { "monthly report\n".to_string() }));
    let _ = app(4, build);
    println!("at most 4 reports at once");
}

