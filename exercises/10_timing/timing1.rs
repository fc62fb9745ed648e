// timing1: compare secrets in constant time.
//
// `/internal/metrics` is protected by an API key sent in the `x-api-key` header.
// `keys_match` stops at the first byte that differs, which is exactly what `==` on
// slices or strings does. A wrong first byte is rejected sooner than a wrong last
// byte, so by timing many requests an attacker learns how much of a guess is right
// and recovers the key one byte at a time. Make the comparison examine every byte
// whatever the input, and decide only at the end.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;

/// Read access to a secret's bytes, one at a time. The service passes plain byte
/// slices; the tests pass a wrapper that counts how many bytes get examined.
trait ByteSource {
    fn len(&self) -> usize;
    fn byte_at(&self, index: usize) -> u8;
}

impl ByteSource for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn byte_at(&self, index: usize) -> u8 {
        self[index]
    }
}

/// True when the presented key equals the expected one. Its running time may depend
/// on the lengths (both are public: every key we issue has the same length) but not
/// on where the keys differ.
fn keys_match<P, E>(presented: &P, expected: &E) -> bool
where
    P: ByteSource + ?Sized,
    E: ByteSource + ?Sized,
{
    if presented.len() != expected.len() {
        return false;
    }
    // TODO: this returns as soon as a byte differs, like `==` does.
    for i in 0..expected.len() {
        if presented.byte_at(i) != expected.byte_at(i) {
            return false;
        }
    }
    true
}

#[derive(Clone)]
struct AppState {
    api_key: Arc<[u8]>,
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/internal/metrics", get(metrics))
        .with_state(state)
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<String, StatusCode> {
    let presented = headers
        .get("x-api-key")
        .map(|value| value.as_bytes())
        .unwrap_or_default();
    if !keys_match(presented, &*state.api_key) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok("http_requests_total 1027\n".to_string())
}

fn main() {
    let key: &[u8] = b"9f86d081884c7d659a2feaa0c55ad015";
    println!("right key: {}", keys_match(key, key));
    println!(
        "wrong key: {}",
        keys_match(&b"9f86d081884c7d659a2feaa0c55ad016"[..], key)
    );
    let _ = app(AppState {
        api_key: Arc::from(key),
    });
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use std::cell::Cell;
    use tower::ServiceExt;

    const KEY: &[u8] = b"9f86d081884c7d659a2feaa0c55ad015";

    /// A byte slice that counts every byte read from it.
    struct Counted<'a> {
        bytes: &'a [u8],
        reads: &'a Cell<usize>,
    }

    impl ByteSource for Counted<'_> {
        fn len(&self) -> usize {
            self.bytes.len()
        }
        fn byte_at(&self, index: usize) -> u8 {
            self.reads.set(self.reads.get() + 1);
            self.bytes[index]
        }
    }

    /// How many bytes `keys_match` examines: our stand-in for its running time.
    fn work(presented: &[u8]) -> usize {
        let reads = Cell::new(0);
        keys_match(
            &Counted {
                bytes: presented,
                reads: &reads,
            },
            &Counted {
                bytes: KEY,
                reads: &reads,
            },
        );
        reads.get()
    }

    fn with_byte_changed(index: usize) -> Vec<u8> {
        let mut key = KEY.to_vec();
        key[index] = if key[index] == b'0' { b'1' } else { b'0' };
        key
    }

    #[test]
    fn work_does_not_depend_on_where_the_keys_differ() {
        let early = work(&with_byte_changed(0));
        let late = work(&with_byte_changed(KEY.len() - 1));
        let right = work(KEY);
        assert_eq!(
            early, late,
            "a key wrong in its first byte costs {early} byte reads, one wrong in its last byte {late}"
        );
        assert_eq!(
            early, right,
            "a wrong key costs {early} reads, the right one {right}"
        );
    }

    #[test]
    fn the_key_cannot_be_recovered_byte_by_byte() {
        // The attack: fix one position at a time, keeping the guess that took longest.
        const HEX: &[u8] = b"0123456789abcdef";
        let last = KEY.len() - 1;
        let mut guess = vec![b'0'; KEY.len()];
        for position in 0..last {
            let mut slowest = (0, b'0');
            for &candidate in HEX {
                guess[position] = candidate;
                let cost = work(&guess);
                if cost > slowest.0 {
                    slowest = (cost, candidate);
                }
            }
            guess[position] = slowest.1;
        }
        // For the last byte the server's answer itself says which one is right.
        let recovered = HEX.iter().any(|&candidate| {
            guess[last] = candidate;
            keys_match(&guess[..], KEY)
        });
        assert!(
            !recovered,
            "the attacker recovered the API key from the comparison's cost in at most {} guesses",
            HEX.len() * KEY.len()
        );
    }

    #[tokio::test]
    async fn the_endpoint_requires_the_key() {
        let app = app(AppState {
            api_key: Arc::from(KEY),
        });
        for (key, expected) in [
            (Some(KEY.to_vec()), StatusCode::OK),
            (Some(with_byte_changed(5)), StatusCode::UNAUTHORIZED),
            (Some(b"short".to_vec()), StatusCode::UNAUTHORIZED),
            (None, StatusCode::UNAUTHORIZED),
        ] {
            let mut req = Request::get("/internal/metrics");
            if let Some(key) = &key {
                req = req.header("x-api-key", key.as_slice());
            }
            let resp = app
                .clone()
                .oneshot(req.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(resp.status(), expected, "x-api-key: {key:?}");
        }
    }
}
