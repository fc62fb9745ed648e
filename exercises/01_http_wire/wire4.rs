// wire4: cap the request body (413 Content Too Large).
//
// This upload endpoint trusts the client's `Content-Length`: it allocates that many bytes
// and reads them all, so one request announcing gigabytes exhausts the server's memory (a
// denial of service that costs the attacker nothing). Decide *before* allocating or
// reading: if the announced body is over the limit, answer `413 Content Too Large`
// (RFC 9110, 15.5.14) and close the connection. Enforce `MAX_BODY` in `handle_connection`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// The largest request body this server accepts, in bytes.
const MAX_BODY: usize = 64 * 1024;

fn write_response(out: &mut impl Write, status: u16, reason: &str, body: &str) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    out.write_all(response.as_bytes())
}

/// Handles one `POST /upload` per connection: stores the body, answers 201.
/// `stream` is the client's connection (a `TcpStream`; any `Read + Write` works, which
/// lets the tests count the bytes the server reads from the socket).
fn handle_connection(stream: impl Read + Write) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;

    let mut content_length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) => content_length = n,
                    Err(_) => {
                        return write_response(reader.get_mut(), 400, "Bad Request", "bad length");
                    }
                }
            }
        }
    }

    // TODO: the client alone decides how much this allocates and reads.
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;

    // A real service would store the upload; we report its size.
    let message = format!("stored {} bytes", body.len());
    write_response(reader.get_mut(), 201, "Created", &message)
}

/// Starts the server on a background thread; returns its address.
fn spawn_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || handle_connection(stream));
        }
    });
    Ok(addr)
}

/// Uploads `body` and returns the response's status code and body.
fn upload(addr: SocketAddr, body: Vec<u8>) -> io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    // Send the body from another thread, as a real client streams it, and read the
    // answer here. A server may answer before it has read everything.
    let mut sender = stream.try_clone()?;
    std::thread::spawn(move || sender.write_all(&body));
    stream.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response); // a reset after the answer is fine
    let response = String::from_utf8_lossy(&response);
    let status = response.get(9..12).unwrap_or("0").parse().unwrap_or(0);
    let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    Ok((status, body.to_owned()))
}

fn main() -> io::Result<()> {
    let addr = spawn_server()?;
    for size in [1_000, MAX_BODY * 16] {
        println!(
            "upload of {size} bytes -> {:?}",
            upload(addr, vec![b'x'; size])?
        );
    }
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::net::Shutdown;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::JoinHandle;
    use std::time::Duration;

    /// The limit this exercise's contract sets: 64 KiB.
    const LIMIT: usize = 64 * 1024;

    /// The largest single allocation made in this test process so far. The tests' own
    /// buffers stay under 2 MiB, so anything far larger was allocated by the server.
    static LARGEST_ALLOCATION: AtomicUsize = AtomicUsize::new(0);

    struct WatchAllocations;

    unsafe impl GlobalAlloc for WatchAllocations {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            LARGEST_ALLOCATION.fetch_max(layout.size(), Ordering::Relaxed);
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            LARGEST_ALLOCATION.fetch_max(layout.size(), Ordering::Relaxed);
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            LARGEST_ALLOCATION.fetch_max(new_size, Ordering::Relaxed);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: WatchAllocations = WatchAllocations;

    /// The server's end of a real loopback connection; counts every byte the server reads.
    struct Counted {
        stream: TcpStream,
        read: Arc<AtomicUsize>,
    }

    impl Read for Counted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.stream.read(buf)?;
            self.read.fetch_add(n, Ordering::SeqCst);
            Ok(n)
        }
    }

    impl Write for Counted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.stream.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.stream.flush()
        }
    }

    /// A server for one connection: `handle_connection` runs on its own thread and reads
    /// through `Counted`. Returns the address, the bytes-read counter and the thread.
    fn serve_one() -> (SocketAddr, Arc<AtomicUsize>, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let read = Arc::new(AtomicUsize::new(0));
        let counter = read.clone();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept the test's connection");
            let _ = handle_connection(Counted {
                stream,
                read: counter,
            });
        });
        (addr, read, server)
    }

    /// Sends `POST /upload` announcing `declared` bytes, then `body` (streamed from another
    /// thread, as a real client does); with `half_close`, closes the sending direction
    /// after the body, so a server waiting for more sees the end of the stream. Returns the
    /// status code (0 when there was no response) and the response body.
    fn post(addr: SocketAddr, declared: usize, body: Vec<u8>, half_close: bool) -> (u16, String) {
        let mut stream = TcpStream::connect(addr).expect("connect to the test server");
        // Guard: a server that never answers fails the test instead of hanging it.
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let head = format!(
            "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {declared}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("send the head");
        let mut sender = stream.try_clone().unwrap();
        let sending = std::thread::spawn(move || {
            let _ = sender.write_all(&body); // the server may close before it is all sent
            if half_close {
                let _ = sender.shutdown(Shutdown::Write);
            }
        });
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response); // a reset after the answer is fine
        drop(stream);
        let _ = sending.join();
        let response = String::from_utf8_lossy(&response);
        let status = response.get(9..12).unwrap_or("0").parse().unwrap_or(0);
        let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
        (status, body.to_owned())
    }

    #[test]
    fn the_limit_is_64_kib() {
        assert_eq!(
            MAX_BODY, LIMIT,
            "the contract of this endpoint sets the limit at 64 KiB: keep MAX_BODY as shipped"
        );
    }

    #[test]
    fn small_upload_is_stored() {
        let (addr, _, server) = serve_one();
        let (status, body) = post(addr, 10_000, vec![b'a'; 10_000], false);
        server.join().expect("the server thread panicked");
        assert_eq!(
            (status, body.as_str()),
            (201, "stored 10000 bytes"),
            "a 10 000-byte upload is well under the limit and must be stored (201)"
        );
    }

    #[test]
    fn upload_of_exactly_the_limit_is_stored() {
        let (addr, _, server) = serve_one();
        let (status, body) = post(addr, LIMIT, vec![b'a'; LIMIT], false);
        server.join().expect("the server thread panicked");
        assert_eq!(
            status, 201,
            "a body of exactly MAX_BODY bytes is within the limit and must be stored (201), \
             not refused: the limit is inclusive (`>` not `>=`)"
        );
        assert_eq!(
            body,
            format!("stored {LIMIT} bytes"),
            "the whole body of an upload at the limit must be read and stored"
        );
    }

    #[test]
    fn one_byte_over_the_limit_is_refused() {
        let (addr, _, server) = serve_one();
        let (status, body) = post(addr, LIMIT + 1, vec![b'a'; LIMIT + 1], false);
        server.join().expect("the server thread panicked");
        assert_eq!(
            status, 413,
            "a body one byte over MAX_BODY must be answered with 413 Content Too Large, got \
             {status} {body:?}"
        );
    }

    #[test]
    fn oversized_upload_is_refused_without_reading_it() {
        // The attack: a body 16 times the limit.
        let (addr, read, server) = serve_one();
        let (status, body) = post(addr, LIMIT * 16, vec![b'a'; LIMIT * 16], false);
        server.join().expect("the server thread panicked");
        assert_eq!(
            status, 413,
            "a body 16 times the limit must be answered with 413 Content Too Large, got \
             {status} {body:?}"
        );
        // The head and one buffer of whatever followed it are fine; reading the body is not.
        let read = read.load(Ordering::SeqCst);
        assert!(
            read <= LIMIT / 2,
            "the server read {read} bytes of a request whose Content-Length ({}) was already \
             over the limit: decide from the header, before reading the body",
            LIMIT * 16
        );
    }

    #[test]
    fn declared_length_is_refused_before_allocating_it() {
        // The attack: announce 64 MiB and send none of it. The header alone decides.
        let declared = LIMIT * 1024;
        let (addr, read, server) = serve_one();
        let (status, body) = post(addr, declared, Vec::new(), true);
        server.join().expect("the server thread panicked");
        let largest = LARGEST_ALLOCATION.load(Ordering::Relaxed);
        assert!(
            largest < declared / 2,
            "the server allocated {largest} bytes for a request announcing {declared}: \
             allocating the declared Content-Length before checking it lets any client choose \
             how much memory the server reserves; check against MAX_BODY first"
        );
        let answer = if status == 0 {
            "no answer: the server hung up, because it tried to read the body first".to_owned()
        } else {
            format!("{status} {body:?}")
        };
        assert_eq!(
            status, 413,
            "a request announcing {declared} bytes must be refused with 413 from its \
             Content-Length alone, before any body arrives; got {answer}"
        );
        let read = read.load(Ordering::SeqCst);
        assert!(
            read < 200,
            "the server read {read} bytes, though the client sent only its head"
        );
    }
}
