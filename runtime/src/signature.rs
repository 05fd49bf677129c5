//! Webhook signatures, as data: a [`SignatureScheme`] says which header carries the
//! signature, the MAC algorithm, how the MAC is written (hex or base64, with a prefix),
//! how the secret becomes the key (its UTF-8 bytes, or base64 after `whsec_`), what is
//! signed (the raw body, or `id.timestamp.body` as in Standard Webhooks), whether a
//! header holds several signatures, and how old a timestamp may be.
//!
//! Verification always runs over the raw bytes received (nothing is re-serialized),
//! compares MACs in constant time with `hmac`'s `verify_slice` (which also rejects a
//! wrong length), accepts any of several secrets (rotation) and reports which check
//! failed without revealing the secret or the expected signature.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The length of an HMAC-SHA256 tag, the one algorithm there is.
const MAC_LEN: usize = 32;

/// The MAC algorithm of a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC with SHA-256 (RFC 2104).
    HmacSha256,
}

/// How the MAC bytes are written in the header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Hexadecimal; signing writes lowercase, verification accepts either case.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// How a secret becomes the MAC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretFormat {
    /// The secret's bytes as given (the UTF-8 of a text secret).
    Bytes,
    /// Base64, optionally after a `whsec_` prefix (Standard Webhooks).
    WhsecBase64,
}

/// What the MAC is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignedContent {
    /// The raw body.
    Body,
    /// `{id}.{timestamp}.{body}`, with the id and timestamp from their headers.
    IdTimestampBody,
}

/// Where and how a provider signs its webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureScheme {
    /// The HTTP header that carries the signature(s).
    pub header: &'static str,
    /// The MAC algorithm.
    pub algorithm: Algorithm,
    /// How the MAC is encoded.
    pub encoding: Encoding,
    /// Text before each encoded MAC (`sha256=`, `v1,`), or empty.
    pub prefix: &'static str,
    /// How the secret becomes the key.
    pub secret_format: SecretFormat,
    /// What is signed.
    pub signed: SignedContent,
    /// The header with the message id (for [`SignedContent::IdTimestampBody`]), or empty.
    pub id_header: &'static str,
    /// The header with the Unix timestamp in seconds, or empty.
    pub timestamp_header: &'static str,
    /// Separator of several signatures in one header (`Some(' ')`), or `None` for one.
    pub separator: Option<char>,
    /// How far the timestamp may be from now, in seconds; `None` checks no timestamp.
    pub tolerance_seconds: Option<u64>,
}

/// The Standard Webhooks scheme (<https://www.standardwebhooks.com>): `webhook-signature:
/// v1,<base64> ...` over `id.timestamp.body`, `whsec_` base64 secrets, 5 minutes tolerance.
pub const STANDARD_WEBHOOKS: SignatureScheme = SignatureScheme {
    header: "webhook-signature",
    algorithm: Algorithm::HmacSha256,
    encoding: Encoding::Base64,
    prefix: "v1,",
    secret_format: SecretFormat::WhsecBase64,
    signed: SignedContent::IdTimestampBody,
    id_header: "webhook-id",
    timestamp_header: "webhook-timestamp",
    separator: Some(' '),
    tolerance_seconds: Some(300),
};

/// A lowercase hex HMAC-SHA256 of the raw body in `header`, keyed with the secret's bytes:
/// the scheme of all four providers Hookgen ships.
pub const fn hex_body(header: &'static str) -> SignatureScheme {
    SignatureScheme {
        header,
        algorithm: Algorithm::HmacSha256,
        encoding: Encoding::Hex,
        prefix: "",
        secret_format: SecretFormat::Bytes,
        signed: SignedContent::Body,
        id_header: "",
        timestamp_header: "",
        separator: None,
        tolerance_seconds: None,
    }
}

/// The entries of a header value: split at the scheme's separator (if any), trimmed, the
/// empty ones skipped.
#[derive(Clone)]
struct Entries<'v> {
    rest: Option<&'v str>,
    separator: Option<char>,
}

impl<'v> Iterator for Entries<'v> {
    type Item = &'v str;

    fn next(&mut self) -> Option<&'v str> {
        loop {
            let rest = self.rest?;
            let (entry, after) = match self.separator.and_then(|c| rest.split_once(c)) {
                Some((entry, after)) => (entry, Some(after)),
                None => (rest, None),
            };
            self.rest = after;
            let entry = entry.trim();
            if !entry.is_empty() {
                return Some(entry);
            }
        }
    }
}

/// Why a signature was rejected. Never includes the secret or the expected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature header was absent or empty.
    #[error("signature header is missing or empty")]
    Missing,
    /// A header the scheme signs (message id, timestamp) was absent or empty.
    #[error("the `{0}` header is missing or empty")]
    MissingHeader(&'static str),
    /// The header value is not a well-formed signature for this scheme.
    #[error("signature header is malformed: {0}")]
    Malformed(&'static str),
    /// The timestamp header is not a Unix time in seconds.
    #[error("the timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is further from now than the tolerance allows.
    #[error("the timestamp is outside the {tolerance_seconds} s tolerance ({} s {})", .distance_seconds, if *.in_future { "ahead" } else { "old" })]
    OutsideTolerance {
        /// The tolerance.
        tolerance_seconds: u64,
        /// How far the timestamp is from now.
        distance_seconds: u64,
        /// Whether the timestamp is in the future.
        in_future: bool,
    },
    /// A secret is not in the scheme's format (for example not base64 after `whsec_`).
    #[error("a secret is not in the scheme's format: {0}")]
    InvalidSecret(&'static str),
    /// No secret was given.
    #[error("no secret to verify with")]
    NoSecret,
    /// A secret is empty (empty bytes, `whsec_` with nothing after it, an empty entry in
    /// a rotation list): anyone can compute a MAC under an empty key, so it verifies nothing.
    #[error("a secret is empty; an empty key would accept forged signatures")]
    EmptySecret,
    /// The scheme itself cannot be secure (see [`SignatureScheme::check`]).
    #[error("the signature scheme is not secure: {0}")]
    InsecureScheme(&'static str),
    /// The signature is well formed but matches no secret.
    #[error("signature does not match the body")]
    Mismatch,
}

/// The parts of a request a signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedRequest<'a> {
    /// The signature header's value.
    pub signature: Option<&'a str>,
    /// The message id header's value.
    pub id: Option<&'a str>,
    /// The timestamp header's value.
    pub timestamp: Option<&'a str>,
    /// The raw body, exactly as received.
    pub body: &'a [u8],
}

/// A source of the current Unix time, injectable for tests.
pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

impl SignatureScheme {
    /// Refuses a scheme that verifies less than it appears to: a timestamp tolerance
    /// when the MAC does not cover the timestamp (an old delivery would replay with a
    /// fresh timestamp), or a signed id and timestamp without the headers that carry
    /// them (every delivery would be refused).
    pub fn check(&self) -> Result<(), SignatureError> {
        match self.signed {
            SignedContent::Body if self.tolerance_seconds.is_some() => {
                Err(SignatureError::InsecureScheme(
                    "a timestamp tolerance, but the MAC does not cover the timestamp",
                ))
            }
            SignedContent::IdTimestampBody
                if self.id_header.is_empty() || self.timestamp_header.is_empty() =>
            {
                Err(SignatureError::InsecureScheme(
                    "the id and timestamp are signed, but no headers carry them",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Refuses a secret this scheme cannot use: empty, or not in the scheme's format.
    pub fn check_secret(&self, secret: &[u8]) -> Result<(), SignatureError> {
        self.key(secret).map(drop)
    }

    /// The header value that signs `body` with `secret` (for schemes that sign the body
    /// alone; a scheme that also signs an id and timestamp needs [`Self::sign_message`]).
    ///
    /// A secret the scheme cannot use (empty, or not base64 for `whsec_` secrets) yields
    /// an empty value, which every verifier rejects.
    pub fn sign(&self, secret: &[u8], body: &[u8]) -> String {
        self.sign_message(secret, "", 0, body).unwrap_or_default()
    }

    /// The header value that signs `body` (with `id` and `timestamp` when the scheme signs them).
    pub fn sign_message(
        &self,
        secret: &[u8],
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<String, SignatureError> {
        self.check()?;
        let key = self.key(secret)?;
        let tag = self.mac(&key, id, timestamp, body).finalize().into_bytes();
        let mut value = String::with_capacity(self.prefix.len() + 2 * MAC_LEN);
        value.push_str(self.prefix);
        match self.encoding {
            Encoding::Hex => {
                let mut hex = [0u8; 2 * MAC_LEN];
                // The buffer is exactly twice the tag, and hex digits are ASCII.
                if hex::encode_to_slice(tag, &mut hex).is_ok() {
                    value.extend(hex.iter().map(|&b| char::from(b)));
                }
            }
            Encoding::Base64 => BASE64.encode_string(tag, &mut value),
        }
        Ok(value)
    }

    /// Checks `header_value` against the raw `body` under `secret`, in constant time, for a
    /// scheme that signs the body alone and checks no timestamp.
    pub fn verify(
        &self,
        secret: &[u8],
        header_value: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let request = SignedRequest {
            signature: Some(header_value),
            id: None,
            timestamp: None,
            body,
        };
        self.verify_request(&[secret], &request, &SystemClock)
    }

    /// Like [`verify`](Self::verify), for a header that may be absent.
    pub fn verify_header(
        &self,
        secret: &[u8],
        header_value: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        self.verify(secret, header_value.ok_or(SignatureError::Missing)?, body)
    }

    /// Verifies a request against any of `secrets` (several during a rotation): the
    /// timestamp first (when the scheme has a tolerance), then every signature in the
    /// header against every secret, in constant time per comparison.
    pub fn verify_request(
        &self,
        secrets: &[&[u8]],
        request: &SignedRequest<'_>,
        clock: &dyn Clock,
    ) -> Result<(), SignatureError> {
        // Configuration first: an unusable scheme or secret is refused whatever arrives.
        self.check()?;
        if secrets.is_empty() {
            return Err(SignatureError::NoSecret);
        }
        for secret in secrets {
            self.check_secret(secret)?;
        }
        let value = request
            .signature
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(SignatureError::Missing)?;
        let (id, timestamp) = match self.signed {
            SignedContent::Body => ("", 0),
            SignedContent::IdTimestampBody => {
                let id = request
                    .id
                    .filter(|v| !v.is_empty())
                    .ok_or(SignatureError::MissingHeader(self.id_header))?;
                let raw = request
                    .timestamp
                    .filter(|v| !v.is_empty())
                    .ok_or(SignatureError::MissingHeader(self.timestamp_header))?;
                (
                    id,
                    raw.trim()
                        .parse::<i64>()
                        .map_err(|_| SignatureError::BadTimestamp)?,
                )
            }
        };
        // `check` allows a tolerance only over a signed timestamp, read above.
        if let Some(tolerance) = self.tolerance_seconds {
            let now = clock.now_unix();
            // `abs_diff` cannot overflow, whatever the two times are.
            let distance = now.abs_diff(timestamp);
            if distance > tolerance {
                return Err(SignatureError::OutsideTolerance {
                    tolerance_seconds: tolerance,
                    distance_seconds: distance,
                    in_future: timestamp > now,
                });
            }
        }
        // The header is checked before any MAC is computed: its first well-formed MAC,
        // and the entries after it.
        let mut malformed = "missing the scheme's prefix";
        let mut entries = self.entries(value);
        let first = loop {
            let Some(entry) = entries.next() else {
                return Err(SignatureError::Malformed(malformed));
            };
            match self.strip_prefix(entry).map(|e| self.decode_mac(e)) {
                Some(Ok(mac)) => break mac,
                Some(Err(reason)) => malformed = reason,
                None => {}
            }
        };
        // Every secret was checked above; MACs are computed until one matches.
        for secret in secrets {
            let key = self.key(secret)?;
            let mac = self.mac(&key, id, timestamp, request.body);
            // `verify_slice` compares in constant time; a signature of another length fails.
            let matches = |signature: &[u8]| mac.clone().verify_slice(signature).is_ok();
            let mut others = entries
                .clone()
                .filter_map(|e| self.strip_prefix(e))
                .filter_map(|e| self.decode_mac(e).ok());
            if matches(&first) || others.any(|signature| matches(&signature)) {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    }

    /// The non-empty entries of a header value, trimmed.
    fn entries<'v>(&self, value: &'v str) -> Entries<'v> {
        Entries {
            rest: Some(value),
            separator: self.separator,
        }
    }

    /// An entry without the scheme's prefix; `None` when it has another (another version).
    fn strip_prefix<'v>(&self, entry: &'v str) -> Option<&'v str> {
        if self.prefix.is_empty() {
            Some(entry)
        } else {
            entry.strip_prefix(self.prefix)
        }
    }

    /// One encoded MAC, decoded on the stack; the reason when it is not one.
    fn decode_mac(&self, encoded: &str) -> Result<[u8; MAC_LEN], &'static str> {
        let mut mac = [0u8; MAC_LEN];
        match self.encoding {
            Encoding::Hex => match hex::decode_to_slice(encoded, &mut mac) {
                Ok(()) => Ok(mac),
                Err(hex::FromHexError::InvalidStringLength)
                    if encoded.len() % 2 == 0 && encoded.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    Err("wrong signature length")
                }
                Err(_) => Err("not hexadecimal"),
            },
            Encoding::Base64 => match BASE64.decode_slice(encoded, &mut mac) {
                Ok(len) if len == MAC_LEN => Ok(mac),
                Ok(_) => Err("wrong signature length"),
                // Too long for a MAC: is it base64 at all? (Rare; may allocate.)
                Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                    match BASE64.decode(encoded) {
                        Ok(_) => Err("wrong signature length"),
                        Err(_) => Err("not base64"),
                    }
                }
                Err(base64::DecodeSliceError::DecodeError(_)) => Err("not base64"),
            },
        }
    }

    /// The MAC key of a secret: its bytes, or decoded from base64 for `whsec_` secrets.
    /// An empty key is refused, however the secret was written.
    fn key<'s>(&self, secret: &'s [u8]) -> Result<Cow<'s, [u8]>, SignatureError> {
        let key = match self.secret_format {
            SecretFormat::Bytes => Cow::Borrowed(secret),
            SecretFormat::WhsecBase64 => {
                let encoded = secret.strip_prefix(b"whsec_").unwrap_or(secret);
                BASE64
                    .decode(encoded)
                    .map(Cow::Owned)
                    .map_err(|_| SignatureError::InvalidSecret("not base64 after `whsec_`"))?
            }
        };
        if key.is_empty() {
            return Err(SignatureError::EmptySecret);
        }
        Ok(key)
    }

    fn mac(&self, key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        match self.algorithm {
            Algorithm::HmacSha256 => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
                if self.signed == SignedContent::IdTimestampBody {
                    mac.update(id.as_bytes());
                    mac.update(b".");
                    mac.update(timestamp.to_string().as_bytes());
                    mac.update(b".");
                }
                mac.update(body);
                mac
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_the_time_of_day() {
        let expected = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let now = SystemClock.now_unix();
        assert!(now.abs_diff(expected) <= 2, "{now} vs {expected}");
        // A real signature a few seconds old passes under the system clock; one from the
        // epoch does not (which a clock stuck at 0, 1 or -1 would get backwards).
        let body = b"{}";
        let fresh = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for (timestamp, ok) in [(fresh - 3, true), (1, false)] {
            let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            let header = STANDARD_WEBHOOKS
                .sign_message(secret, "msg_1", timestamp, body)
                .unwrap();
            let ts = timestamp.to_string();
            let request = SignedRequest {
                signature: Some(&header),
                id: Some("msg_1"),
                timestamp: Some(&ts),
                body,
            };
            assert_eq!(
                STANDARD_WEBHOOKS
                    .verify_request(&[secret], &request, &SystemClock)
                    .is_ok(),
                ok,
                "timestamp {timestamp}"
            );
        }
    }

    const HEX: SignatureScheme = hex_body("X-Test-Signature");

    #[test]
    fn malformed_signatures_say_how() {
        let malformed = |scheme: &SignatureScheme, header: &str| {
            scheme.verify_request(
                &[b"k"],
                &request(Some(header), None, None, b"{}"),
                &Fixed(0),
            )
        };
        let base64 = SignatureScheme {
            encoding: Encoding::Base64,
            ..HEX
        };
        let (long_hex, long_base64, long_junk) = ("ab".repeat(33), "A".repeat(64), "!".repeat(64));
        for (scheme, header, reason) in [
            (&HEX, "zz", "not hexadecimal"),
            (&HEX, "abc", "not hexadecimal"),
            (&HEX, "abcd", "wrong signature length"),
            (&HEX, &long_hex, "wrong signature length"),
            (&base64, "AAAA", "wrong signature length"),
            (&base64, &long_base64, "wrong signature length"),
            (&base64, "!!!!", "not base64"),
            (&base64, &long_junk, "not base64"),
        ] {
            assert_eq!(
                malformed(scheme, header),
                Err(SignatureError::Malformed(reason)),
                "{header}"
            );
        }
    }

    #[test]
    fn every_secret_must_be_usable_even_after_a_match() {
        let good = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let scheme = SignatureScheme {
            tolerance_seconds: None,
            ..STANDARD_WEBHOOKS
        };
        let header = scheme.sign_message(good, "m", 10, b"{}").unwrap();
        let signed = request(Some(&header), Some("m"), Some("10"), b"{}");
        assert_eq!(scheme.verify_request(&[good], &signed, &Fixed(10)), Ok(()));
        assert_eq!(
            scheme.verify_request(&[good, b"whsec_not base64!"], &signed, &Fixed(10)),
            Err(SignatureError::InvalidSecret("not base64 after `whsec_`"))
        );
    }

    #[test]
    fn a_header_of_many_entries_is_read_once() {
        let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = b"{}";
        let good = STANDARD_WEBHOOKS
            .sign_message(secret, "m", 10, body)
            .unwrap();
        // 200 000 malformed or foreign entries before the good one: a quadratic reading
        // would take minutes.
        let junk = "v1,??? v2,abc ".repeat(100_000);
        let request = |signature| SignedRequest {
            signature: Some(signature),
            id: Some("m"),
            timestamp: Some("10"),
            body,
        };
        let scheme = SignatureScheme {
            tolerance_seconds: None,
            ..STANDARD_WEBHOOKS
        };
        assert_eq!(
            scheme.verify_request(&[secret], &request(&junk), &Fixed(10)),
            Err(SignatureError::Malformed("not base64"))
        );
        let with_good = format!("{junk}{good}");
        assert_eq!(
            scheme.verify_request(&[secret], &request(&with_good), &Fixed(10)),
            Ok(())
        );
    }

    struct Fixed(i64);
    impl Clock for Fixed {
        fn now_unix(&self) -> i64 {
            self.0
        }
    }

    fn request<'a>(
        signature: Option<&'a str>,
        id: Option<&'a str>,
        timestamp: Option<&'a str>,
        body: &'a [u8],
    ) -> SignedRequest<'a> {
        SignedRequest {
            signature,
            id,
            timestamp,
            body,
        }
    }

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            HEX.sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_uppercase_and_surrounding_whitespace() {
        let sig = HEX.sign(b"k", b"body").to_uppercase();
        assert_eq!(HEX.verify(b"k", &format!(" {sig}\t"), b"body"), Ok(()));
    }

    #[test]
    fn verify_rejects_each_malformation() {
        let sig = HEX.sign(b"k", b"body");
        assert_eq!(HEX.verify(b"k", "", b"body"), Err(SignatureError::Missing));
        assert_eq!(
            HEX.verify_header(b"k", None, b"body"),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            HEX.verify(b"k", &sig[..62], b"body"),
            Err(SignatureError::Malformed("wrong signature length"))
        );
        assert_eq!(
            HEX.verify(b"k", &sig[..63], b"body"),
            Err(SignatureError::Malformed("not hexadecimal"))
        );
        assert_eq!(
            HEX.verify(b"k", &format!("{sig}00"), b"body"),
            Err(SignatureError::Malformed("wrong signature length"))
        );
        assert_eq!(
            HEX.verify(b"j", &sig, b"body"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn prefix_is_written_and_required() {
        let scheme = SignatureScheme {
            prefix: "sha256=",
            ..HEX
        };
        let sig = scheme.sign(b"k", b"b");
        assert!(sig.starts_with("sha256="));
        assert_eq!(scheme.verify(b"k", &sig, b"b"), Ok(()));
        assert_eq!(
            scheme.verify(b"k", &sig["sha256=".len()..], b"b"),
            Err(SignatureError::Malformed("missing the scheme's prefix"))
        );
    }

    #[test]
    fn base64_with_a_prefix_over_the_body() {
        let scheme = SignatureScheme {
            encoding: Encoding::Base64,
            prefix: "sha256=",
            ..HEX
        };
        let sig = scheme.sign(b"Jefe", b"what do ya want for nothing?");
        // RFC 4231 test case 2, base64 (Python: base64.b64encode(hmac.new(...).digest())).
        assert_eq!(sig, "sha256=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
        assert_eq!(
            scheme.verify(b"Jefe", &sig, b"what do ya want for nothing?"),
            Ok(())
        );
        assert_eq!(
            scheme.verify(b"Jefe", "sha256=!!!", b"x"),
            Err(SignatureError::Malformed("not base64"))
        );
    }

    #[test]
    fn schemes_that_verify_less_than_they_appear_to_are_refused() {
        // A tolerance over a timestamp the MAC does not cover: an old delivery would
        // replay with a fresh timestamp header.
        let unsigned_timestamp = SignatureScheme {
            timestamp_header: "X-Timestamp",
            tolerance_seconds: Some(60),
            ..HEX
        };
        let request = SignedRequest {
            signature: Some("00"),
            id: None,
            timestamp: Some("1000"),
            body: b"b",
        };
        let insecure = Err(SignatureError::InsecureScheme(
            "a timestamp tolerance, but the MAC does not cover the timestamp",
        ));
        assert_eq!(unsigned_timestamp.check(), insecure);
        assert_eq!(
            unsigned_timestamp.verify_request(&[b"k"], &request, &Fixed(1000)),
            insecure
        );
        assert_eq!(
            unsigned_timestamp.sign_message(b"k", "", 0, b"b"),
            insecure.map(|()| String::new())
        );
        // A signed id and timestamp with no headers to carry them.
        let headless = SignatureScheme {
            id_header: "",
            ..STANDARD_WEBHOOKS
        };
        assert!(matches!(
            headless.check(),
            Err(SignatureError::InsecureScheme(_))
        ));
        assert_eq!(STANDARD_WEBHOOKS.check(), Ok(()));
        assert_eq!(HEX.check(), Ok(()));
    }

    #[test]
    fn an_empty_key_verifies_nothing() {
        let forged = HEX.sign(b"", b"body");
        assert!(forged.is_empty(), "nothing is signed with an empty key");
        // A MAC computed under an empty key by an attacker:
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"").unwrap();
        mac.update(b"body");
        let forged = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            HEX.verify(b"", &forged, b"body"),
            Err(SignatureError::EmptySecret)
        );
        let request = SignedRequest {
            signature: Some(&forged),
            id: None,
            timestamp: None,
            body: b"body",
        };
        // Any empty entry in a rotation list, wherever it is.
        let real: &[u8] = b"real";
        let empty: &[u8] = b"";
        for secrets in [[real, empty], [empty, real]] {
            assert_eq!(
                HEX.verify_request(&secrets, &request, &SystemClock),
                Err(SignatureError::EmptySecret)
            );
        }
        let whsec = SignatureScheme {
            secret_format: SecretFormat::WhsecBase64,
            ..HEX
        };
        assert_eq!(
            whsec.verify(b"whsec_", &forged, b"body"),
            Err(SignatureError::EmptySecret)
        );
        assert_eq!(
            whsec.check_secret(b"whsec_"),
            Err(SignatureError::EmptySecret)
        );
        assert_eq!(HEX.check_secret(b""), Err(SignatureError::EmptySecret));
        assert_eq!(HEX.check_secret(b"k"), Ok(()));
    }

    const VECTOR_SECRET: &[u8] = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
    const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn vector_request(signature: &str) -> SignedRequest<'_> {
        SignedRequest {
            signature: Some(signature),
            id: Some(VECTOR_ID),
            timestamp: Some("1614265330"),
            body: VECTOR_BODY,
        }
    }

    #[test]
    fn standard_webhooks_published_vector() {
        // The test vector of the Standard Webhooks reference libraries.
        let signature = STANDARD_WEBHOOKS
            .sign_message(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
            .unwrap();
        assert_eq!(signature, VECTOR_SIGNATURE);
        let at_the_time = Fixed(VECTOR_TIMESTAMP + 10);
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[VECTOR_SECRET],
                &vector_request(VECTOR_SIGNATURE),
                &at_the_time
            ),
            Ok(())
        );
        // The secret without its `whsec_` prefix works too.
        let bare = &VECTOR_SECRET[6..];
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[bare],
                &vector_request(VECTOR_SIGNATURE),
                &at_the_time
            ),
            Ok(())
        );
    }

    #[test]
    fn several_signatures_and_several_secrets() {
        let clock = Fixed(VECTOR_TIMESTAMP);
        let header = format!(
            "v1,bm9wZQ== v2,whatever {VECTOR_SIGNATURE} v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q="
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &vector_request(&header), &clock),
            Ok(())
        );
        // Rotation: the old secret first, the new one second.
        let old: &[u8] = b"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[old, VECTOR_SECRET],
                &vector_request(VECTOR_SIGNATURE),
                &clock
            ),
            Ok(())
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[old], &vector_request(VECTOR_SIGNATURE), &clock),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[], &vector_request(VECTOR_SIGNATURE), &clock),
            Err(SignatureError::NoSecret)
        );
        // Only other versions: nothing to check.
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[VECTOR_SECRET],
                &vector_request("v2,abc v3,def"),
                &clock
            ),
            Err(SignatureError::Malformed("missing the scheme's prefix"))
        );
    }

    #[test]
    fn timestamps_are_checked_with_an_injected_clock_without_overflow() {
        let request = vector_request(VECTOR_SIGNATURE);
        for (now, ok) in [
            (VECTOR_TIMESTAMP + 300, true),
            (VECTOR_TIMESTAMP - 300, true),
            (VECTOR_TIMESTAMP + 301, false),
            (VECTOR_TIMESTAMP - 301, false),
        ] {
            assert_eq!(
                STANDARD_WEBHOOKS
                    .verify_request(&[VECTOR_SECRET], &request, &Fixed(now))
                    .is_ok(),
                ok,
                "now {now}"
            );
        }
        for now in [i64::MIN, i64::MAX] {
            assert!(matches!(
                STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &request, &Fixed(now)),
                Err(SignatureError::OutsideTolerance { .. })
            ));
        }
        let future = STANDARD_WEBHOOKS.verify_request(
            &[VECTOR_SECRET],
            &request,
            &Fixed(VECTOR_TIMESTAMP - 1000),
        );
        assert!(matches!(
            future,
            Err(SignatureError::OutsideTolerance {
                in_future: true,
                distance_seconds: 1000,
                ..
            })
        ));
        let bad = SignedRequest {
            timestamp: Some("yesterday"),
            ..request
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &bad, &Fixed(0)),
            Err(SignatureError::BadTimestamp)
        );
        let huge = SignedRequest {
            timestamp: Some("99999999999999999999999"),
            ..request
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &huge, &Fixed(0)),
            Err(SignatureError::BadTimestamp)
        );
    }

    #[test]
    fn missing_parts_are_named_and_errors_leak_nothing() {
        let clock = Fixed(VECTOR_TIMESTAMP);
        let no_id = SignedRequest {
            id: None,
            ..vector_request(VECTOR_SIGNATURE)
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &no_id, &clock),
            Err(SignatureError::MissingHeader("webhook-id"))
        );
        let no_ts = SignedRequest {
            timestamp: Some(""),
            ..vector_request(VECTOR_SIGNATURE)
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &no_ts, &clock),
            Err(SignatureError::MissingHeader("webhook-timestamp"))
        );
        let no_sig = SignedRequest {
            signature: None,
            ..vector_request(VECTOR_SIGNATURE)
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &no_sig, &clock),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[b"whsec_!!!"],
                &vector_request(VECTOR_SIGNATURE),
                &clock
            ),
            Err(SignatureError::InvalidSecret("not base64 after `whsec_`"))
        );
        // Tampered body: a mismatch whose message holds neither secret nor signature.
        let tampered = SignedRequest {
            body: br#"{"test": 2432232315}"#,
            ..vector_request(VECTOR_SIGNATURE)
        };
        let error = STANDARD_WEBHOOKS
            .verify_request(&[VECTOR_SECRET], &tampered, &clock)
            .unwrap_err();
        assert_eq!(error, SignatureError::Mismatch);
        let text = error.to_string();
        assert!(!text.contains("g0hM9") && !text.contains("MfKQ9"), "{text}");
    }
}
