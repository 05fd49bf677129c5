//! Receiving webhooks with axum (cargo feature `axum`): one router per spec that takes
//! the raw body, enforces a size limit, verifies the signature over the exact bytes,
//! decodes the message for the matched channel and hands it to a typed handler.
//!
//! Answers: 413 for a body over the limit, 401 (always the same body) for any signature
//! failure, 404 for an address no channel matches, 400 for an undecodable body, 405 for
//! another method than POST, 500 when the handler fails, and 204 only when it succeeds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub use axum;

use crate::decode::DecodeError;
use crate::routing::Route;
use crate::signature::{Clock, SignatureScheme, SignedRequest, SystemClock};

/// The body of every 401: the same whatever check failed, so it tells an attacker nothing.
pub const UNAUTHORIZED_BODY: &str = "invalid signature";

/// What a handler returns when it could not process a message (the sender should retry).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed future, as handlers return it.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// Hands a decoded message of type `M` to user code.
pub trait Dispatch<M>: Send + Sync + 'static {
    /// Processes `message`, which arrived at `route`.
    fn dispatch(&self, route: Route, message: M) -> HandlerFuture<'_>;
}

/// How a receiver checks what it gets.
#[derive(Clone)]
pub struct ReceiverConfig {
    /// The secrets any of which may have signed a delivery (several during a rotation).
    pub secrets: Vec<Vec<u8>>,
    /// The largest body accepted, in bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// The clock for timestamp tolerances (default: the system clock).
    pub clock: Arc<dyn Clock + Send + Sync>,
}

impl ReceiverConfig {
    /// A receiver for deliveries signed with `secret`.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secrets: vec![secret.into()],
            max_body_bytes: 1024 * 1024,
            clock: Arc::new(SystemClock),
        }
    }

    /// Also accepts deliveries signed with `secret` (for a rotation).
    pub fn with_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Sets the largest body accepted.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Refuses a configuration that cannot verify anything under `scheme`: no secret,
    /// an empty secret (anywhere in a rotation list), one not in the scheme's format,
    /// or a scheme that is not secure.
    pub fn check(&self, scheme: &SignatureScheme) -> Result<(), crate::SignatureError> {
        scheme.check()?;
        if self.secrets.is_empty() {
            return Err(crate::SignatureError::NoSecret);
        }
        self.secrets
            .iter()
            .try_for_each(|secret| scheme.check_secret(secret))
    }

    /// Sets the clock used for timestamp tolerances.
    pub fn with_clock(mut self, clock: Arc<dyn Clock + Send + Sync>) -> Self {
        self.clock = clock;
        self
    }
}

/// What a spec module gives the receiver: its scheme, routing and decoding.
#[derive(Clone, Copy)]
pub struct SpecBinding<M> {
    /// The signature scheme.
    pub scheme: SignatureScheme,
    /// The spec's `route`.
    pub route: fn(&str) -> Option<Route>,
    /// The spec's `decode_channel`.
    pub decode_channel: fn(&str, &[u8]) -> Result<M, DecodeError>,
}

/// An axum router serving every channel of a spec at its address (mount it with
/// `Router::nest` to add a prefix). Refused when the configuration cannot verify
/// anything: no secret, an empty or malformed one, or an insecure scheme.
pub fn router<M: Send + 'static>(
    binding: SpecBinding<M>,
    config: ReceiverConfig,
    handler: Arc<dyn Dispatch<M>>,
) -> Result<axum::Router, crate::SignatureError> {
    config.check(&binding.scheme)?;
    let state = Arc::new((binding, config, handler));
    Ok(axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Body| {
            let state = Arc::clone(&state);
            async move {
                let (binding, config, handler) = &*state;
                receive(
                    binding,
                    config,
                    handler.as_ref(),
                    method,
                    uri,
                    headers,
                    body,
                )
                .await
            }
        },
    ))
}

async fn receive<M: Send + 'static>(
    binding: &SpecBinding<M>,
    config: &ReceiverConfig,
    handler: &dyn Dispatch<M>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed").into_response();
    }
    let Some(route) = (binding.route)(uri.path()) else {
        return (StatusCode::NOT_FOUND, "no channel at this address").into_response();
    };
    let secrets: Vec<&[u8]> = config.secrets.iter().map(Vec::as_slice).collect();
    let verified = verified_body(
        &binding.scheme,
        &secrets,
        config.clock.as_ref(),
        config.max_body_bytes,
        &headers,
        body,
    );
    let body = match verified.await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let message = match (binding.decode_channel)(route.channel.address, &body) {
        Ok(message) => message,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    match handler.dispatch(route, message).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the handler failed").into_response(),
    }
}

/// Why a delivery was refused before it was decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is over the size limit (413).
    TooLarge,
    /// The signature check failed, for this reason (401, with [`UNAUTHORIZED_BODY`] whatever
    /// the reason, which is for the receiver's logs only).
    Unauthorized(crate::SignatureError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response(),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, UNAUTHORIZED_BODY).into_response(),
        }
    }
}

/// Reads `body` within `max_body_bytes` and verifies its signature over those exact bytes
/// against any of `secrets`: the checks every receiver makes before decoding anything.
pub async fn verified_body(
    scheme: &SignatureScheme,
    secrets: &[&[u8]],
    clock: &(dyn Clock + Sync),
    max_body_bytes: usize,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, Refusal> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body_bytes as u64) {
        return Err(Refusal::TooLarge);
    }
    let body = to_bytes(body, max_body_bytes)
        .await
        .map_err(|_| Refusal::TooLarge)?;
    let header = |name: &str| {
        (!name.is_empty())
            .then(|| headers.get(name).and_then(|v| v.to_str().ok()))
            .flatten()
    };
    let signature = signature_header(scheme, headers).map_err(Refusal::Unauthorized)?;
    let request = SignedRequest {
        signature: signature.as_deref(),
        id: header(scheme.id_header),
        timestamp: header(scheme.timestamp_header),
        body: &body,
    };
    scheme
        .verify_request(secrets, &request, clock)
        .map_err(Refusal::Unauthorized)?;
    Ok(body)
}

/// The signature header's value. Repeated headers are joined with the scheme's separator
/// when it allows several signatures, and refused otherwise (which one would be meant?).
pub fn signature_header(
    scheme: &SignatureScheme,
    headers: &HeaderMap,
) -> Result<Option<String>, crate::SignatureError> {
    let values: Vec<&str> = headers
        .get_all(scheme.header)
        .iter()
        .map(|v| {
            v.to_str()
                .map_err(|_| crate::SignatureError::Malformed("not text"))
        })
        .collect::<Result<_, _>>()?;
    match (values.as_slice(), scheme.separator) {
        ([], _) => Ok(None),
        ([one], _) => Ok(Some((*one).to_owned())),
        (several, Some(separator)) => Ok(Some(several.join(&separator.to_string()))),
        (_, None) => Err(crate::SignatureError::Malformed(
            "repeated signature headers",
        )),
    }
}
