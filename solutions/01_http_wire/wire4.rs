// wire4: cap the request body (413 Content Too Large).
//
// This upload endpoint trusts the client's `Content-Length`: it allocates that many bytes
// and reads them all, so one request announcing gigabytes exhausts the server's memory (a
// denial of service that costs the attacker nothing). Decide *before* reading: if the
// announced body is over the limit, answer `413 Content Too Large` (RFC 9110, 15.5.14)
// and close the connection. Enforce `MAX_BODY` in `handle_connection`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest request body this server accepts, in bytes.
const MAX_BODY: usize = 64 * 1024;

/// Server metrics: how many bytes were read from clients in total.
#[derive(Default)]
struct Stats {
    bytes_read: AtomicUsize,
}

/// Wraps the socket to count every byte the server reads from it.
struct Counted {
    stream: TcpStream,
    stats: Arc<Stats>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
        self.stats.bytes_read.fetch_add(n, Ordering::SeqCst);
        Ok(n)
    }
}

fn write_response(stream: &mut TcpStream, status: u16, reason: &str, body: &str) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())
}

/// Handles one `POST /upload` per connection: stores the body, answers 201.
fn handle_connection(mut stream: TcpStream, stats: Arc<Stats>) -> io::Result<()> {
    let mut reader = BufReader::new(Counted {
        stream: stream.try_clone()?,
        stats,
    });
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
                    Err(_) => return write_response(&mut stream, 400, "Bad Request", "bad length"),
                }
            }
        }
    }

    if content_length > MAX_BODY {
        // Refuse before reading: the unread body is dropped with the connection.
        return write_response(&mut stream, 413, "Content Too Large", "body too large");
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;

    // A real service would store the upload; we report its size.
    let message = format!("stored {} bytes", body.len());
    write_response(&mut stream, 201, "Created", &message)
}

/// Starts the server on a background thread; returns its address and metrics.
fn spawn_server() -> io::Result<(SocketAddr, Arc<Stats>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(Stats::default());
    let server_stats = stats.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let stats = server_stats.clone();
            std::thread::spawn(move || handle_connection(stream, stats));
        }
    });
    Ok((addr, stats))
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
    let (addr, stats) = spawn_server()?;
    for size in [1_000, MAX_BODY * 16] {
        println!(
            "upload of {size} bytes -> {:?}",
            upload(addr, vec![b'x'; size])?
        );
    }
    println!(
        "server read {} bytes",
        stats.bytes_read.load(Ordering::SeqCst)
    );
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_upload_is_stored() {
        let (addr, _) = spawn_server().unwrap();
        let (status, body) = upload(addr, vec![b'a'; 10_000]).unwrap();
        assert_eq!((status, body.as_str()), (201, "stored 10000 bytes"));
    }

    #[test]
    fn upload_of_exactly_the_limit_is_stored() {
        let (addr, _) = spawn_server().unwrap();
        let (status, body) = upload(addr, vec![b'a'; MAX_BODY]).unwrap();
        assert_eq!(status, 201);
        assert_eq!(body, format!("stored {MAX_BODY} bytes"));
    }

    #[test]
    fn oversized_upload_is_refused_without_reading_it() {
        let (addr, stats) = spawn_server().unwrap();
        // The attack: a body 16 times the limit.
        let (status, _) = upload(addr, vec![b'a'; MAX_BODY * 16]).unwrap();
        assert_eq!(status, 413, "an oversized body must be answered with 413");
        // Reading up to the limit (plus buffering) is bounded; reading it all is not.
        let read = stats.bytes_read.load(Ordering::SeqCst);
        assert!(
            read <= 2 * MAX_BODY,
            "the server read {read} bytes of a refused request: it must stop at the limit"
        );
    }

    #[test]
    fn one_byte_over_the_limit_is_refused() {
        let (addr, _) = spawn_server().unwrap();
        let (status, _) = upload(addr, vec![b'a'; MAX_BODY + 1]).unwrap();
        assert_eq!(
            status, 413,
            "a body one byte over MAX_BODY must be answered with 413"
        );
    }
}
