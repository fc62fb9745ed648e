// resilience4: shut down gracefully.
//
// When the orchestrator stops this service (a deploy, a scale-down), `shutdown`
// completes, and `serve` drops the server there and then: requests being handled are cut
// off and their clients see a reset connection, not knowing whether their order went
// through. Shut down gracefully: when the signal comes, stop accepting new connections,
// let the requests in flight finish and send their responses, then return.

use std::future::Future;
use std::io;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

/// Serves `app` on `listener` until `shutdown` completes.
async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // On the signal, axum stops accepting and closes the listener, tells every connection
    // to finish its current request and close, and returns when the last one has.
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

fn main() {
    // In production the signal is SIGTERM or Ctrl-C (`tokio::signal`); here, a demo run.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = Router::new().route("/", get(|| async { "hello\n" }));
        serve(listener, app, async {}).await.unwrap();
    });
    println!("served, then shut down");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::sync::{Semaphore, oneshot};

    /// A server of `/report` (which waits for the test to open its gate) and `/health`
    /// on a real socket, run by the learner's `serve` in a runtime of its own on its own
    /// thread. When `serve` returns, that runtime is dropped, cancelling every task still
    /// running, as a process does when `main` returns.
    struct Server {
        addr: SocketAddr,
        started: Arc<AtomicUsize>,
        gate: Arc<Semaphore>,
        stop: Option<oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<io::Result<()>>>,
    }

    impl Server {
        async fn start() -> Server {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            listener.set_nonblocking(true).unwrap();
            let addr = listener.local_addr().unwrap();
            let started = Arc::new(AtomicUsize::new(0));
            let gate = Arc::new(Semaphore::new(0));
            let (s, g) = (started.clone(), gate.clone());
            let app = Router::new()
                .route(
                    "/report",
                    get(move || {
                        let (started, gate) = (s.clone(), g.clone());
                        async move {
                            started.fetch_add(1, Ordering::SeqCst);
                            let _pass = gate.acquire().await.expect("the gate is never closed");
                            "report ready\n"
                        }
                    }),
                )
                .route("/health", get(|| async { "ok\n" }));
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let result = runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).unwrap();
                    serve(listener, app, async move {
                        let _ = stopped.await;
                    })
                    .await
                });
                drop(runtime); // The process exits: whatever still runs is cancelled.
                result
            });
            Server {
                addr,
                started,
                gate,
                stop: Some(stop),
                thread: Some(thread),
            }
        }

        fn returned(&self) -> bool {
            self.thread
                .as_ref()
                .is_none_or(|thread| thread.is_finished())
        }

        /// Opens a connection and sends GET `path`.
        async fn send(&self, path: &str) -> io::Result<TcpStream> {
            let mut conn = TcpStream::connect(self.addr).await?;
            let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
            conn.write_all(request.as_bytes()).await?;
            Ok(conn)
        }

        /// Waits (a few ms at most when all is well) until `n` reports have started.
        async fn wait_started(&self, n: usize) {
            for _ in 0..200 {
                if self.started.load(Ordering::SeqCst) >= n {
                    return;
                }
                assert!(
                    !self.returned(),
                    "serve returned before the shutdown signal, while a client was waiting"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            panic!("the /report request never reached its handler: is the server serving?");
        }
    }

    /// Everything the server sent on `conn` until it closed it.
    async fn read_all(conn: &mut TcpStream) -> String {
        let mut bytes = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut bytes)).await;
        assert!(
            read.is_ok(),
            "the server neither answered nor closed the connection within 5 s"
        );
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn before_the_signal_requests_are_served() {
        let server = Server::start().await;
        let mut conn = server
            .send("/health")
            .await
            .expect("the server accepts connections before the signal");
        let response = read_all(&mut conn).await;
        assert!(
            response.starts_with("HTTP/1.1 200") && response.ends_with("ok\n"),
            "before the shutdown signal, GET /health must be answered 200 (got {response:?})"
        );
        assert!(
            !server.returned(),
            "serve returned before the shutdown signal"
        );
    }

    #[tokio::test]
    async fn in_flight_requests_finish_and_new_connections_are_refused() {
        let mut server = Server::start().await;
        let mut in_flight = server
            .send("/report")
            .await
            .expect("the server accepts connections before the signal");
        server.wait_started(1).await;

        server
            .stop
            .take()
            .unwrap()
            .send(())
            .expect("serve dropped the shutdown signal");

        // New connections must be refused: axum closes its listener on the signal.
        let mut refused = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(2)).await;
            match TcpStream::connect(server.addr).await {
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
                    refused = true;
                    break;
                }
                _ => continue,
            }
        }
        assert!(
            refused,
            "100 ms after the shutdown signal the server still accepted new \
             connections: a server that is shutting down must stop accepting at once, so \
             that the load balancer sends new clients elsewhere"
        );
        let returned_early = server.returned();

        server.gate.add_permits(1);
        let response = read_all(&mut in_flight).await;
        assert!(
            response.starts_with("HTTP/1.1 200") && response.ends_with("report ready\n"),
            "the request in flight when the signal came was cut off (it got {response:?}): a \
             graceful shutdown lets it finish and send its response"
        );
        assert!(
            !returned_early,
            "serve returned while a request was still in flight: it must wait for it"
        );
        for _ in 0..5000 {
            if server.returned() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(
            server.returned(),
            "serve had not returned 5 s after the last request finished"
        );
        let result = server
            .thread
            .take()
            .unwrap()
            .join()
            .expect("serve panicked");
        assert!(
            result.is_ok(),
            "once the last request finished, serve must return Ok(()) (got {result:?})"
        );
    }
}
