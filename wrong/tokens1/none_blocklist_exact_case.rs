// wrong fix: adds `if header.alg == "none" { return Err(..) }` in front: a blocklist of one spelling, while the branch below still treats "None" or "NONE" as unsigned, so a forged token with another case gets in
// tokens1: verify a signed token; never let the token choose how.
//
// Our API issues HS256 tokens (`header.payload.signature`, base64url parts, the signature
// an HMAC-SHA256 of `header.payload`). `verify` lets the token's own header pick the
// algorithm, and for `"alg": "none"` (an unsigned token, RFC 7515) checks nothing: anyone
// can write `{"sub":"admin"}` and be believed. The server decides: accept exactly HS256,
// always check the signature, keep the expiry check. (`verify` is generic over the MAC so
// that the tests can hand it one that counts what it is asked to do.)

use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// The MAC tokens are signed with.
trait TokenMac: Sized {
    /// A MAC keyed with `key`.
    fn keyed(key: &[u8]) -> Self;
    /// Feeds the signed bytes.
    fn input(&mut self, data: &[u8]);
    /// The tag of everything fed, to sign a token.
    fn tag(self) -> Vec<u8>;
    /// True when `tag` is the tag of everything fed, compared in constant time.
    fn verify_tag(self, tag: &[u8]) -> bool;
}

impl TokenMac for Hmac<Sha256> {
    fn keyed(key: &[u8]) -> Self {
        <Self as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
    }
    fn input(&mut self, data: &[u8]) {
        Mac::update(self, data);
    }
    fn tag(self) -> Vec<u8> {
        Mac::finalize(self).into_bytes().to_vec()
    }
    fn verify_tag(self, tag: &[u8]) -> bool {
        // `verify_slice` checks the length and compares in constant time (`subtle`).
        Mac::verify_slice(self, tag).is_ok()
    }
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    /// Expiry, in seconds since the Unix epoch (a JWT "NumericDate").
    exp: u64,
}

#[derive(Debug, PartialEq)]
enum TokenError {
    Malformed,
    UnsupportedAlgorithm,
    BadSignature,
    Expired,
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = Base64UrlUnpadded::decode_vec(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// The claims of `token` when it is signed with `key` and not expired at `now`.
fn verify<M: TokenMac>(token: &str, key: &[u8], now: SystemTime) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header = decode_json(header_b64)?;
    let signature =
        Base64UrlUnpadded::decode_vec(signature_b64).map_err(|_| TokenError::Malformed)?;

    if header.alg == "none" {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    if header.alg.eq_ignore_ascii_case("none") {
        // RFC 7515 allows unsecured tokens: no signature to verify.
    } else if header.alg == "HS256" {
        let mut mac = M::keyed(key);
        mac.input(header_b64.as_bytes());
        mac.input(b".");
        mac.input(payload_b64.as_bytes());
        if !mac.verify_tag(&signature) {
            return Err(TokenError::BadSignature);
        }
    } else {
        return Err(TokenError::UnsupportedAlgorithm);
    }

    let claims: Claims = decode_json(payload_b64)?;
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| TokenError::Expired)?
        .as_secs();
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// Issues a token for `sub`, valid until `exp` (seconds since the Unix epoch).
fn sign<M: TokenMac>(sub: &str, exp: u64, key: &[u8]) -> String {
    let header = Base64UrlUnpadded::encode_string(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({ "sub": sub, "exp": exp }).to_string();
    let payload = Base64UrlUnpadded::encode_string(claims.as_bytes());
    let mut mac = M::keyed(key);
    mac.input(header.as_bytes());
    mac.input(b".");
    mac.input(payload.as_bytes());
    let signature = Base64UrlUnpadded::encode_string(&mac.tag());
    format!("{header}.{payload}.{signature}")
}

fn main() {
    let key = b"a 32-byte server secret, example";
    let now = SystemTime::now();
    let exp = now.duration_since(UNIX_EPOCH).unwrap().as_secs() + 3600;
    let token = sign::<Hmac<Sha256>>("alice", exp, key);
    println!("{token}");
    match verify::<Hmac<Sha256>>(&token, key, now) {
        Ok(claims) => println!("valid for {} until {}", claims.sub, claims.exp),
        Err(err) => println!("refused: {err:?}"),
    }
}

