//! Decoding a webhook body into a spec's `Message`: reading the discriminator field,
//! decoding the payload with the JSON path of the first error, and keeping events the
//! spec does not list as [`UnknownMessage`]s.
//!
//! Also the small serde helpers generated types use (nullable optional fields, string
//! enums that keep unknown values), so generated code holds no hand logic.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Why a body could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// No channel of the spec matches the address.
    #[error("no channel matches the address `{0}`")]
    UnknownChannel(String),
    /// The body is not a JSON object (or not JSON at all).
    #[error("the body is not a JSON object: {0}")]
    NotJson(serde_json::Error),
    /// The channel carries several messages and the body lacks the field that tells them apart.
    #[error("the body has no `{field}` field to tell the channel's messages apart")]
    MissingDiscriminator {
        /// The discriminating field.
        field: &'static str,
    },
    /// The request's headers do not fit the headers its message declares (a required
    /// one is absent).
    #[error("the request's headers do not fit: {0}")]
    InvalidHeaders(serde_json::Error),
    /// The channel names its events in a header (GitHub's `X-GitHub-Event`) and the
    /// request has none.
    #[error("the request has no `{header}` header to name its event")]
    MissingEventHeader {
        /// The event header.
        header: &'static str,
    },
    /// The body has the discriminating field more than once, with different values (JSON
    /// parsers disagree on which counts, so such a body is refused rather than guessed).
    #[error("the body has the `{field}` field more than once, with different values")]
    DuplicateDiscriminator {
        /// The discriminating field.
        field: &'static str,
    },
    /// No message of the channel fits the body (each was tried, in order).
    #[error("the body fits none of the channel's messages ({})", tried.join(", "))]
    NoMatch {
        /// The messages tried.
        tried: Vec<&'static str>,
    },
    /// Several messages of the channel fit the body and nothing tells them apart.
    #[error("the body fits several of the channel's messages ({}); nothing in it tells them apart", matches.join(", "))]
    Ambiguous {
        /// The messages that fit.
        matches: Vec<&'static str>,
    },
    /// The body holds a number Rust cannot keep exactly (an integer beyond 64 bits, a
    /// decimal with more precision than `f64`, beyond its range): decoding would round
    /// it, and the payload would no longer serialize back to what was sent.
    #[error(
        "the number `{number}` at byte {offset} cannot be kept exactly (beyond 64-bit integers or `f64` precision)"
    )]
    InexactNumber {
        /// Where it starts in the body.
        offset: usize,
        /// The number as written (at most 40 characters of it).
        number: String,
    },
    /// The body names a known message but does not fit its payload schema.
    #[error("invalid `{message}` payload at `{path}`: {source}")]
    InvalidPayload {
        /// The message the discriminator selected.
        message: &'static str,
        /// The JSON path of the offending value (`.` is the root).
        path: String,
        /// What serde reported there.
        source: serde_json::Error,
    },
}

impl DecodeError {
    /// The message the body was meant to be, when its channel, event header and
    /// discriminator named one (an invalid payload of a known message).
    pub fn message(&self) -> Option<&'static str> {
        match self {
            Self::InvalidPayload { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The JSON path of the value that did not fit (`.` is the root), for an invalid
    /// payload.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::InvalidPayload { path, .. } => Some(path),
            _ => None,
        }
    }

    /// A short, stable name of the reason, for metrics labels and log fields.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownChannel(_) => "unknown_channel",
            Self::NotJson(_) => "not_json",
            Self::MissingDiscriminator { .. } => "missing_discriminator",
            Self::InvalidHeaders(_) => "invalid_headers",
            Self::MissingEventHeader { .. } => "missing_event_header",
            Self::DuplicateDiscriminator { .. } => "duplicate_discriminator",
            Self::NoMatch { .. } => "no_match",
            Self::Ambiguous { .. } => "ambiguous",
            Self::InexactNumber { .. } => "inexact_number",
            Self::InvalidPayload { .. } => "invalid_payload",
        }
    }
}

/// A well-formed payload whose discriminator value the spec does not list.
///
/// Providers add events; keeping them lets a receiver log, store or forward them
/// instead of failing the delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownMessage {
    /// The address template of the channel it arrived on.
    pub channel: &'static str,
    /// The event its request's event header named, on a channel that names events in a
    /// header (GitHub's `X-GitHub-Event`): an event the spec does not list, or a known
    /// event with an action it does not list.
    pub event: Option<String>,
    /// The discriminator value it carried, if any.
    pub discriminator: Option<String>,
    /// The payload, as received.
    pub payload: serde_json::Value,
}

impl Serialize for UnknownMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.payload.serialize(serializer)
    }
}

/// The request headers decoding reads: on a channel that names its events in a header
/// (GitHub's `X-GitHub-Event`), that header. Names match ignoring ASCII case; a value
/// that is not text counts as absent.
///
/// Implemented for `http::HeaderMap` (feature `tower`), for lists and arrays of
/// `(name, value)` pairs, and for `()`: no headers.
pub trait Headers {
    /// The value of header `name` (the first, when it is repeated).
    fn header(&self, name: &str) -> Option<&str>;
}

impl Headers for () {
    fn header(&self, _name: &str) -> Option<&str> {
        None
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

#[cfg(feature = "tower")]
impl Headers for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Static facts about one message of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageInfo {
    /// The message's name in the spec (its component key).
    pub name: &'static str,
    /// The spec's title.
    pub title: Option<&'static str>,
    /// The spec's summary.
    pub summary: Option<&'static str>,
    /// The content type (the message's, else the spec's default).
    pub content_type: Option<&'static str>,
    /// The Rust payload type, as a path inside the spec module.
    pub payload_type: &'static str,
    /// The discriminator values that select this message.
    pub discriminator_values: &'static [&'static str],
    /// The headers a delivery of this message carries for decoding to find it, as
    /// `(name, value)`: the channel's event header and this message's event, when the
    /// channel names its events in a header (GitHub's `X-GitHub-Event: issues`).
    pub headers: &'static [(&'static str, &'static str)],
    /// The spec's examples of this message's payload, as JSON text.
    pub examples: &'static [&'static str],
    /// The runtime expression locating the correlation id (`$message.header#/id`).
    pub correlation_id: Option<&'static str>,
    /// The message's protocol bindings as JSON text.
    pub bindings: Option<&'static str>,
}

/// Reads the top-level string field `field` of a JSON object body, without building the rest.
///
/// Reading stops at the field's first occurrence. A quick structural scan finds it (the
/// members before it are skipped by their brackets and quotes, not parsed); a body the scan
/// cannot settle (no such field, a key with escapes, not an object) is read by serde. The
/// rest of the body, and the skipped members, are checked by the decoding that comes next,
/// so a body is never read twice in full: a body that is not JSON may yield a value here
/// and is refused there. `Ok(None)` when the field is absent, null or not a string.
#[doc(hidden)]
pub fn peek_discriminator<'a>(
    body: &'a [u8],
    field: &'static str,
) -> Result<Option<Cow<'a, str>>, DecodeError> {
    if let Some(start) = scan::top_level_value(body, field.as_bytes()) {
        // A plain string (no escape, no control character) is the value as written.
        // (The value may start at the end of a truncated body: `get`, never an index.)
        if body.get(start) == Some(&b'"') {
            let end = closing_quote(body, start + 1);
            let text = body.get(start + 1..end).unwrap_or_default();
            if end < body.len() && text.iter().all(|&b| b >= 0x20 && b != b'\\') {
                if let Ok(text) = std::str::from_utf8(text) {
                    return Ok(Some(Cow::Borrowed(text)));
                }
            }
        }
        let mut de = serde_json::Deserializer::from_slice(&body[start..]);
        if let Ok(MaybeStr(value)) = MaybeStr::deserialize(&mut de) {
            return Ok(value);
        }
    }
    peek_by_parsing(body, field)
}

/// [`peek_discriminator`] by serde alone: exact about what is not JSON.
fn peek_by_parsing<'a>(
    body: &'a [u8],
    field: &'static str,
) -> Result<Option<Cow<'a, str>>, DecodeError> {
    /// Finds the field; on finding it, stores its value and stops the parser with an error.
    struct Peek<'f, 'o, 'de> {
        field: &'f str,
        found: &'o mut Option<Option<Cow<'de, str>>>,
    }
    impl<'de> Visitor<'de> for Peek<'_, '_, 'de> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == self.field {
                    *self.found = Some(map.next_value::<MaybeStr<'de>>()?.0);
                    return Err(de::Error::custom("found"));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(body);
    let read = de.deserialize_map(Peek {
        field,
        found: &mut found,
    });
    match (found, read) {
        (Some(value), _) => Ok(value),
        (None, read) => read
            .and_then(|()| de.end())
            .map(|()| None)
            .map_err(DecodeError::NotJson),
    }
}

/// The position of the quote that closes a string whose contents start at `at`, skipping
/// escaped characters; `body.len()` when there is none. Eight bytes at a time (SWAR: a
/// word's bytes compared with `"` and `\\` at once), since most of a webhook body is
/// strings and this runs on every body before serde does.
fn closing_quote(body: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_le_bytes([b'\\'; 8]);
    // High bit set in the lowest byte of `word` that is zero (higher ones may be wrong).
    let zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    while let Some(chunk) = body.get(at..at + 8) {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(bytes);
        let found = zero_byte(word ^ QUOTES) | zero_byte(word ^ BACKSLASHES);
        if found == 0 {
            at += 8;
            continue;
        }
        at += (found.trailing_zeros() / 8) as usize;
        if body[at] == b'"' {
            return at;
        }
        at += 2;
    }
    while at < body.len() {
        match body[at] {
            b'"' => return at,
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    body.len()
}

/// A structural scan of JSON text: quotes, escapes and brackets, nothing else.
///
/// On valid JSON it finds what a parser finds; it does not validate (the decoding that
/// follows does), and gives up (`None`) rather than guess.
mod scan {
    /// Where the value of the first top-level member named `field` starts, if the members
    /// before it are plain (no escaped keys) and the body is an object.
    pub(super) fn top_level_value(body: &[u8], field: &[u8]) -> Option<usize> {
        let mut at = whitespace(body, 0);
        if body.get(at) != Some(&b'{') {
            return None;
        }
        at += 1;
        loop {
            at = whitespace(body, at);
            // An escaped key would need unescaping to compare; serde does that.
            let (key, after) = plain_string(body, at)?;
            at = whitespace(body, after);
            if body.get(at) != Some(&b':') {
                return None;
            }
            at = whitespace(body, at + 1);
            if key == field {
                return Some(at);
            }
            at = whitespace(body, value_end(body, at)?);
            if body.get(at) != Some(&b',') {
                return None;
            }
            at += 1;
        }
    }

    fn whitespace(body: &[u8], mut at: usize) -> usize {
        while matches!(body.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            at += 1;
        }
        at
    }

    /// A string starting at `at` without escapes: its contents and where it ends.
    fn plain_string(body: &[u8], at: usize) -> Option<(&[u8], usize)> {
        if body.get(at) != Some(&b'"') {
            return None;
        }
        let rest = body.get(at + 1..)?;
        let len = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
        (rest[len] == b'"').then(|| (&rest[..len], at + 1 + len + 1))
    }

    /// Where a string starting at `at` ends (after its closing quote).
    fn string_end(body: &[u8], at: usize) -> Option<usize> {
        let end = super::closing_quote(body, at + 1);
        (end < body.len()).then_some(end + 1)
    }

    /// Where the value starting at `at` ends.
    fn value_end(body: &[u8], at: usize) -> Option<usize> {
        match body.get(at)? {
            b'"' => string_end(body, at),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut at = at;
                loop {
                    match body.get(at)? {
                        b'"' => {
                            at = string_end(body, at)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(at + 1);
                            }
                        }
                        _ => {}
                    }
                    at += 1;
                }
            }
            // A number, `true`, `false` or `null`: up to the next delimiter.
            _ => body[at..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .map(|len| at + len),
        }
    }
}

/// A string if the value is one, else nothing (the value is skipped).
struct MaybeStr<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(MaybeStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MaybeStr(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(MaybeStr(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(MaybeStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `body` as a `T`, or `None` without saying why: the first attempt of a decode that
/// reads the discriminator from the decoded payload, and falls back on the discriminator
/// scan (which then gives the right error or unknown event) when the body is not a `T`.
/// `numbers` as for [`decode_payload`].
#[doc(hidden)]
pub fn try_payload<T: DeserializeOwned>(body: &[u8], numbers: Numbers) -> Option<T> {
    numbers.check(body).ok()?;
    serde_json::from_slice(body).ok()
}

/// Whether decoding scans the body for numbers Rust cannot keep exactly.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// Scan first ([`exact_numbers`]): the type holds an `f64` or a JSON value, which
    /// serde would fill with a rounded number.
    Check,
    /// Leave them to serde: the type holds no `f64` and no JSON value, so serde refuses
    /// every number it cannot hold (an integer field given `1e400` or 2^64), and numbers
    /// in members the type drops are not kept to be rounded.
    TypeRefuses,
}

impl Numbers {
    /// Runs the scan on `body` when this says so.
    fn check(self, body: &[u8]) -> Result<(), DecodeError> {
        match self {
            Numbers::Check => exact_numbers(body),
            Numbers::TypeRefuses => Ok(()),
        }
    }
}

/// Decodes `body` as the payload of `message`, reporting the JSON path of the first error;
/// `numbers` says whether the exact-number scan comes first (the generator decides per
/// payload type).
#[doc(hidden)]
pub fn decode_payload<T: DeserializeOwned>(
    message: &'static str,
    body: &[u8],
    numbers: Numbers,
) -> Result<T, DecodeError> {
    numbers.check(body)?;
    // The fast path is plain serde_json; only a failure pays for tracking the path.
    serde_json::from_slice(body).map_err(|source| {
        if source.is_syntax() || source.is_eof() {
            return DecodeError::NotJson(source);
        }
        let mut de = serde_json::Deserializer::from_slice(body);
        let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => e.path().to_string(),
            Ok(_) => ".".to_owned(),
        };
        DecodeError::InvalidPayload {
            message,
            path,
            source,
        }
    })
}

/// Refuses a body holding a number that would not survive decoding unchanged: every
/// integer must fit `i64` or `u64`, every other number must be the value of the `f64`
/// it parses to (compared as decimals: `1.50` is `1.5`, `0.1000000000000000001` is not
/// `0.1`). One pass over the bytes, outside strings; malformed numbers are left to serde.
pub fn exact_numbers(body: &[u8]) -> Result<(), DecodeError> {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => i = closing_quote(body, i + 1) + 1,
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < body.len()
                    && matches!(body[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                check_number(body, start, i)?;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Checks the number token `body[start..end]`.
fn check_number(body: &[u8], start: usize, end: usize) -> Result<(), DecodeError> {
    let token = &body[start..end];
    // Up to 15 characters and no exponent: exact in `i64` and in `f64` (DBL_DIG).
    if token.len() <= 15 && !token.iter().any(|b| matches!(b, b'e' | b'E')) {
        return Ok(());
    }
    let token = std::str::from_utf8(token).unwrap_or("");
    if is_exact(token) {
        Ok(())
    } else {
        Err(DecodeError::InexactNumber {
            offset: start,
            number: token.chars().take(40).collect(),
        })
    }
}

/// Whether the JSON number `token` keeps its value through serde_json (without
/// `arbitrary_precision`); `true` for a token that is not a JSON number (serde reports it).
fn is_exact(token: &str) -> bool {
    let Some(written) = Decimal::parse(token) else {
        return true;
    };
    if !token.contains(['.', 'e', 'E']) {
        return token.parse::<i64>().is_ok() || token.parse::<u64>().is_ok();
    }
    match token.parse::<f64>() {
        Ok(value) if value.is_finite() => {
            Decimal::parse(&format!("{value:e}")).is_some_and(|kept| kept == written)
        }
        _ => false,
    }
}

/// A decimal number as sign, significant digits and exponent, so that equal values are
/// equal whatever their notation (zero has no digits and no sign).
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    /// Parses JSON number syntax (`-?int(.frac)?([eE][+-]?exp)?`); `None` otherwise.
    fn parse(text: &str) -> Option<Self> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits_only(int) || !digits_only(frac) || mantissa.ends_with('.') {
            return None;
        }
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let mut exponent = exponent.checked_sub(i64::try_from(frac.len()).ok()?)?;
        while digits.last() == Some(&0) {
            digits.pop();
            exponent = exponent.checked_add(1)?;
        }
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        let zero = digits.is_empty();
        Some(Self {
            negative: negative && !zero,
            digits,
            exponent: if zero { 0 } else { exponent },
        })
    }
}

/// A message a body may be: its name and how to decode it.
#[doc(hidden)]
pub type Candidate<M> = (&'static str, fn(&[u8]) -> Result<M, DecodeError>);

/// Decodes `body` as the one candidate whose payload it fits.
///
/// Used where nothing in the body names the message (no discriminator, or several messages
/// sharing a value): exactly one fit is the answer; none or several is an error, never a guess.
#[doc(hidden)]
pub fn decode_by_shape<M>(body: &[u8], candidates: &[Candidate<M>]) -> Result<M, DecodeError> {
    let mut found = None;
    let mut matches = Vec::new();
    for (name, decode) in candidates {
        if let Ok(message) = decode(body) {
            matches.push(*name);
            found.get_or_insert(message);
        }
    }
    match (found, matches.len()) {
        (Some(message), 1) => Ok(message),
        (None, _) => {
            // Not JSON at all is a clearer error than "fits nothing".
            serde_json::from_slice::<IgnoredAny>(body).map_err(DecodeError::NotJson)?;
            Err(DecodeError::NoMatch {
                tried: candidates.iter().map(|(name, _)| *name).collect(),
            })
        }
        _ => Err(DecodeError::Ambiguous { matches }),
    }
}

/// Reads the headers `names` of a request into `T`, a struct whose fields are those
/// headers (as text) under their declared names.
#[doc(hidden)]
pub fn decode_headers<T: DeserializeOwned>(
    names: &[&str],
    headers: &dyn Headers,
) -> Result<T, DecodeError> {
    let present: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), headers.header(name)?.into())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(present)).map_err(DecodeError::InvalidHeaders)
}

/// Keeps a well-formed JSON object the spec does not describe.
///
/// `event` is what the channel's event header named, if it has one; `discriminator` is
/// the channel's discriminating field and the value [`peek_discriminator`] read (its
/// first occurrence); a body whose last occurrence, which the kept JSON holds, says
/// otherwise is refused.
#[doc(hidden)]
pub fn unknown_message(
    channel: &'static str,
    event: Option<&str>,
    discriminator: Option<(&'static str, Option<Cow<'_, str>>)>,
    body: &[u8],
) -> Result<UnknownMessage, DecodeError> {
    exact_numbers(body)?;
    let payload: serde_json::Value = serde_json::from_slice(body).map_err(DecodeError::NotJson)?;
    let tag = match discriminator {
        Some((field, tag)) => {
            if payload.get(field).and_then(serde_json::Value::as_str) != tag.as_deref() {
                return Err(DecodeError::DuplicateDiscriminator { field });
            }
            tag.map(Cow::into_owned)
        }
        None => None,
    };
    Ok(UnknownMessage {
        channel,
        event: event.map(str::to_owned),
        discriminator: tag,
        payload,
    })
}

/// `deserialize_with` for optional nullable fields (`Option<Option<T>>`): an absent
/// field is `None` (through `#[serde(default)]`), an explicit `null` is `Some(None)`.
#[doc(hidden)]
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Deserializes a string enum that keeps unknown values, without allocating for known ones.
#[doc(hidden)]
pub fn deserialize_str_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str> + From<String>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: for<'a> From<&'a str> + From<String>> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
            Ok(T::from(v))
        }
    }
    deserializer.deserialize_str(V(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_their_names_ignoring_ascii_case_and_the_first_wins() {
        let pairs = [("x-github-event", "issues"), ("X-GitHub-Event", "push")];
        assert_eq!(pairs.header("X-GITHUB-EVENT"), Some("issues"));
        assert_eq!(pairs.header("X-GitHub-Delivery"), None);
        assert_eq!(().header("X-GitHub-Event"), None);
        let owned = vec![("X-Event".to_owned(), "a".to_owned())];
        assert_eq!(owned.header("x-event"), Some("a"));
        #[cfg(feature = "tower")]
        {
            let mut map = http::HeaderMap::new();
            map.insert("x-github-event", http::HeaderValue::from_static("issues"));
            map.insert("x-binary", http::HeaderValue::from_bytes(b"\xff").unwrap());
            assert_eq!(map.header("X-GitHub-Event"), Some("issues"));
            // Not text: absent. A name no header can have: absent, not a panic.
            assert_eq!(map.header("x-binary"), None);
            assert_eq!(map.header("bad name\n"), None);
        }
    }

    #[test]
    fn peek_finds_string_field_anywhere_and_ignores_other_types() {
        let body = br#"{"a":{"type":"inner"},"n":[1,{"x":null}],"type":"outer"}"#;
        assert_eq!(
            peek_discriminator(body, "type").unwrap().as_deref(),
            Some("outer")
        );
        assert_eq!(peek_discriminator(br#"{"type":5}"#, "type").unwrap(), None);
        assert_eq!(peek_discriminator(br#"{}"#, "type").unwrap(), None);
        let escaped = peek_discriminator(br#"{"type":"a\u002eb"}"#, "type").unwrap();
        assert_eq!(escaped.as_deref(), Some("a.b"));
    }

    /// JSON objects with the field at any place, in any key order and spacing, with
    /// escapes in keys and strings, and nested lookalikes.
    fn object_bodies() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        // Strings that look like JSON inside: quotes, brackets, the field's own name.
        let text = "(type|[a-z\"\\\\\n\u{e9},:{}\\[\\] ]){0,12}".prop_map(serde_json::Value::from);
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            text.clone(),
        ];
        // The field itself, names as long as it (a prefix compare would show), escapes.
        let key = prop_oneof![Just("type".to_owned()), "[a-z]{4}", "[a-z\"\\\\ ]{0,5}"];
        let nested = leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::vec(("type|[a-z]{1,3}", inner), 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        // Top-level values are mostly strings, so the field usually has a value to read.
        let value = prop_oneof![2 => text, 1 => nested];
        (proptest::collection::vec((key, value), 0..6), any::<bool>()).prop_map(
            |(members, pretty)| {
                // Written by hand to keep duplicate keys and their order.
                let mut text = String::from("{");
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        text.push_str(if pretty { " ,\n " } else { "," });
                    }
                    text.push_str(&serde_json::to_string(k).unwrap());
                    text.push_str(if pretty { " : " } else { ":" });
                    text.push_str(&if pretty {
                        serde_json::to_string_pretty(v).unwrap()
                    } else {
                        serde_json::to_string(v).unwrap()
                    });
                }
                text.push('}');
                text.into_bytes()
            },
        )
    }

    proptest::proptest! {
        /// The shortcut of `check_number` (up to 15 characters without an exponent need
        /// no check) never changes a verdict: every number token gets the answer the full
        /// comparison gives.
        #[test]
        fn the_number_shortcut_agrees_with_the_full_check(
            token in "-?[0-9]{1,25}(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?"
        ) {
            let quick = check_number(token.as_bytes(), 0, token.len()).is_ok();
            proptest::prop_assert_eq!(quick, is_exact(&token), "{}", token);
        }

        /// The quick scan reads what serde reads, on every well-formed object.
        #[test]
        fn peek_scan_agrees_with_the_parser(body in object_bodies()) {
            let parsed = peek_by_parsing(&body, "type").unwrap();
            proptest::prop_assert_eq!(peek_discriminator(&body, "type").unwrap(), parsed);
        }

        /// The word-at-a-time search finds the quote a byte-at-a-time one finds.
        #[test]
        fn closing_quote_agrees_with_a_plain_loop(
            body in proptest::collection::vec(
                proptest::sample::select(b"ab\"\\\\x".to_vec()), 0..40),
            start in 0usize..40,
        ) {
            let start = start.min(body.len());
            let mut at = start;
            let plain = loop {
                match body.get(at) {
                    None => break body.len(),
                    Some(b'"') => break at,
                    Some(b'\\') => at += 2,
                    Some(_) => at += 1,
                }
            };
            proptest::prop_assert_eq!(closing_quote(&body, start), plain.min(body.len()));
        }

        /// On any bytes at all the scan ends, without panicking.
        #[test]
        fn peek_scan_survives_any_bytes(body in proptest::collection::vec(
            proptest::sample::select(b"{}[]\":,\\ tyep1a".to_vec()), 0..64)
        ) {
            let _ = peek_discriminator(&body, "type");
        }
    }

    #[test]
    fn peek_scan_leaves_escaped_keys_and_bad_values_to_the_parser() {
        let escaped_key = br#"{"t\u0079pe":"a","type":"b"}"#;
        assert_eq!(
            peek_discriminator(escaped_key, "type").unwrap().as_deref(),
            Some("a")
        );
        // Found by the scan but not a JSON value: the parser says why.
        assert!(matches!(
            peek_discriminator(br#"{"type":tru}"#, "type"),
            Err(DecodeError::NotJson(_))
        ));
        // Deep nesting before the field is skipped by counting, not by recursion.
        let mut deep = b"{\"a\":".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 100_000));
        deep.extend(std::iter::repeat_n(b']', 100_000));
        deep.extend(br#","type":"x"}"#);
        assert_eq!(
            peek_discriminator(&deep, "type").unwrap().as_deref(),
            Some("x")
        );
    }

    #[test]
    fn syntax_errors_in_a_payload_are_not_json() {
        assert!(matches!(
            decode_payload::<serde_json::Value>("M", br#"{"a":1"#, Numbers::Check),
            Err(DecodeError::NotJson(_))
        ));
        assert!(matches!(
            decode_payload::<Vec<u8>>("M", b"[1,]", Numbers::TypeRefuses),
            Err(DecodeError::NotJson(_))
        ));
    }

    #[test]
    fn peek_rejects_non_objects_and_trailing_bytes() {
        // The last two end where the value would start (a fuzz find: the fast path read
        // one byte past the body).
        for body in [
            &b"[]"[..],
            b"\"x\"",
            b"{",
            b"{} x",
            b"",
            b"{\"t\":",
            b"{\"t\":\t",
        ] {
            assert!(matches!(
                peek_discriminator(body, "t"),
                Err(DecodeError::NotJson(_))
            ));
        }
    }

    /// What `Numbers::TypeRefuses` relies on: serde itself refuses every number an
    /// integer field cannot hold, so skipping the scan never lets a rounded number in.
    #[test]
    fn integer_fields_refuse_what_they_cannot_hold_without_the_scan() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct P {
            signed: Option<i64>,
            unsigned: Option<u64>,
            small: Option<i32>,
        }
        for (field, number) in [
            ("unsigned", "18446744073709551616"),
            ("signed", "-9223372036854775809"),
            ("signed", "12345678901234567890123"),
            ("small", "2147483648"),
            ("unsigned", "1e400"),
            ("unsigned", "1.5"),
            ("signed", "1e2"),
        ] {
            let body = format!(r#"{{"{field}":{number}}}"#);
            let result = decode_payload::<P>("M", body.as_bytes(), Numbers::TypeRefuses);
            // Refused: as the wrong type, or (`1e400`) as a number serde cannot read.
            assert!(
                matches!(
                    result,
                    Err(DecodeError::InvalidPayload { .. } | DecodeError::NotJson(_))
                ),
                "{body}: {result:?}"
            );
        }
        let exact = br#"{"signed":-9223372036854775808,"unsigned":18446744073709551615}"#;
        assert!(decode_payload::<P>("M", exact, Numbers::TypeRefuses).is_ok());
    }

    #[test]
    fn payload_errors_carry_the_json_path() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct P {
            a: Vec<u8>,
        }
        let err = decode_payload::<P>("M", br#"{"a":[1,"x"]}"#, Numbers::TypeRefuses).unwrap_err();
        match err {
            DecodeError::InvalidPayload { message, path, .. } => {
                assert_eq!((message, path.as_str()), ("M", "a[1]"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn shape_decoding_needs_exactly_one_fit() {
        fn number(b: &[u8]) -> Result<String, DecodeError> {
            decode_payload::<u64>("number", b, Numbers::TypeRefuses).map(|n| format!("n{n}"))
        }
        fn text(b: &[u8]) -> Result<String, DecodeError> {
            decode_payload::<String>("text", b, Numbers::TypeRefuses)
        }
        fn any(b: &[u8]) -> Result<String, DecodeError> {
            decode_payload::<serde_json::Value>("any", b, Numbers::Check).map(|v| v.to_string())
        }
        assert_eq!(
            decode_by_shape(b"7", &[("number", number), ("text", text)]).unwrap(),
            "n7"
        );
        assert_eq!(
            decode_by_shape(br#""x""#, &[("number", number), ("text", text)]).unwrap(),
            "x"
        );
        assert!(matches!(
            decode_by_shape(b"[]", &[("number", number), ("text", text)]),
            Err(DecodeError::NoMatch { tried }) if tried == ["number", "text"]
        ));
        assert!(matches!(
            decode_by_shape(b"7", &[("number", number), ("any", any)]),
            Err(DecodeError::Ambiguous { matches }) if matches == ["number", "any"]
        ));
        assert!(matches!(
            decode_by_shape(b"{", &[("text", text)]),
            Err(DecodeError::NotJson(_))
        ));
    }

    #[test]
    fn double_option_tells_null_from_absent() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct P {
            #[serde(default, deserialize_with = "double_option")]
            x: Option<Option<u8>>,
        }
        let p = |s: &str| serde_json::from_str::<P>(s).unwrap().x;
        assert_eq!(p("{}"), None);
        assert_eq!(p(r#"{"x":null}"#), Some(None));
        assert_eq!(p(r#"{"x":3}"#), Some(Some(3)));
    }
}
