// wrong fix: sheds at once but answers 429 Too Many Requests: that tells one client to slow down, while the server as a whole is overloaded (503)
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
    let Ok(_permit) = state.in_flight.try_acquire() else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
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

