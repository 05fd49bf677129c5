//! Webhook signatures: a [`SignatureScheme`] is data (header, algorithm, encoding) and
//! signs or verifies the raw body bytes exactly as received.
//!
//! Verification decodes the header value and compares MACs with `hmac`'s
//! constant-time `verify_slice`, which also rejects a signature of the wrong length.
//! Nothing is ever re-serialized: the body must be the bytes the sender signed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The MAC algorithm of a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC with SHA-256 (RFC 2104), keyed with the secret's bytes.
    HmacSha256,
}

/// How the MAC bytes are written in the header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Hexadecimal; [`SignatureScheme::sign`] writes lowercase, verification accepts either case.
    Hex,
}

/// Where and how a provider signs its webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureScheme {
    /// The HTTP header that carries the signature.
    pub header: &'static str,
    /// The MAC algorithm.
    pub algorithm: Algorithm,
    /// How the MAC is encoded in the header value.
    pub encoding: Encoding,
    /// A fixed text before the encoded MAC (such as `sha256=`), or empty.
    pub prefix: &'static str,
}

/// Why a signature was rejected. Never includes the secret or the expected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header was absent or empty.
    #[error("signature header is missing or empty")]
    Missing,
    /// The header value is not a well-formed signature for this scheme.
    #[error("signature header is malformed: {0}")]
    Malformed(&'static str),
    /// The signature is well formed but does not match the body and secret.
    #[error("signature does not match the body")]
    Mismatch,
}

impl SignatureScheme {
    /// The header value that signs `body` with `secret`.
    pub fn sign(&self, secret: &[u8], body: &[u8]) -> String {
        let tag = self.mac(secret, body).finalize().into_bytes();
        let encoded = match self.encoding {
            Encoding::Hex => hex::encode(tag),
        };
        format!("{}{}", self.prefix, encoded)
    }

    /// Checks `header_value` against the MAC of the raw `body` under `secret`, in constant time.
    ///
    /// Surrounding whitespace in the header value is ignored (HTTP strips it anyway); anything
    /// else that is not exactly one full-length signature is an error.
    pub fn verify(
        &self,
        secret: &[u8],
        header_value: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let value = header_value.trim_matches(|c: char| c == ' ' || c == '\t');
        if value.is_empty() {
            return Err(SignatureError::Missing);
        }
        let encoded = value
            .strip_prefix(self.prefix)
            .ok_or(SignatureError::Malformed("missing the scheme's prefix"))?;
        let signature = match self.encoding {
            Encoding::Hex => {
                hex::decode(encoded).map_err(|_| SignatureError::Malformed("not hexadecimal"))?
            }
        };
        if signature.len() != self.mac_len() {
            return Err(SignatureError::Malformed("wrong signature length"));
        }
        self.mac(secret, body)
            .verify_slice(&signature)
            .map_err(|_| SignatureError::Mismatch)
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

    fn mac_len(&self) -> usize {
        match self.algorithm {
            Algorithm::HmacSha256 => 32,
        }
    }

    fn mac(&self, secret: &[u8], body: &[u8]) -> Hmac<Sha256> {
        match self.algorithm {
            Algorithm::HmacSha256 => {
                // HMAC accepts keys of every length, so this never fails.
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
                    .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
                mac.update(body);
                mac
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: SignatureScheme = SignatureScheme {
        header: "X-Test-Signature",
        algorithm: Algorithm::HmacSha256,
        encoding: Encoding::Hex,
        prefix: "",
    };

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
}
