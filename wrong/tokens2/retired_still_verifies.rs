// wrong fix: looks the key up by kid but forgets its status: a retired (leaked) key still verifies the tokens it signs
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

        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self
            .keys
            .iter()
            .find(|key| key.kid == kid)
            .ok_or(TokenError::UnknownKey)?;
        let mut mac = M::keyed(&key.secret);
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
        if claims.iss.as_deref() != Some(self.issuer.as_str()) {
            return Err(TokenError::WrongIssuer);
        }
        if claims.aud.as_deref() != Some(self.audience.as_str()) {
            return Err(TokenError::WrongAudience);
        }

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

