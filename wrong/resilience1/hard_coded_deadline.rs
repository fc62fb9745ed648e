// wrong fix: times out the whole call after a hard-coded 2 s instead of the deadline in the state: when the operator configures 3 s, answers that take 2.5 s are thrown away
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
    match tokio::time::timeout(Duration::from_secs(2), fetch_price(&*state.upstream, &sku)).await {
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

