// wrong fix: drops `#[tokio::main]` and `async` and empties `serve` to make it compile: no runtime, no server, nothing answers on the listener
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
fn serve(listener: TcpListener, stop: oneshot::Receiver<()>) {
    // The runtime does not compile, so skip it for now.
    let _ = (listener, stop, app());
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

