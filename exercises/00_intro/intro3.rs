// intro3: starting the async runtime.
//
// Async code runs on a runtime, and `#[tokio::main]` builds one around an async fn: the
// fn becomes a plain fn that starts a runtime, runs the body on it, and shuts it down
// when the body returns. It usually sits on `main`, but any fn will do: here it is on
// `serve`, which `main` (and the tests) call. By default it builds tokio's multi-thread
// runtime, which needs the `rt-multi-thread` feature. This course, like many small
// services, enables only the single-threaded runtime (`rt`), so this does not compile.
// Read the error, then ask `#[tokio::main]` for the current-thread runtime (no Cargo.toml
// change). The tests hand `serve` a real listener on 127.0.0.1 and call `GET /hello` on it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use axum::{Router, routing::get};
use tokio::sync::oneshot;

async fn hello() -> &'static str {
    "Hello from a single thread!"
}

fn app() -> Router {
    Router::new().route("/hello", get(hello))
}

/// Serves `app()` on `listener` until `stop` fires, on a runtime of its own.
// TODO: the default flavor of this runtime is not available in this course.
#[tokio::main]
async fn serve(listener: TcpListener, stop: oneshot::Receiver<()>) {
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = stop.await;
        })
        .await
        .unwrap();
}

/// Sends `GET {path}` to `addr` with a plain blocking client; returns the whole response.
fn fetch(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

fn main() {
    // Port 0: the OS picks a free port, so runs never collide.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel();
    // The client runs on another thread while `serve` runs the server on this one.
    let client = std::thread::spawn(move || {
        let response = fetch(addr, "/hello");
        let _ = stop.send(());
        response
    });
    serve(listener, stopped);
    let response = client.join().unwrap().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    println!("GET http://{addr}/hello -> {body}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Runs `serve` on this thread with a fresh listener while a client on another thread
    /// sends `GET /hello`; returns what the client received (or why it received nothing).
    fn exchange() -> Result<String, String> {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        let client = std::thread::spawn(move || {
            let result = (|| {
                let mut stream = TcpStream::connect(addr)?;
                // Guard: a server that accepts but never answers fails the test.
                stream.set_read_timeout(Some(Duration::from_secs(2)))?;
                stream.write_all(
                    format!("GET /hello HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )?;
                let mut response = String::new();
                stream.read_to_string(&mut response)?;
                Ok::<_, std::io::Error>(response)
            })();
            let _ = stop.send(()); // whatever happened, let `serve` return
            result.map_err(|e| e.to_string())
        });
        serve(listener, stopped);
        client.join().expect("the test's client thread panicked")
    }

    #[test]
    fn serve_answers_hello_over_tcp() {
        let response = exchange().unwrap_or_else(|e| {
            panic!(
                "nothing answered on the listener given to `serve` ({e}): `serve` must run \
                 the axum server on its runtime until told to stop"
            )
        });
        assert!(
            response.starts_with("HTTP/1.1 200 OK\r\n"),
            "GET /hello must be answered 200 OK by the axum server; got {response:?}"
        );
        assert!(
            response.ends_with("\r\n\r\nHello from a single thread!"),
            "GET /hello must answer the body of the `hello` handler; got {response:?}"
        );
    }

    #[test]
    fn serve_can_run_twice() {
        // Each call starts a runtime and shuts it down when it returns.
        for run in 1..=2 {
            let response = exchange()
                .unwrap_or_else(|e| panic!("run {run}: nothing answered on the listener ({e})"));
            assert!(
                response.starts_with("HTTP/1.1 200 OK\r\n"),
                "run {run}: every call of `serve` must serve; got {response:?}"
            );
        }
    }
}
