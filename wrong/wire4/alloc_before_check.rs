// wrong fix: allocates `vec![0; content_length]` before the size check, so the limit no longer protects memory: any client chooses how much the server reserves
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

    let mut body = vec![0; content_length];
    if content_length > MAX_BODY {
        return write_response(reader.get_mut(), 413, "Content Too Large", "body too large");
    }
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

