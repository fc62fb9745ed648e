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
#[allow(unused_imports)] // You will need it.
use axum::http::StatusCode;
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
    // TODO: this waits for a permit however long the queue in front of it.
    let _permit = state
        .in_flight
        .acquire()
        .await
        .expect("the semaphore is never closed");
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::task::JoinHandle;
    use tokio::time::Instant;
    use tower::ServiceExt;

    const MAX: usize = 2;
    const RETRY_AFTER_NAME: &str = "retry-after";

    /// A report builder that counts the reports started and finishes them only when the
    /// test opens the gate.
    struct Backend {
        started: Arc<AtomicUsize>,
        gate: Arc<Semaphore>,
    }

    impl Backend {
        fn new() -> (Backend, Router) {
            let backend = Backend {
                started: Arc::new(AtomicUsize::new(0)),
                gate: Arc::new(Semaphore::new(0)),
            };
            let (started, gate) = (backend.started.clone(), backend.gate.clone());
            let build: BuildReport = Arc::new(move || {
                let (started, gate) = (started.clone(), gate.clone());
                Box::pin(async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    let _pass = gate.acquire().await.expect("the gate is never closed");
                    "monthly report\n".to_string()
                })
            });
            (backend, app(MAX, build))
        }

        fn started(&self) -> usize {
            self.started.load(Ordering::SeqCst)
        }

        fn open(&self) {
            self.gate.add_permits(1000);
        }

        /// Lets the spawned requests run until `n` reports have started.
        async fn wait_started(&self, n: usize) {
            for _ in 0..100 {
                if self.started() >= n {
                    return;
                }
                tokio::task::yield_now().await;
            }
            panic!(
                "only {} reports started, expected {n}: requests within the limit of {MAX} must \
                 be served (are permits of abandoned or finished requests given back?)",
                self.started()
            );
        }
    }

    fn get_report() -> axum::http::Request<Body> {
        axum::http::Request::get("/reports")
            .body(Body::empty())
            .unwrap()
    }

    fn spawn_request(app: &Router) -> JoinHandle<(StatusCode, String)> {
        let app = app.clone();
        tokio::spawn(async move {
            let resp = app
                .oneshot(get_report())
                .await
                .expect("the router itself cannot fail");
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&body).into_owned())
        })
    }

    /// One request while the service is full: it must be refused at once.
    async fn assert_shed(app: &Router, backend: &Backend, which: usize) {
        let started_before = backend.started();
        let asked = Instant::now();
        let answer =
            tokio::time::timeout(Duration::from_secs(30), app.clone().oneshot(get_report())).await;
        let waited = asked.elapsed();
        assert_eq!(
            backend.started(),
            started_before,
            "request {which} started building a report while {MAX} were already being built: \
             the limit must hold its permit for as long as the report is being built"
        );
        let Ok(resp) = answer else {
            panic!(
                "request {which} was still waiting in a queue after 30 s: with every permit \
                 taken, refuse at once instead of queueing"
            );
        };
        let resp = resp.expect("the router itself cannot fail");
        assert_eq!(
            resp.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "request {which} arrived with all {MAX} permits taken: 503 Service Unavailable says \
             the server is overloaded (429 would blame this client)"
        );
        assert_eq!(
            waited,
            Duration::ZERO,
            "request {which} was refused only after waiting {waited:?}: a queue with a timeout \
             is still a queue, shed at once"
        );
        assert!(
            resp.headers().contains_key(RETRY_AFTER_NAME),
            "the 503 should carry Retry-After, so that clients back off instead of hammering"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn beyond_the_limit_requests_are_shed_at_once() {
        let (backend, app) = Backend::new();
        let running: Vec<_> = (0..MAX).map(|_| spawn_request(&app)).collect();
        backend.wait_started(MAX).await;
        for which in MAX + 1..=MAX + 10 {
            assert_shed(&app, &backend, which).await;
        }
        backend.open();
        for handle in running {
            let (status, body) = handle.await.expect("a request task panicked");
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::OK, "monthly report\n"),
                "the requests within the limit must be served in full"
            );
        }
        assert_eq!(
            backend.started(),
            MAX,
            "only {MAX} reports may have been built"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn finished_and_abandoned_requests_give_their_permit_back() {
        let (backend, app) = Backend::new();
        // Two clients give up (their connections close) while their reports are building.
        let abandoned: Vec<_> = (0..MAX).map(|_| spawn_request(&app)).collect();
        backend.wait_started(MAX).await;
        for handle in abandoned {
            handle.abort();
            let _ = handle.await;
        }
        let running: Vec<_> = (0..MAX).map(|_| spawn_request(&app)).collect();
        backend.wait_started(2 * MAX).await;
        assert_shed(&app, &backend, 2 * MAX + 1).await;
        backend.open();
        for handle in running {
            let (status, _) = handle.await.expect("a request task panicked");
            assert_eq!(
                status,
                StatusCode::OK,
                "a request after the abandoned ones must be served"
            );
        }
        // Every permit is free again: MAX more at once are served.
        let again: Vec<_> = (0..MAX).map(|_| spawn_request(&app)).collect();
        for handle in again {
            let (status, _) = handle.await.expect("a request task panicked");
            assert_eq!(
                status,
                StatusCode::OK,
                "after every report finished, {MAX} requests at once must be served: a permit \
                 was not given back"
            );
        }
    }
}
