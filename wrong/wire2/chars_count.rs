// wrong fix: Content-Length counts characters (`chars().count()`), not bytes: the non-ASCII body is longer than announced and its tail is read as the next response
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
    write!(out, "Content-Length: {}\r\n", body.chars().count())?;
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

