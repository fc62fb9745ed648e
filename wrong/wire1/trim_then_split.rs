// wrong fix: trims the line before splitting on ' ': leading and trailing spaces, which a strict peer refuses, are silently accepted
// wire1: parse an HTTP/1.1 request line, strictly.
//
// A request starts with `method SP request-target SP HTTP-version` (RFC 9112, section 3),
// e.g. `GET /search?q=rust HTTP/1.1`: three parts, one space between each. This parser
// splits on any whitespace and ignores what follows the third word. Leniency here is a
// security bug: a proxy in front may read the same bytes differently (request smuggling),
// so a malformed line must be rejected (400), not guessed at.
// Make `parse_request_line` accept exactly three parts separated by single spaces.

#[derive(Debug, PartialEq)]
enum Version {
    Http10,
    Http11,
}

#[derive(Debug, PartialEq)]
struct RequestLine<'a> {
    method: &'a str,
    target: &'a str,
    version: Version,
}

/// Why a request line was refused; the server answers `400 Bad Request`.
#[derive(Debug, PartialEq)]
struct BadRequest;

/// A method is a "token": one or more visible characters from a fixed set (RFC 9110, 5.6.2).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The target we serve: origin-form (`/path?query`) or `*` (for `OPTIONS *`), no controls.
fn is_target(s: &str) -> bool {
    (s.starts_with('/') || s == "*") && s.bytes().all(|b| b.is_ascii_graphic())
}

fn parse_version(s: &str) -> Result<Version, BadRequest> {
    match s {
        "HTTP/1.1" => Ok(Version::Http11),
        "HTTP/1.0" => Ok(Version::Http10),
        _ => Err(BadRequest),
    }
}

/// Parses a request line, given without its trailing CRLF.
fn parse_request_line(line: &str) -> Result<RequestLine<'_>, BadRequest> {
    // TODO: this accepts tabs, runs of spaces, and extra words after the version.
    let mut parts = line.trim().split(' ');
    let method = parts.next().ok_or(BadRequest)?;
    let target = parts.next().ok_or(BadRequest)?;
    let version = parts.next().ok_or(BadRequest)?;
    if parts.next().is_some() {
        return Err(BadRequest);
    }

    if !is_token(method) || !is_target(target) {
        return Err(BadRequest);
    }
    Ok(RequestLine {
        method,
        target,
        version: parse_version(version)?,
    })
}

fn main() {
    for line in ["GET /index.html HTTP/1.1", "GET /index.html HTTP/1.1 extra"] {
        println!("{line:?} -> {:?}", parse_request_line(line));
    }
}

