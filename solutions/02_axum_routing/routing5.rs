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
use std::sync::{Arc, Mutex};

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

#[derive(Default)]
struct JobQueue {
    jobs: Mutex<VecDeque<String>>,
    job_added: Notify,
    /// Workers currently parked in `GET /jobs/next` (exported as a metric).
    waiting: AtomicUsize,
}

/// `GET /jobs/next`: the oldest job, waiting for one if the queue is empty.
async fn next_job(State(queue): State<Arc<JobQueue>>) -> String {
    queue.waiting.fetch_add(1, Ordering::SeqCst);
    let job = loop {
        // Register interest before looking, so a job added in between is not missed.
        let job_added = queue.job_added.notified();
        if let Some(job) = queue.jobs.lock().unwrap().pop_front() {
            break job;
        }
        job_added.await;
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Fails the test instead of hanging when the server never answers.
    async fn guard<T>(what: &str, future: impl Future<Output = T>) -> T {
        match tokio::time::timeout(Duration::from_secs(2), future).await {
            Ok(value) => value,
            Err(_) => panic!("{what}"),
        }
    }

    /// How many of its own turns (1 ms sleeps) the test gives the server's thread to park
    /// once a worker waits. A correct server has parked before the test first looks; the
    /// bound only ends a thread that a handler blocks or spins, which never parks.
    const IDLE_TURNS: u32 = 100;

    /// The server under test, on its own thread and current-thread runtime, watched:
    /// `idle` is true while the runtime's thread is parked with nothing to do, and
    /// `extra_threads` counts the threads the runtime started (its blocking pool).
    struct Server {
        addr: SocketAddr,
        idle: Arc<AtomicBool>,
        extra_threads: Arc<AtomicUsize>,
    }

    fn start_server(queue: Arc<JobQueue>) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let idle = Arc::new(AtomicBool::new(false));
        let extra_threads = Arc::new(AtomicUsize::new(0));
        let (parked, unparked, started) = (idle.clone(), idle.clone(), extra_threads.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .on_thread_start(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                })
                .on_thread_park(move || parked.store(true, Ordering::SeqCst))
                .on_thread_unpark(move || unparked.store(false, Ordering::SeqCst))
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app(queue)).await.unwrap();
            });
        });
        Server {
            addr,
            idle,
            extra_threads,
        }
    }

    /// A minimal HTTP/1.1 client: sends one request and returns (status, body).
    async fn call(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
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
        let status = response
            .get(9..12)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
        (status, body.to_owned())
    }

    #[tokio::test]
    async fn producer_is_served_while_a_worker_waits() {
        let queue = Arc::new(JobQueue::default());
        let server = start_server(queue.clone());
        let addr = server.addr;

        // A worker asks for a job while the queue is empty: its request parks.
        let worker = tokio::spawn(call(addr, "GET", "/jobs/next", ""));
        guard(
            "the worker's GET /jobs/next never reached the handler",
            async {
                while queue.waiting.load(Ordering::SeqCst) == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            },
        )
        .await;

        // A waiting handler leaves the thread free: the runtime goes idle until an event.
        // It has nothing left to do, so it parks within a turn or two of the test's; a
        // handler that blocks or spins the thread never lets it park.
        let mut turns = 0;
        while !server.idle.load(Ordering::SeqCst) {
            assert!(
                turns < IDLE_TURNS,
                "while a worker waited for a job, the server's only thread never went idle \
                 ({IDLE_TURNS} turns of the test's): the handler keeps it busy, by blocking it \
                 (a std Condvar wait, thread::sleep) or by polling in a loop; `.await` a \
                 notification instead"
            );
            turns += 1;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }

        // While it is parked, the server must still answer other requests.
        let (status, _) = guard(
            "POST /jobs got no answer while a worker was parked in GET /jobs/next: \
             that handler blocks the server's only thread",
            call(addr, "POST", "/jobs", "send invoice 9"),
        )
        .await;
        assert_eq!(
            status, 202,
            "POST /jobs queues the job and answers 202 Accepted"
        );

        let (status, job) = guard("the parked worker was never woken", worker)
            .await
            .expect("the worker's request task panicked");
        assert_eq!(
            (status, job.as_str()),
            (200, "send invoice 9"),
            "the parked worker must receive the job posted while it waited"
        );
        assert_eq!(
            queue.waiting.load(Ordering::SeqCst),
            0,
            "once served, the worker is no longer counted as waiting"
        );
        let extra_threads = server.extra_threads.load(Ordering::SeqCst);
        assert_eq!(
            extra_threads, 0,
            "the server started {extra_threads} extra thread(s) to wait for a job \
             (spawn_blocking): each parked worker would hold an OS thread; waiting must be an \
             `.await` on the runtime's own thread"
        );
    }

    #[tokio::test]
    async fn queued_jobs_come_out_in_order() {
        let server = start_server(Arc::new(JobQueue::default()));
        for job in ["a", "b"] {
            let (status, _) =
                guard("POST /jobs hung", call(server.addr, "POST", "/jobs", job)).await;
            assert_eq!(status, 202, "POST /jobs answers 202 Accepted");
        }
        for expected in ["a", "b"] {
            let (status, job) = guard(
                "GET /jobs/next hung although jobs were queued",
                call(server.addr, "GET", "/jobs/next", ""),
            )
            .await;
            assert_eq!(
                (status, job.as_str()),
                (200, expected),
                "queued jobs come out oldest first, without waiting"
            );
        }
    }
}
