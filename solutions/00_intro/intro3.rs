// intro3: starting the async runtime.
//
// An async `main` needs a runtime, and `#[tokio::main]` builds one: by default tokio's
// multi-thread runtime, which needs the `rt-multi-thread` feature. This course, like many
// small services, enables only the single-threaded runtime (`rt`), so this does not
// compile. Read the error, then ask `#[tokio::main]` for the current-thread runtime (no
// Cargo.toml change). The test runs `main`: it serves `GET /hello` on 127.0.0.1 and calls it.

use axum::{Router, routing::get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn hello() -> &'static str {
    "Hello from a single thread!"
}

fn app() -> Router {
    Router::new().route("/hello", get(hello))
}

/// Sends `GET {path}` to `addr` and returns the whole HTTP response.
async fn fetch(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The server runs as a task on the runtime; `main` returns (and stops it) when done.
    tokio::spawn(async move { axum::serve(listener, app()).await.unwrap() });

    let response = fetch(addr, "/hello").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let body = response.split_once("\r\n\r\n").unwrap().1;
    println!("GET http://{addr}/hello -> {body}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_serves_hello_over_tcp() {
        // `main` builds its own runtime, so this is a plain (not async) test.
        main();
    }

    #[test]
    fn main_can_run_twice() {
        // Port 0: each run gets a fresh port, so runs never collide.
        main();
        main();
    }
}
