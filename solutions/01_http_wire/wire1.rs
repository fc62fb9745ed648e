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

    /// The parsed parts, compared field by field (not through a `PartialEq` impl).
    fn parts(line: &str) -> Option<(String, String, &'static str)> {
        let parsed = parse_request_line(line).ok()?;
        let version = if matches!(parsed.version, Version::Http11) {
            "HTTP/1.1"
        } else if matches!(parsed.version, Version::Http10) {
            "HTTP/1.0"
        } else {
            "another version"
        };
        Some((parsed.method.to_owned(), parsed.target.to_owned(), version))
    }

    #[track_caller]
    fn assert_accepted(line: &str, method: &str, target: &str, version: &'static str) {
        assert_eq!(
            parts(line),
            Some((method.to_owned(), target.to_owned(), version)),
            "{line:?} is a valid request line: method {method}, target {target}, {version}"
        );
    }

    #[track_caller]
    fn assert_rejected(line: &str, why: &str) {
        assert!(
            parse_request_line(line).is_err(),
            "{line:?} must be refused (400): {why}"
        );
    }

    #[test]
    fn parses_a_get_with_a_query() {
        assert_accepted(
            "GET /search?q=rust&page=2 HTTP/1.1",
            "GET",
            "/search?q=rust&page=2",
            "HTTP/1.1",
        );
    }

    #[test]
    fn parses_http_1_0_and_other_methods() {
        assert_accepted(
            "DELETE /api/items/7 HTTP/1.0",
            "DELETE",
            "/api/items/7",
            "HTTP/1.0",
        );
        assert_accepted("OPTIONS * HTTP/1.1", "OPTIONS", "*", "HTTP/1.1");
    }

    #[test]
    fn rejects_missing_parts() {
        for line in ["", "GET", "GET /", "GET  HTTP/1.1", " / HTTP/1.1"] {
            assert_rejected(line, "a request line has exactly three non-empty parts");
        }
    }

    #[test]
    fn rejects_extra_words_after_the_version() {
        // A front proxy that splits on single spaces sees a target with a space in it.
        for line in ["GET / HTTP/1.1 extra", "GET /a HTTP/1.1 /admin"] {
            assert_rejected(
                line,
                "a fourth part after the version is smuggled text, not something to ignore",
            );
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
            assert_rejected(line, "the parts are separated by exactly one space (SP)");
        }
    }

    #[test]
    fn rejects_every_other_whitespace_as_a_separator() {
        // A blocklist of "bad" separators always forgets one: only SP is allowed.
        for line in [
            "GET\x0b/index.html HTTP/1.1",
            "GET /index.html\x0cHTTP/1.1",
            "GET\r/index.html HTTP/1.1",
            "GET /index.html\nHTTP/1.1",
            "GET\u{a0}/index.html HTTP/1.1",
            "GET /index.html\u{2003}HTTP/1.1",
        ] {
            assert_rejected(
                line,
                "only SP separates the parts; vertical tab, form feed, CR, LF and Unicode \
                 spaces are not separators (allow the one right character, don't list the \
                 wrong ones)",
            );
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
            assert_rejected(
                line,
                "the method must be a token, the target start with `/` (or be `*`), \
                 and the version be HTTP/1.0 or HTTP/1.1",
            );
        }
    }
}
