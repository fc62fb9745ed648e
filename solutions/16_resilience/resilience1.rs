// resilience1: one deadline for the whole outbound call.
//
// `/price/{sku}` asks the pricing service, our dependency, through `Upstream`: connect,
// send the request, read the body in chunks. Nothing bounds how long that takes, so when
// the dependency hangs our handler hangs with it, holding a task and a connection while
// our own callers wait and retry. Give the whole call one deadline, `deadline` in the
// state, and answer 504 Gateway Timeout when it passes. A timeout on a single step is not
// enough: a dependency that accepts and then never answers, or that sends a byte every
// second, passes every step's own timeout.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

struct AppState<U> {
    upstream: Arc<U>,
    deadline: Duration,
}

async fn price<U: Upstream>(
    State(state): State<Arc<AppState<U>>>,
    Path(sku): Path<String>,
) -> Response {
    // One timer around every step of the call. When it fires, the call's future is
    // dropped, which closes the connection and stops the work.
    match tokio::time::timeout(state.deadline, fetch_price(&*state.upstream, &sku)).await {
        Ok(Ok(price)) => (StatusCode::OK, price).into_response(),
        Ok(Err(_)) => (StatusCode::BAD_GATEWAY, "the pricing service failed\n").into_response(),
        Err(_elapsed) => (
            StatusCode::GATEWAY_TIMEOUT,
            "the pricing service did not answer in time\n",
        )
            .into_response(),
    }
}

/// Asks the pricing service for the price of `sku`: the body of its answer.
async fn fetch_price<U: Upstream>(upstream: &U, sku: &str) -> io::Result<String> {
    let mut conn = upstream.connect().await?;
    conn.send_request(&format!("/prices/{sku}")).await?;
    let mut body = Vec::new();
    while let Some(chunk) = conn.read_chunk().await? {
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
}

/// The pricing service as an HTTP client library sees it.
trait Upstream: Send + Sync + 'static {
    type Conn: Connection;
    fn connect(&self) -> impl Future<Output = io::Result<Self::Conn>> + Send;
}

/// One open connection to the pricing service.
trait Connection: Send {
    fn send_request(&mut self, path: &str) -> impl Future<Output = io::Result<()>> + Send;
    /// The next piece of the response body; `None` when it is complete.
    fn read_chunk(&mut self) -> impl Future<Output = io::Result<Option<Vec<u8>>>> + Send;
}

fn app<U: Upstream>(upstream: Arc<U>, deadline: Duration) -> Router {
    Router::new()
        .route("/price/{sku}", get(price::<U>))
        .with_state(Arc::new(AppState { upstream, deadline }))
}

/// A pricing service that knows one price and answers at once.
struct Canned;

impl Upstream for Canned {
    type Conn = CannedConn;
    async fn connect(&self) -> io::Result<CannedConn> {
        Ok(CannedConn { sent: false })
    }
}

struct CannedConn {
    sent: bool,
}

impl Connection for CannedConn {
    async fn send_request(&mut self, _path: &str) -> io::Result<()> {
        Ok(())
    }
    async fn read_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        let first = !self.sent;
        self.sent = true;
        Ok(first.then(|| b"EUR 12.99\n".to_vec()))
    }
}

fn main() {
    let _ = app(Arc::new(Canned), Duration::from_secs(2));
    println!("GET /price/{{sku}} asks the pricing service, for at most 2 s");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::time::{Instant, sleep};
    use tower::ServiceExt;

    const DEADLINE: Duration = Duration::from_secs(2);

    #[derive(Clone, Copy, Debug)]
    enum Behaviour {
        /// Connects in 50 ms and sends the body in 3 chunks, 100 ms apart.
        Quick,
        /// The same in 2.5 s (1 s to connect, then 3 chunks 500 ms apart).
        Slow,
        /// The connection is refused at once.
        Refuses,
        /// Connecting never completes (a black-holed address).
        ConnectHangs,
        /// Accepts the connection and the request, then never sends a byte.
        NeverAnswers,
        /// Sends one byte of body every 900 ms, forever.
        Trickles,
    }

    /// A pricing service the test controls, run on tokio's (paused) clock. It counts
    /// the connections that are still open: the caller's dropping one closes it.
    struct Dependency {
        behaviour: Behaviour,
        open: Arc<AtomicUsize>,
    }

    struct DependencyConn {
        behaviour: Behaviour,
        chunks_sent: usize,
        open: Arc<AtomicUsize>,
    }

    impl Drop for DependencyConn {
        fn drop(&mut self) {
            self.open.fetch_sub(1, Ordering::SeqCst);
        }
    }

    impl Upstream for Dependency {
        type Conn = DependencyConn;
        async fn connect(&self) -> io::Result<DependencyConn> {
            match self.behaviour {
                Behaviour::Refuses => return Err(io::ErrorKind::ConnectionRefused.into()),
                Behaviour::ConnectHangs => std::future::pending::<()>().await,
                Behaviour::Quick => sleep(Duration::from_millis(50)).await,
                Behaviour::Slow => sleep(Duration::from_secs(1)).await,
                Behaviour::NeverAnswers | Behaviour::Trickles => {}
            }
            self.open.fetch_add(1, Ordering::SeqCst);
            Ok(DependencyConn {
                behaviour: self.behaviour,
                chunks_sent: 0,
                open: self.open.clone(),
            })
        }
    }

    impl Connection for DependencyConn {
        async fn send_request(&mut self, path: &str) -> io::Result<()> {
            assert_eq!(
                path, "/prices/sku-42",
                "the request names the product asked for"
            );
            Ok(())
        }
        async fn read_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
            const BODY: [&[u8]; 3] = [b"EUR ", b"12.", b"99\n"];
            let pause = match self.behaviour {
                Behaviour::Quick => Duration::from_millis(100),
                Behaviour::Slow => Duration::from_millis(500),
                Behaviour::NeverAnswers => {
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                Behaviour::Trickles => {
                    sleep(Duration::from_millis(900)).await;
                    return Ok(Some(b"1".to_vec()));
                }
                Behaviour::Refuses | Behaviour::ConnectHangs => unreachable!("never connected"),
            };
            if self.chunks_sent == BODY.len() {
                return Ok(None);
            }
            sleep(pause).await;
            self.chunks_sent += 1;
            Ok(Some(BODY[self.chunks_sent - 1].to_vec()))
        }
    }

    struct Outcome {
        status: StatusCode,
        body: String,
        took: Duration,
        still_open: usize,
    }

    /// GET /price/sku-42 against a dependency behaving so, with this deadline.
    async fn ask(behaviour: Behaviour, deadline: Duration) -> Outcome {
        let open = Arc::new(AtomicUsize::new(0));
        let app = app(
            Arc::new(Dependency {
                behaviour,
                open: open.clone(),
            }),
            deadline,
        );
        let req = axum::http::Request::get("/price/sku-42")
            .body(Body::empty())
            .unwrap();
        let started = Instant::now();
        let Ok(resp) = tokio::time::timeout(Duration::from_secs(120), app.oneshot(req)).await
        else {
            panic!(
                "with a dependency that {behaviour:?}, there was still no answer after 120 s: \
                 the call to the dependency needs a deadline covering every step"
            );
        };
        let resp = resp.expect("the router itself cannot fail");
        let took = started.elapsed();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        // Let any task still working on the call run before counting open connections.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        Outcome {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            took,
            still_open: open.load(Ordering::SeqCst),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_within_the_deadline_is_served() {
        let quick = ask(Behaviour::Quick, DEADLINE).await;
        assert_eq!(
            (quick.status, quick.body.as_str()),
            (StatusCode::OK, "EUR 12.99\n"),
            "a dependency that answers in 350 ms must give the price"
        );
        let slow = ask(Behaviour::Slow, Duration::from_secs(3)).await;
        assert_eq!(
            (slow.status, slow.body.as_str()),
            (StatusCode::OK, "EUR 12.99\n"),
            "with a deadline of 3 s (from the state), a dependency that answers in 2.5 s must \
             give the price"
        );
        let refused = ask(Behaviour::Refuses, DEADLINE).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_GATEWAY,
            "a dependency that refuses the connection is a failure (502), not a timeout"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_dependency_gets_504_by_the_deadline() {
        for behaviour in [
            Behaviour::ConnectHangs,
            Behaviour::NeverAnswers,
            Behaviour::Trickles,
        ] {
            let outcome = ask(behaviour, DEADLINE).await;
            assert_eq!(
                outcome.status,
                StatusCode::GATEWAY_TIMEOUT,
                "a dependency that {behaviour:?} must get 504 Gateway Timeout (got `{}`)",
                outcome.body.trim()
            );
            assert!(
                outcome.took <= DEADLINE,
                "with a dependency that {behaviour:?}, the 504 came after {:?}: the deadline in \
                 the state is {DEADLINE:?}, for the whole call",
                outcome.took
            );
            assert_eq!(
                outcome.still_open, 0,
                "with a dependency that {behaviour:?}, the call was still running after the \
                 504, holding its connection: a timeout must cancel the call (drop its future), \
                 not leave it behind in a task"
            );
        }
    }
}
