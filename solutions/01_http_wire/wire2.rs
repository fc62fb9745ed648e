// wire2: frame a response so the client knows where it ends.
//
// An HTTP/1.1 response is a status line, header lines, an empty line, then the body, every
// line ending in CRLF (RFC 9112, sections 4 to 6). HTTP/1.1 connections stay open for the
// next request, so the end of the connection cannot mark the end of the body: the
// `Content-Length` header must say how long it is, in *bytes* (octets), not characters.
// Without it a client waits for more body forever, or reads the next response as body.
// Add the missing header to `write_response`. The body below is not ASCII, on purpose.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

const GREETING: &str = "Grüße aus Zürich — 5 € pro Tasse";

/// Writes a complete `text/plain` response into `out`.
fn write_response(out: &mut impl Write, status: u16, reason: &str, body: &str) -> io::Result<()> {
    write!(out, "HTTP/1.1 {status} {reason}\r\n")?;
    write!(out, "Content-Type: text/plain; charset=utf-8\r\n")?;
    write!(out, "Content-Length: {}\r\n", body.len())?;
    write!(out, "\r\n")?;
    out.write_all(body.as_bytes())
}

/// Serves requests on one connection until the client closes it (HTTP/1.1 keep-alive).
fn handle_connection(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(()); // the client closed the connection
        }
        // Read the headers up to the empty line (these requests have no body).
        let mut close = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header == "\r\n" {
                break;
            }
            close |= header.eq_ignore_ascii_case("connection: close\r\n");
        }
        let target = request_line.split(' ').nth(1).unwrap_or("");
        // Build the whole response in memory and send it in one write.
        let mut response = Vec::new();
        match target {
            "/" => write_response(&mut response, 200, "OK", GREETING)?,
            _ => write_response(
                &mut response,
                404,
                "Not Found",
                &format!("no page {target}"),
            )?,
        }
        writer.write_all(&response)?;
        if close {
            return Ok(()); // the client asked us to close after this response
        }
    }
}

/// Starts the server on a background thread and returns its address.
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

fn main() -> io::Result<()> {
    let addr = spawn_server()?;
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    io::Read::read_to_string(&mut stream, &mut response)?;
    println!("{response}");
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::time::Duration;

    /// The greeting the contract promises on `GET /` (not ASCII, on purpose).
    const EXPECTED_GREETING: &str = "Grüße aus Zürich — 5 € pro Tasse";

    /// A strict HTTP/1.1 client: reads exactly one response from a kept-alive connection.
    fn read_response(reader: &mut BufReader<TcpStream>) -> (String, Vec<(String, String)>, String) {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect(
            "no status line arrived: the previous response's body was longer than its \
             Content-Length said, or the server stopped answering",
        );
        assert!(
            read > 0,
            "the server closed the connection instead of answering: an HTTP/1.1 connection \
             stays open for the next request, so the body's end must come from Content-Length"
        );
        let status_line = line
            .strip_suffix("\r\n")
            .expect("the status line must end with CRLF")
            .to_owned();
        assert!(
            status_line.starts_with("HTTP/1.1 "),
            "expected a status line, got {status_line:?}: bytes were left over after the \
             previous body (the body was longer than its Content-Length, or something \
             followed it)"
        );
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .expect("the headers must end with an empty line (CRLF CRLF)");
            let line = line
                .strip_suffix("\r\n")
                .expect("header lines end with CRLF");
            if line.is_empty() {
                break; // the empty line: the body follows
            }
            let (name, value) = line.split_once(':').expect("a header is `Name: value`");
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .expect(
                "no Content-Length header: on a kept-alive connection the client \
                 cannot tell where the body ends",
            )
            .1
            .parse()
            .expect("Content-Length must be a decimal number of bytes");
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect(
            "the body was shorter than its Content-Length: the client waits for bytes that \
             never come",
        );
        (
            status_line,
            headers,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    fn connect() -> (TcpStream, BufReader<TcpStream>) {
        let addr = spawn_server().expect("the server must start");
        let stream = TcpStream::connect(addr).expect("connect to the server");
        // Guard: a badly framed response must fail the test, not hang it.
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        (stream, reader)
    }

    #[test]
    fn two_responses_on_one_connection() {
        let (mut stream, mut reader) = connect();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let (status, _, body) = read_response(&mut reader);
        assert_eq!(status, "HTTP/1.1 200 OK", "GET / is answered 200 OK");
        assert_eq!(
            body, EXPECTED_GREETING,
            "the client read exactly Content-Length bytes as the body: the length must count \
             the body's UTF-8 bytes"
        );

        // The same connection carries the next exchange: the first body must not overrun.
        stream
            .write_all(b"GET /menu HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let (status, _, body) = read_response(&mut reader);
        assert_eq!(
            status, "HTTP/1.1 404 Not Found",
            "the second response must start right where the first body ended; anything else \
             means bytes of the first response were left over (its Content-Length was wrong, \
             or something followed the body)"
        );
        assert_eq!(
            body, "no page /menu",
            "the second response's body, framed by its own Content-Length"
        );
    }

    #[test]
    fn content_length_counts_bytes_not_characters() {
        let (mut stream, mut reader) = connect();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let (_, headers, _) = read_response(&mut reader);
        let length = &headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .expect("the response must have a Content-Length header")
            .1;
        assert_eq!(
            length,
            &EXPECTED_GREETING.len().to_string(),
            "Content-Length counts bytes: the greeting has {} characters but {} UTF-8 bytes \
             (ü, ß, — and € take 2 or 3 bytes each)",
            EXPECTED_GREETING.chars().count(),
            EXPECTED_GREETING.len()
        );
    }

    #[test]
    fn headers_say_what_the_body_is() {
        let (mut stream, mut reader) = connect();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let (_, headers, _) = read_response(&mut reader);
        assert!(
            headers.contains(&(
                "content-type".to_owned(),
                "text/plain; charset=utf-8".to_owned()
            )),
            "the response must keep its `Content-Type: text/plain; charset=utf-8` header, \
             so the client decodes the body as UTF-8; got {headers:?}"
        );
    }
}
