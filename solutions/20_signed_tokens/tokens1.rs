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

    // The server decides the algorithm: HS256 and nothing else, checked every time.
    if header.alg != "HS256" {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    let mut mac = M::keyed(key);
    mac.input(header_b64.as_bytes());
    mac.input(b".");
    mac.input(payload_b64.as_bytes());
    if !mac.verify_tag(&signature) {
        return Err(TokenError::BadSignature);
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::time::Duration;

    const KEY: &[u8] = b"a 32-byte server secret, example";
    /// 2026-01-01T00:00:00Z, the tests' "now".
    const NOW: u64 = 1_767_225_600;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    #[derive(Clone, Copy, Default, Debug)]
    struct Calls {
        keyed: usize,
        tag: usize,
        verify_tag: usize,
    }

    thread_local! {
        static CALLS: Cell<Calls> = Cell::new(Calls::default());
    }

    fn count(update: impl FnOnce(&mut Calls)) {
        CALLS.with(|calls| {
            let mut now = calls.get();
            update(&mut now);
            calls.set(now);
        });
    }

    /// HMAC-SHA256 that counts what `verify` asks of it.
    struct Watched(Hmac<Sha256>);

    impl TokenMac for Watched {
        fn keyed(key: &[u8]) -> Self {
            count(|c| c.keyed += 1);
            Watched(<Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap())
        }
        fn input(&mut self, data: &[u8]) {
            Mac::update(&mut self.0, data);
        }
        fn tag(self) -> Vec<u8> {
            count(|c| c.tag += 1);
            Mac::finalize(self.0).into_bytes().to_vec()
        }
        fn verify_tag(self, tag: &[u8]) -> bool {
            count(|c| c.verify_tag += 1);
            Mac::verify_slice(self.0, tag).is_ok()
        }
    }

    /// `verify` with the watched MAC, and what it asked of the MAC.
    fn check(token: &str) -> (Result<Claims, TokenError>, Calls) {
        CALLS.with(|calls| calls.set(Calls::default()));
        let verdict = verify::<Watched>(token, KEY, now());
        (verdict, CALLS.with(Cell::get))
    }

    fn b64(bytes: &[u8]) -> String {
        Base64UrlUnpadded::encode_string(bytes)
    }

    fn hs256(signing_input: &str, key: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        Mac::update(&mut mac, signing_input.as_bytes());
        Mac::finalize(mac).into_bytes().to_vec()
    }

    /// A token with this header and these claims, signed with `key`.
    fn token(header: &str, claims: &str, key: &[u8]) -> String {
        let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
        let signature = b64(&hs256(&input, key));
        format!("{input}.{signature}")
    }

    fn claims(sub: &str, exp: u64) -> String {
        format!(r#"{{"sub":"{sub}","exp":{exp}}}"#)
    }

    const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn a_valid_token_is_accepted() {
        let (verdict, calls) = check(&token(HS256, &claims("alice", NOW + 600), KEY));
        let claims =
            verdict.expect("a token signed with our key and valid for 10 more minutes was refused (`exp` is in seconds)");
        assert_eq!(
            claims.sub, "alice",
            "the claims returned must be the token's"
        );
        assert_eq!(
            calls.verify_tag, 1,
            "a valid token must be checked once with the MAC's constant-time `verify_tag` ({calls:?})"
        );
        let (verdict, _) = check(&sign::<Hmac<Sha256>>("bob", NOW + 1, KEY));
        assert!(
            verdict.is_ok(),
            "a token issued by `sign`, valid one more second, was refused: {verdict:?}"
        );
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        // The attack: write your own claims, declare "no algorithm", send no signature.
        for (sub, alg) in ["none", "None", "NONE", "nOnE", "", "HS512", "hs256"]
            .into_iter()
            .map(|alg| ("admin", alg))
            .chain([("alice", "none")])
        {
            let forged_claims = claims(sub, NOW + 3600);
            let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
            let input = format!(
                "{}.{}",
                b64(header.as_bytes()),
                b64(forged_claims.as_bytes())
            );
            for signature in [String::new(), b64(b"not a signature")] {
                let forged = format!("{input}.{signature}");
                let (verdict, _) = check(&forged);
                assert!(
                    verdict.is_err(),
                    "a forged token with \"alg\": \"{alg}\" and no valid signature was accepted as \
                     {verdict:?}: the token's header must not choose the algorithm (or none), the \
                     server accepts HS256 only"
                );
            }
        }
    }

    #[test]
    fn a_wrong_signature_is_refused() {
        let good = token(HS256, &claims("alice", NOW + 600), KEY);
        let (input, signature) = good.rsplit_once('.').unwrap();
        let tag = Base64UrlUnpadded::decode_vec(signature).unwrap();

        let other_key = token(HS256, &claims("alice", NOW + 600), b"some other key");
        let mut last_byte = tag.clone();
        *last_byte.last_mut().unwrap() ^= 1;
        let swapped = format!(
            "{}.{}.{signature}",
            b64(HS256.as_bytes()),
            b64(claims("admin", NOW + 600).as_bytes())
        );
        for (what, forged) in [
            ("signed with another key", other_key),
            (
                "with its last signature byte changed",
                format!("{input}.{}", b64(&last_byte)),
            ),
            (
                "with its signature cut to 16 bytes",
                format!("{input}.{}", b64(&tag[..16])),
            ),
            ("with an empty signature", format!("{input}.")),
            ("with another token's claims", swapped),
        ] {
            let (verdict, calls) = check(&forged);
            assert!(
                verdict.is_err(),
                "a token {what} was accepted as {verdict:?}"
            );
            assert_eq!(
                (calls.tag, calls.verify_tag),
                (0, 1),
                "a token {what}: `verify` took the tag out of the MAC with `tag()` to compare it \
                 itself ({calls:?}). `==` on bytes stops at the first difference, so the response \
                 time tells a forger how much of a signature is right; let the MAC compare with \
                 `verify_tag` (`Mac::verify_slice`: length check, constant-time comparison)"
            );
        }
    }

    #[test]
    fn an_expired_token_is_refused() {
        // The attack: replay a token captured an hour after it expired.
        for (what, exp) in [
            ("that expired an hour ago", NOW - 3600),
            ("that expires this very second", NOW),
        ] {
            let (verdict, calls) = check(&token(HS256, &claims("alice", exp), KEY));
            assert!(
                matches!(verdict, Err(TokenError::Expired)),
                "a correctly signed token {what} gave {verdict:?}, not Err(Expired): `exp` is in \
                 seconds since the epoch and the token is valid only while now < exp"
            );
            assert_eq!(
                calls.verify_tag, 1,
                "the signature is checked first ({calls:?})"
            );
        }
        let no_exp = token(HS256, r#"{"sub":"alice"}"#, KEY);
        let (verdict, _) = check(&no_exp);
        assert!(
            verdict.is_err(),
            "a signed token without `exp` was accepted as {verdict:?}: it would be valid forever"
        );
        let (verdict, _) = check(&token(HS256, &claims("alice", NOW + 30 * 24 * 3600), KEY));
        assert!(
            verdict.is_ok(),
            "a token valid for 30 more days was refused: {verdict:?} (is `exp` read in seconds?)"
        );
    }

    #[test]
    fn garbage_is_refused() {
        let good = token(HS256, &claims("alice", NOW + 600), KEY);
        for bad in [
            String::new(),
            "abc".to_string(),
            format!("{good}.extra"),
            good.replacen('.', "", 1),
            format!("%%%.{}", good.split_once('.').unwrap().1),
        ] {
            let (verdict, _) = check(&bad);
            assert!(
                verdict.is_err(),
                "the malformed token {bad:?} was accepted as {verdict:?}"
            );
        }
    }
}
