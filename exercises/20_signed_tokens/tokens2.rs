// tokens2: which key, and for whom: key ids, rotation, audience and issuer.
//
// Our identity service signs HS256 tokens for several APIs and rotates its keys: the newest
// key signs, the previous one still verifies for a while, older ones are retired (refused).
// Each token names its key in the header (`kid`). `verify` ignores `kid` and tries every
// key of the ring until one fits, retired keys included, and never asks who the token was
// issued by (`iss`) or for (`aud`): a token for the billing API opens the orders API.
// Pick the one key `kid` names (refuse unknown and retired ones), then require our issuer
// and our audience.

use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// The MAC tokens are signed with (as in tokens1).
trait TokenMac: Sized {
    fn keyed(key: &[u8]) -> Self;
    fn input(&mut self, data: &[u8]);
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
        Mac::verify_slice(self, tag).is_ok()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum KeyStatus {
    /// Signs new tokens, verifies.
    Signing,
    /// Rotated out: verifies tokens it signed until they expire.
    VerifyOnly,
    /// Compromised or past its grace period: verifies nothing.
    Retired,
}

struct SigningKey {
    #[allow(dead_code)] // Read once `verify` looks keys up.
    kid: String,
    secret: Vec<u8>,
    #[allow(dead_code)] // Read once `verify` looks keys up.
    status: KeyStatus,
}

struct Verifier {
    keys: Vec<SigningKey>,
    /// Who must have issued the token (`iss`).
    #[allow(dead_code)] // Not checked yet.
    issuer: String,
    /// Who the token must be for (`aud`): this API.
    #[allow(dead_code)] // Not checked yet.
    audience: String,
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    #[allow(dead_code)] // Not checked yet.
    iss: Option<String>,
    #[allow(dead_code)] // Not checked yet.
    aud: Option<String>,
}

#[allow(dead_code)] // Some errors are not reported yet.
#[derive(Debug, PartialEq)]
enum TokenError {
    Malformed,
    UnsupportedAlgorithm,
    UnknownKey,
    RetiredKey,
    BadSignature,
    Expired,
    WrongIssuer,
    WrongAudience,
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = Base64UrlUnpadded::decode_vec(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

impl Verifier {
    fn verify<M: TokenMac>(&self, token: &str, now: SystemTime) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header_b64)?;
        if header.alg != "HS256" {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        let signature =
            Base64UrlUnpadded::decode_vec(signature_b64).map_err(|_| TokenError::Malformed)?;

        // TODO: `kid` is ignored; every key is tried, retired ones too.
        let _ = header.kid;
        let mut valid = false;
        for key in &self.keys {
            let mut mac = M::keyed(&key.secret);
            mac.input(header_b64.as_bytes());
            mac.input(b".");
            mac.input(payload_b64.as_bytes());
            if mac.verify_tag(&signature) {
                valid = true;
                break;
            }
        }
        if !valid {
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
        // TODO: who issued the token, and for whom?
        Ok(claims)
    }
}

/// What the identity service does: sign `claims` with `key`, naming it in the header.
fn issue<M: TokenMac>(key: &SigningKey, claims: &serde_json::Value) -> String {
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": key.kid });
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    let mut mac = M::keyed(&key.secret);
    mac.input(input.as_bytes());
    format!("{input}.{}", Base64UrlUnpadded::encode_string(&mac.tag()))
}

fn main() {
    let key = |kid: &str, secret: &[u8], status| SigningKey {
        kid: kid.to_string(),
        secret: secret.to_vec(),
        status,
    };
    let verifier = Verifier {
        keys: vec![
            key("2025-07", b"the July key", KeyStatus::Retired),
            key("2025-10", b"the October key", KeyStatus::VerifyOnly),
            key("2026-01", b"the January key", KeyStatus::Signing),
        ],
        issuer: "https://id.example.com".to_string(),
        audience: "orders-api".to_string(),
    };
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = serde_json::json!({ "sub": "alice", "exp": exp, "iss": "https://id.example.com" });
    for aud in ["orders-api", "billing-api"] {
        let mut claims = claims.clone();
        claims["aud"] = aud.into();
        let token = issue::<Hmac<Sha256>>(&verifier.keys[2], &claims);
        match verifier.verify::<Hmac<Sha256>>(&token, SystemTime::now()) {
            Ok(claims) => println!("a token for {aud}: accepted for {}", claims.sub),
            Err(err) => println!("a token for {aud}: refused, {err:?}"),
        }
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::time::Duration;

    /// 2026-01-01T00:00:00Z, the tests' "now".
    const NOW: u64 = 1_767_225_600;
    const ISSUER: &str = "https://id.example.com";
    const AUDIENCE: &str = "orders-api";
    const RETIRED: (&str, &[u8]) = ("2025-07", b"the July key, leaked in a backup");
    const PREVIOUS: (&str, &[u8]) = ("2025-10", b"the October key");
    const CURRENT: (&str, &[u8]) = ("2026-01", b"the January key");

    fn verifier() -> Verifier {
        let key = |(kid, secret): (&str, &[u8]), status| SigningKey {
            kid: kid.to_string(),
            secret: secret.to_vec(),
            status,
        };
        Verifier {
            keys: vec![
                key(RETIRED, KeyStatus::Retired),
                key(PREVIOUS, KeyStatus::VerifyOnly),
                key(CURRENT, KeyStatus::Signing),
            ],
            issuer: ISSUER.to_string(),
            audience: AUDIENCE.to_string(),
        }
    }

    thread_local! {
        static KEYED: Cell<usize> = const { Cell::new(0) };
    }

    /// HMAC-SHA256 that counts the keys `verify` tries.
    struct Watched(Hmac<Sha256>);

    impl TokenMac for Watched {
        fn keyed(key: &[u8]) -> Self {
            KEYED.with(|keyed| keyed.set(keyed.get() + 1));
            Watched(<Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap())
        }
        fn input(&mut self, data: &[u8]) {
            Mac::update(&mut self.0, data);
        }
        fn tag(self) -> Vec<u8> {
            Mac::finalize(self.0).into_bytes().to_vec()
        }
        fn verify_tag(self, tag: &[u8]) -> bool {
            Mac::verify_slice(self.0, tag).is_ok()
        }
    }

    /// The verdict on `token`, and how many keys `verify` tried.
    fn check(token: &str) -> (Result<Claims, TokenError>, usize) {
        KEYED.with(|keyed| keyed.set(0));
        let verdict = verifier().verify::<Watched>(token, UNIX_EPOCH + Duration::from_secs(NOW));
        (verdict, KEYED.with(Cell::get))
    }

    fn b64(bytes: &[u8]) -> String {
        Base64UrlUnpadded::encode_string(bytes)
    }

    /// A token with header `{"alg":"HS256","kid":kid}` (no kid when `None`) and these claims,
    /// signed with `secret`.
    fn token(kid: Option<&str>, claims: serde_json::Value, secret: &[u8]) -> String {
        let mut header = serde_json::json!({ "alg": "HS256", "typ": "JWT" });
        if let Some(kid) = kid {
            header["kid"] = kid.into();
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap();
        Mac::update(&mut mac, input.as_bytes());
        let signature = b64(&Mac::finalize(mac).into_bytes());
        format!("{input}.{signature}")
    }

    fn claims() -> serde_json::Value {
        serde_json::json!({ "sub": "alice", "exp": NOW + 600, "iss": ISSUER, "aud": AUDIENCE })
    }

    fn signed_by((kid, secret): (&str, &[u8])) -> String {
        token(Some(kid), claims(), secret)
    }

    #[test]
    fn live_keys_verify_with_one_try() {
        for (what, key) in [("current", CURRENT), ("previous", PREVIOUS)] {
            let (verdict, tried) = check(&signed_by(key));
            let claims = verdict.unwrap_or_else(|err| {
                panic!("a valid token signed with the {what} key was refused: {err:?}")
            });
            assert_eq!(
                claims.sub, "alice",
                "the claims returned must be the token's"
            );
            assert_eq!(
                tried, 1,
                "a token signed with the {what} key made `verify` try {tried} keys: `kid` names \
                 the one key to check"
            );
        }
    }

    #[test]
    fn a_retired_key_is_refused() {
        // The attack: the retired key leaked; sign a token with it and name it.
        let (verdict, _) = check(&signed_by(RETIRED));
        assert!(
            verdict.is_err(),
            "a token signed with the retired key {} was accepted as {verdict:?}: retiring a \
             (leaked) key must stop it from verifying anything",
            RETIRED.0
        );
        // ...or name a live key, or none, and hope the verifier tries them all.
        for kid in [Some(CURRENT.0), Some(PREVIOUS.0), None] {
            let (verdict, tried) = check(&token(kid, claims(), RETIRED.1));
            assert!(
                verdict.is_err(),
                "a token signed with the retired key under kid {kid:?} was accepted as \
                 {verdict:?}: the key the signature is checked with is the one `kid` names"
            );
            assert!(
                tried <= 1,
                "a token under kid {kid:?} made `verify` try {tried} keys: check only the key \
                 `kid` names"
            );
        }
    }

    #[test]
    fn an_unknown_key_id_is_refused_without_trying_keys() {
        for (kid, secret) in [
            (Some("2099-01"), &b"a key we never had"[..]),
            (Some("2099-01"), CURRENT.1),
            (Some(""), CURRENT.1),
            (None, CURRENT.1),
        ] {
            let (verdict, tried) = check(&token(kid, claims(), secret));
            assert!(
                verdict.is_err(),
                "a token under the unknown kid {kid:?} was accepted as {verdict:?}"
            );
            assert_eq!(
                tried, 0,
                "a token under the unknown kid {kid:?} made `verify` try {tried} keys: an \
                 unknown kid is refused at the lookup (trying every key multiplies each forged \
                 token's cost and accepts any key the ring still holds)"
            );
        }
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        // The attack: a token the billing API was given (same identity service, same keys)
        // replayed against the orders API.
        for aud in [
            Some("billing-api"),
            Some("orders-api-staging"),
            Some(""),
            None,
        ] {
            let mut claims = claims();
            match aud {
                Some(aud) => claims["aud"] = aud.into(),
                None => {
                    claims.as_object_mut().unwrap().remove("aud");
                }
            }
            let (verdict, _) = check(&token(Some(CURRENT.0), claims, CURRENT.1));
            assert!(
                verdict.is_err(),
                "a validly signed token with aud {aud:?} was accepted as {verdict:?} by the \
                 {AUDIENCE:?} API: a token is only for the audience it names, and one that names \
                 none is for nobody"
            );
        }
    }

    #[test]
    fn a_token_from_another_issuer_is_refused() {
        for iss in [Some("https://staging-id.example.com"), None] {
            let mut claims = claims();
            match iss {
                Some(iss) => claims["iss"] = iss.into(),
                None => {
                    claims.as_object_mut().unwrap().remove("iss");
                }
            }
            let (verdict, _) = check(&token(Some(CURRENT.0), claims, CURRENT.1));
            assert!(
                verdict.is_err(),
                "a validly signed token with iss {iss:?} was accepted as {verdict:?}: only \
                 {ISSUER:?} issues tokens for this API"
            );
        }
    }

    #[test]
    fn signature_and_expiry_still_hold() {
        let mut expired = claims();
        expired["exp"] = (NOW - 1).into();
        let good = signed_by(CURRENT);
        let unsigned = format!("{}.", good.rsplit_once('.').unwrap().0);
        for (what, bad) in [
            (
                "an expired token",
                token(Some(CURRENT.0), expired, CURRENT.1),
            ),
            ("a token with an empty signature", unsigned),
            (
                "a token signed with the previous key under the current kid",
                token(Some(CURRENT.0), claims(), PREVIOUS.1),
            ),
        ] {
            let (verdict, _) = check(&bad);
            assert!(verdict.is_err(), "{what} was accepted as {verdict:?}");
        }
    }
}
