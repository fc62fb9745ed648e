// timing1: compare secrets in constant time.
//
// `/internal/metrics` is protected by an API key sent in the `x-api-key` header.
// `keys_match` stops at the first byte that differs, which is exactly what `==` on
// slices, strings or `Vec`s does (it is a `memcmp`). A wrong first byte is rejected
// sooner than a wrong last byte, so by timing many requests an attacker learns how much
// of a guess is right and recovers the key one byte at a time. Make the comparison
// examine every byte whatever the input, and decide only at the end.
//
// The comparison only sees the bytes through the `SecretByte` operations below. In the
// service they are plain `u8`s; the tests hand it bytes that count every operation done
// on them (reads, `==`, `^`, `|`): that count is their clock.

use std::ops::{BitOr, BitOrAssign, BitXor};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;

/// What `keys_match` may do with one byte of a secret.
trait SecretByte:
    Copy + PartialEq + BitXor<Output = Self> + BitOr<Output = Self> + BitOrAssign
{
    #[allow(dead_code)] // Not used yet by the early-exit comparison.
    const ZERO: Self;
}

impl SecretByte for u8 {
    const ZERO: u8 = 0;
}

/// Read access to a secret's bytes, one at a time.
trait ByteSource {
    type Byte: SecretByte;
    fn len(&self) -> usize;
    fn byte_at(&self, index: usize) -> Self::Byte;
}

impl ByteSource for [u8] {
    type Byte = u8;
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
fn keys_match<S>(presented: &S, expected: &S) -> bool
where
    S: ByteSource + ?Sized,
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

    /// Operations done on secret bytes by this thread: the tests' stand-in for time.
    #[derive(Clone, Copy, Default)]
    struct Work {
        reads: usize,
        equality_tests: usize,
        combinations: usize,
    }

    impl Work {
        fn total(&self) -> usize {
            self.reads + self.equality_tests + self.combinations
        }
    }

    impl std::fmt::Display for Work {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "{} byte reads, {} equality tests and {} XOR/OR",
                self.reads, self.equality_tests, self.combinations
            )
        }
    }

    thread_local! {
        static WORK: Cell<Work> = Cell::new(Work::default());
    }

    fn count(update: impl FnOnce(&mut Work)) {
        WORK.with(|work| {
            let mut now = work.get();
            update(&mut now);
            work.set(now);
        });
    }

    fn count_combination() {
        count(|w| w.combinations += 1);
    }

    /// A secret byte that counts what is done with it. It offers nothing but what
    /// `SecretByte` requires: its value cannot be read out, printed, hashed or ordered.
    /// Its memory holds the value masked (each key with its own mask), so reinterpreting
    /// its bytes does not give the key's bytes either.
    #[derive(Clone, Copy)]
    struct Counted {
        masked: u8,
        mask: u8,
    }

    impl Counted {
        fn new(value: u8, mask: u8) -> Counted {
            Counted {
                masked: value ^ mask,
                mask,
            }
        }
        fn value(self) -> u8 {
            self.masked ^ self.mask
        }
    }

    impl PartialEq for Counted {
        fn eq(&self, other: &Self) -> bool {
            count(|w| w.equality_tests += 1);
            self.value() == other.value()
        }
    }

    impl BitXor for Counted {
        type Output = Counted;
        fn bitxor(self, other: Counted) -> Counted {
            count_combination();
            Counted::new(self.value() ^ other.value(), self.mask)
        }
    }

    impl BitOr for Counted {
        type Output = Counted;
        fn bitor(self, other: Counted) -> Counted {
            count_combination();
            Counted::new(self.value() | other.value(), self.mask)
        }
    }

    impl BitOrAssign for Counted {
        fn bitor_assign(&mut self, other: Counted) {
            count_combination();
            *self = Counted::new(self.value() | other.value(), self.mask);
        }
    }

    impl SecretByte for Counted {
        const ZERO: Counted = Counted { masked: 0, mask: 0 };
    }

    /// A key whose bytes are handed out as `Counted`, each read counted too.
    struct CountedKey<'a> {
        bytes: &'a [u8],
        mask: u8,
    }

    impl ByteSource for CountedKey<'_> {
        type Byte = Counted;
        fn len(&self) -> usize {
            self.bytes.len()
        }
        fn byte_at(&self, index: usize) -> Counted {
            count(|w| w.reads += 1);
            Counted::new(self.bytes[index], self.mask)
        }
    }

    /// The verdict of `keys_match` for `presented` against `KEY`, and the work it did.
    fn compare(presented: &[u8]) -> (bool, Work) {
        WORK.with(|work| work.set(Work::default()));
        let presented = CountedKey {
            bytes: presented,
            mask: 0x5a,
        };
        let expected = CountedKey {
            bytes: KEY,
            mask: 0xc3,
        };
        let verdict = keys_match(&presented, &expected);
        (verdict, WORK.with(Cell::get))
    }

    fn with_byte_changed(index: usize) -> Vec<u8> {
        let mut key = KEY.to_vec();
        key[index] = if key[index] == b'0' { b'1' } else { b'0' };
        key
    }

    #[test]
    fn the_verdict_is_right() {
        assert!(
            compare(KEY).0,
            "the right key was refused: legitimate callers would be locked out"
        );
        for index in [0, KEY.len() / 2, KEY.len() - 1] {
            assert!(
                !compare(&with_byte_changed(index)).0,
                "a key wrong in byte {index} was accepted"
            );
        }
        assert!(
            !compare(&KEY[..KEY.len() - 1]).0,
            "a key one byte short was accepted"
        );
    }

    #[test]
    fn work_does_not_depend_on_where_the_keys_differ() {
        let (_, early) = compare(&with_byte_changed(0));
        let (_, late) = compare(&with_byte_changed(KEY.len() - 1));
        let (_, right) = compare(KEY);
        assert_eq!(
            early.total(),
            late.total(),
            "a key differing in its first byte was rejected after {early}, one differing in \
             its last byte after {late}: the comparison exits early (`==` on slices or Vecs, \
             `.all()`, `&&` and `break` all stop at the first difference)"
        );
        assert_eq!(
            early.total(),
            right.total(),
            "a wrong key cost {early}, the right one {right}: the work shows how much of \
             the guess was right"
        );
        assert!(
            early.reads >= 2 * KEY.len(),
            "only {} of the {} bytes were read: every byte of both keys must be examined",
            early.reads,
            2 * KEY.len()
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
                let cost = compare(&guess).1.total();
                if cost > slowest.0 {
                    slowest = (cost, candidate);
                }
            }
            guess[position] = slowest.1;
        }
        // For the last byte the server's answer itself says which one is right.
        let recovered = HEX.iter().any(|&candidate| {
            guess[last] = candidate;
            compare(&guess).0
        });
        assert!(
            !recovered,
            "the attacker recovered the API key from the comparison's cost in at most {} \
             guesses: each right byte made the comparison do more work",
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
                .expect("the router itself cannot fail");
            assert_eq!(
                resp.status(),
                expected,
                "/internal/metrics with x-api-key {key:?}: only the exact key may read the metrics"
            );
        }
    }
}
