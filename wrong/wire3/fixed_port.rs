// wrong fix: replaces port 0 by a fixed "free" port: the second server on the machine (or a second test) fails with "address already in use"
// wire3: bind to port 0, then ask the socket which port you got.
//
// Binding to port 0 asks the OS for any free port. Tests use it so that many servers can
// run at once without fighting over a fixed port like 8080, and so do services started
// by an orchestrator. But then the configured address (`127.0.0.1:0`) is not where the
// server listens: only the bound socket knows the real port. This `start` reports the
// address from its config, so clients are told to connect to port 0.
// Report the address the listener is actually bound to.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

struct Config {
    /// Shown in the responses, to tell servers apart.
    name: &'static str,
    /// Where to listen, e.g. `127.0.0.1:0` (any free port on loopback).
    bind: String,
}

/// Answers every request with the server's name, then closes the connection.
fn serve(listener: TcpListener, name: &'static str) {
    for stream in listener.incoming().flatten() {
        let _ = answer(stream, name);
    }
}

fn answer(mut stream: TcpStream, name: &str) -> io::Result<()> {
    // Read the request head, up to the empty line.
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 && line != "\r\n" {
        line.clear();
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{name}",
        name.len()
    );
    stream.write_all(response.as_bytes())
}

/// Binds the configured address, serves on a background thread, and returns the address
/// clients must connect to.
fn start(config: &Config) -> io::Result<SocketAddr> {
    let bind = config.bind.replace(":0", ":18080");
    let listener = TcpListener::bind(&bind)?;
    let addr = listener.local_addr()?;
    let name = config.name;
    std::thread::spawn(move || serve(listener, name));
    Ok(addr)
}

/// `GET /` on `addr`: returns the response body.
fn fetch(addr: SocketAddr) -> io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    io::Read::read_to_string(&mut stream, &mut response)?;
    let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    Ok(body.to_owned())
}

fn main() -> io::Result<()> {
    for name in ["alpha", "beta"] {
        let addr = start(&Config {
            name,
            bind: "127.0.0.1:0".into(),
        })?;
        println!("{name} listening on http://{addr}/");
        println!("GET http://{addr}/ -> {:?}", fetch(addr));
    }
    Ok(())
}

