// wrong fix: polls the queue with `std::thread::sleep` between looks: the sleep blocks the runtime's only thread, so the POST that would fill the queue is never read
// routing5: never block the async runtime inside a handler.
//
// Workers long-poll `GET /jobs/next`, which waits until a producer sends `POST /jobs`.
// The server runs every connection as a task on one thread (a current-thread runtime). A
// handler that *blocks* that thread (a std `Condvar` wait, `std::thread::sleep`, blocking
// IO) stops all other requests: the POST that would wake the worker is never read, and the
// service hangs. A waiting handler must `.await`, so the runtime can run other tasks.
// Replace the blocking wait with an async one (tokio::sync has the tools).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Default)]
struct JobQueue {
    jobs: Mutex<VecDeque<String>>,
    // TODO: a std `Condvar` can only be waited on by blocking the thread.
    job_added: Condvar,
    /// Workers currently parked in `GET /jobs/next` (exported as a metric).
    waiting: AtomicUsize,
}

/// `GET /jobs/next`: the oldest job, waiting for one if the queue is empty.
async fn next_job(State(queue): State<Arc<JobQueue>>) -> String {
    queue.waiting.fetch_add(1, Ordering::SeqCst);
    let job = loop {
        if let Some(job) = queue.jobs.lock().unwrap().pop_front() {
            break job;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    queue.waiting.fetch_sub(1, Ordering::SeqCst);
    job
}

/// `POST /jobs`: queue the request body as a job and wake a waiting worker.
async fn add_job(State(queue): State<Arc<JobQueue>>, job: String) -> StatusCode {
    queue.jobs.lock().unwrap().push_back(job);
    queue.job_added.notify_one();
    StatusCode::ACCEPTED
}

fn app(queue: Arc<JobQueue>) -> Router {
    Router::new()
        .route("/jobs", post(add_job))
        .route("/jobs/next", get(next_job))
        .with_state(queue)
}

/// Starts the server on its own thread with a current-thread runtime, on 127.0.0.1 and a
/// port chosen by the OS, and returns its address.
fn spawn_server(queue: Arc<JobQueue>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app(queue)).await.unwrap();
        });
    });
    addr
}

/// A minimal HTTP/1.1 client: sends one request and returns (status, body).
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (status, body.to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let addr = spawn_server(Arc::new(JobQueue::default()));
    let (status, _) = request(addr, "POST", "/jobs", "resize photo 17").await;
    println!("POST /jobs -> {status}");
    let (status, job) = request(addr, "GET", "/jobs/next", "").await;
    println!("GET /jobs/next -> {status} {job}");
}

