// wrong fix: starts a graceful shutdown in a spawned task but returns as soon as the signal came, without waiting for the drain: the process exits and cuts off the requests in flight
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
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = signalled.send(());
            })
            .into_future(),
    );
    let _ = on_signal.await;
    Ok(())
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

