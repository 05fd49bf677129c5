//! Receiving webhooks with axum (cargo feature `axum`): one router per spec that takes
//! the raw body, enforces a size limit, verifies the signature over the exact bytes,
//! decodes the message for the matched channel and hands it to a typed handler.
//!
//! Answers: 413 for a body over the limit, 408 for a body not received within the read
//! deadline, 401 (always the same body) for any signature failure, 404 for an address no
//! channel matches, 400 for an undecodable body, 405 for another method than POST, 500
//! when the handler fails, and 204 only when it succeeds.
//!
//! Slow clients: the router bounds the time a body may take ([`ReceiverConfig::read_timeout`]);
//! [`serve`] also bounds the time request headers may take and the number of connections
//! served at once ([`ServerLimits`]), which `axum::serve` does not.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub use axum;

use crate::decode::DecodeError;
use crate::routing::Route;
use crate::signature::{Clock, SignatureScheme, SignedRequest, SystemClock};

/// How long a body (and, under [`serve`], request headers) may take by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The body of every 401: the same whatever check failed, so it tells an attacker nothing.
pub const UNAUTHORIZED_BODY: &str = "invalid signature";

/// What a handler returns when it could not process a message (the sender should retry).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed future, as handlers return it.
#[doc(hidden)]
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// Hands a decoded message of type `M` to user code.
#[doc(hidden)]
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
    /// How long the whole body may take to arrive once the router has the request
    /// (default 10 s); a client slower than that is answered 408.
    pub read_timeout: Duration,
}

impl ReceiverConfig {
    /// A receiver for deliveries signed with `secret`.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secrets: vec![secret.into()],
            max_body_bytes: 1024 * 1024,
            clock: Arc::new(SystemClock),
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }

    /// Sets how long a body may take to arrive (answered 408 after that).
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
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
#[doc(hidden)]
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
    let limits = BodyLimits {
        max_bytes: config.max_body_bytes,
        read_timeout: config.read_timeout,
    };
    let verified = verified_body(
        &binding.scheme,
        &secrets,
        config.clock.as_ref(),
        limits,
        &headers,
        body,
    );
    let body = match verified.await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let message = match (binding.decode_channel)(route.template(), &body) {
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
    /// The body did not arrive within the read deadline (408).
    TimedOut,
    /// The signature check failed, for this reason (401, with [`UNAUTHORIZED_BODY`] whatever
    /// the reason, which is for the receiver's logs only).
    Unauthorized(crate::SignatureError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response(),
            Self::TimedOut => {
                (StatusCode::REQUEST_TIMEOUT, "body not received in time").into_response()
            }
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, UNAUTHORIZED_BODY).into_response(),
        }
    }
}

/// How much of a body a receiver reads, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// The largest body accepted, in bytes.
    pub max_bytes: usize,
    /// How long the whole body may take to arrive.
    pub read_timeout: Duration,
}

/// Reads `body` within `limits` and verifies its signature over those exact bytes
/// against any of `secrets`: the checks every receiver makes before decoding anything.
pub async fn verified_body(
    scheme: &SignatureScheme,
    secrets: &[&[u8]],
    clock: &(dyn Clock + Sync),
    limits: BodyLimits,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, Refusal> {
    let max_body_bytes = limits.max_bytes;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body_bytes as u64) {
        return Err(Refusal::TooLarge);
    }
    let body = tokio::time::timeout(limits.read_timeout, to_bytes(body, max_body_bytes))
        .await
        .map_err(|_| Refusal::TimedOut)?
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

/// Limits of a receiving server: how long a client may take to send its request headers,
/// and how many connections are served at once (further clients wait in the listen
/// backlog until one ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's headers before the connection is
    /// closed (default [`DEFAULT_READ_TIMEOUT`]).
    pub header_read_timeout: Duration,
    /// How many connections are served at once (default 1024).
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: 1024,
        }
    }
}

/// Serves `app` (a spec module's `router()`, or any axum router) on `listener` over
/// HTTP/1.1, like `axum::serve` but with `limits`: a client that stalls in its headers
/// is disconnected after [`ServerLimits::header_read_timeout`], and no more than
/// [`ServerLimits::max_connections`] connections are open at once, so slow clients
/// cannot hold a receiver forever or exhaust its memory. Runs until the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ServerLimits,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    loop {
        // A free slot first: over the limit, new connections wait in the backlog.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return Ok(());
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Per-connection failures (reset before accept, out of descriptors) must not
            // stop the server; back off briefly and go on.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let io = hyper_util::rt::TokioIo::new(stream);
            // A client's errors (timeouts, resets, bad requests) end its connection only.
            let _ = http.serve_connection(io, service).await;
            drop(slot);
        });
    }
}
