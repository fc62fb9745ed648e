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
    let mut parts = line.split(' ');
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_get_with_a_query() {
        assert_eq!(
            parse_request_line("GET /search?q=rust&page=2 HTTP/1.1"),
            Ok(RequestLine {
                method: "GET",
                target: "/search?q=rust&page=2",
                version: Version::Http11,
            })
        );
    }

    #[test]
    fn parses_http_1_0_and_other_methods() {
        assert_eq!(
            parse_request_line("DELETE /api/items/7 HTTP/1.0"),
            Ok(RequestLine {
                method: "DELETE",
                target: "/api/items/7",
                version: Version::Http10,
            })
        );
        assert_eq!(
            parse_request_line("OPTIONS * HTTP/1.1").map(|r| r.target),
            Ok("*")
        );
    }

    #[test]
    fn rejects_missing_parts() {
        for line in ["", "GET", "GET /", "GET  HTTP/1.1", " / HTTP/1.1"] {
            assert_eq!(parse_request_line(line), Err(BadRequest), "{line:?}");
        }
    }

    #[test]
    fn rejects_extra_words_after_the_version() {
        // A front proxy that splits on single spaces sees a target with a space in it.
        for line in ["GET / HTTP/1.1 extra", "GET /a HTTP/1.1 /admin"] {
            assert_eq!(parse_request_line(line), Err(BadRequest), "{line:?}");
        }
    }

    #[test]
    fn rejects_separators_other_than_one_space() {
        for line in [
            "GET  /index.html HTTP/1.1",
            "GET /index.html  HTTP/1.1",
            "GET\t/index.html\tHTTP/1.1",
            " GET /index.html HTTP/1.1",
            "GET /index.html HTTP/1.1 ",
        ] {
            assert_eq!(parse_request_line(line), Err(BadRequest), "{line:?}");
        }
    }

    #[test]
    fn rejects_bad_methods_targets_and_versions() {
        for line in [
            "G(E)T / HTTP/1.1",
            "GET index.html HTTP/1.1",
            "GET / HTTP/2.0",
            "GET / http/1.1",
        ] {
            assert_eq!(parse_request_line(line), Err(BadRequest), "{line:?}");
        }
    }
}
