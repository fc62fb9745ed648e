// wrong fix: folds with `ok && a == b`: `&&` short-circuits, so after the first difference nothing more is read or compared
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
    (0..expected.len()).fold(true, |ok, i| {
        ok && presented.byte_at(i) == expected.byte_at(i)
    })
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
