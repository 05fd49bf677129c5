//! Receiving webhooks (cargo feature `tower`): a tower [`Service`] that takes the raw body
//! within a size limit and a read deadline, verifies the signature over the exact bytes,
//! decodes the message for the matched channel, checks it is not a replay (when a
//! [`ReplayConfig`] is set) and hands it to a handler service. The same receiver runs
//! under hyper, axum (feature `axum`: a spec module's `router()`, and [`serve`]) or
//! anything else built on tower; [`WebhooksLayer`] puts it in front of any handler
//! service, such as one wrapped in tower middleware.
//!
//! Answers: 413 for a body over the limit, 408 for a body not received within the read
//! deadline, 400 for an unreadable or undecodable body, 401 (always the same body) for
//! any signature failure, 404 for an address no channel matches, 405 for another method
//! than POST, 500 when the handler fails, 503 with `Retry-After` when a copy of the
//! delivery is being handled, the replay guard is unavailable (and fails closed) or the
//! handler is [`Busy`] (a full delivery queue), and 204 when the handler succeeded (or,
//! in queue mode, the queue accepted the delivery), or for a replay of a delivery it
//! already handled.
//!
//! Slow clients: the service bounds the time a body may take
//! ([`ReceiverConfig::read_timeout`]); [`serve`] also bounds the time request headers may
//! take and the number of connections served at once ([`ServerLimits`]), which
//! `axum::serve` does not.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};

#[cfg(feature = "axum")]
pub use axum;
pub use tower_layer::Layer;
pub use tower_service::Service;

mod context;
pub mod observe;

pub use context::DeliveryContext;

use crate::decode::{DecodeError, Headers};
use crate::replay::{Claim, ClaimToken, Counter, DeliveryKey, ReplayConfig, WhenUnavailable};
use crate::routing::Route;
use crate::signature::{Clock, SignatureScheme, SignedRequest, SystemClock};

/// How long a body (and, under [`serve`], request headers) may take by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The body of every 401: the same whatever check failed, so it tells an attacker nothing.
pub const UNAUTHORIZED_BODY: &str = "invalid signature";

/// What a handler returns when it could not process a message (the sender should retry).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// The responses of the receiver service.
pub type Response = http::Response<Full<Bytes>>;

/// A boxed future, as handlers return it.
#[doc(hidden)]
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// Hands a delivery, decoded into a message of type `M` or not, to user code.
#[doc(hidden)]
pub trait Dispatch<M>: Send + Sync + 'static {
    /// Processes `message` (or the reason it could not be decoded), delivered as
    /// `context` says.
    fn dispatch(
        &self,
        context: DeliveryContext,
        message: Result<M, DecodeError>,
    ) -> HandlerFuture<'_>;
}

/// How a receiver checks what it gets.
#[derive(Clone)]
pub struct ReceiverConfig {
    /// The secrets any of which may have signed a delivery (several during a rotation;
    /// public keys for Ed25519).
    pub secrets: Vec<Vec<u8>>,
    /// The largest body accepted, in bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// The clock for timestamp tolerances (default: the system clock).
    pub clock: Arc<dyn Clock + Send + Sync>,
    /// How long the whole body may take to arrive once the service has the request
    /// (default 10 s); a client slower than that is answered 408.
    pub read_timeout: Duration,
    /// Replay protection (default none: every verified delivery reaches the handler).
    pub replay: Option<ReplayConfig>,
    /// The bytes of bodies not yet verified that the receiver holds at once, across all
    /// its requests (default [`DEFAULT_BODY_BUDGET`]): past it, a request is answered 503
    /// with `Retry-After` instead of being read. Shared by the clones of this configuration.
    pub body_budget: BodyBudget,
}

/// The default [`ReceiverConfig::body_budget`]: 64 MiB.
pub const DEFAULT_BODY_BUDGET: usize = 64 * 1024 * 1024;

/// The first bytes of every body, which do not count against the [`BodyBudget`]: most
/// deliveries are smaller, so clients that exhaust the budget with large stalled bodies
/// cannot turn ordinary deliveries away. Unverified bodies hold at most the budget plus
/// this much per connection.
pub const BODY_ALLOWANCE: usize = 32 * 1024;

/// A budget of bytes for bodies not yet verified, shared by every request of a receiver:
/// clients that send most of a large body and stall hold at most this much memory in all
/// (plus [`BODY_ALLOWANCE`] each), not their number times the size limit.
#[derive(Clone, Debug)]
pub struct BodyBudget {
    bytes: Arc<tokio::sync::Semaphore>,
    capacity: usize,
}

impl BodyBudget {
    /// A budget of `bytes` (at least one).
    pub fn new(bytes: usize) -> Self {
        let capacity = bytes.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(tokio::sync::Semaphore::new(capacity)),
            capacity,
        }
    }

    /// The budget in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes held by bodies being read or verified now.
    pub fn in_use(&self) -> usize {
        self.capacity - self.bytes.available_permits()
    }

    /// Takes `n` more bytes for `held`, or `None` when the budget cannot spare them.
    fn take(&self, n: usize, held: &mut Option<tokio::sync::OwnedSemaphorePermit>) -> Option<()> {
        let n = u32::try_from(n).ok()?;
        if n == 0 {
            return Some(());
        }
        let permit = Arc::clone(&self.bytes).try_acquire_many_owned(n).ok()?;
        match held {
            Some(held) => held.merge(permit),
            None => *held = Some(permit),
        }
        Some(())
    }
}

impl ReceiverConfig {
    /// A receiver for deliveries signed with `secret`.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secrets: vec![secret.into()],
            max_body_bytes: 1024 * 1024,
            clock: Arc::new(SystemClock),
            read_timeout: DEFAULT_READ_TIMEOUT,
            replay: None,
            body_budget: BodyBudget::new(DEFAULT_BODY_BUDGET),
        }
    }

    /// Sets how many bytes of bodies not yet verified the receiver holds at once.
    pub fn with_body_budget(mut self, bytes: usize) -> Self {
        self.body_budget = BodyBudget::new(bytes);
        self
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

    /// Hands each delivery to the handler once (see [`crate::replay`]).
    pub fn with_replay(mut self, replay: ReplayConfig) -> Self {
        self.replay = Some(replay);
        self
    }

    /// Refuses a configuration that cannot verify anything under `scheme`: no secret, a
    /// weak one (anywhere in a rotation list, named by its place), one not in the
    /// scheme's format, or a scheme that is not secure.
    pub fn check(&self, scheme: &SignatureScheme) -> Result<(), crate::SignatureError> {
        let secrets: Vec<&[u8]> = self.secrets.iter().map(Vec::as_slice).collect();
        scheme.check_secrets(&secrets)
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
    /// The spec's module name: with the key that verified a delivery, it scopes the
    /// delivery's replay key (see [`SignatureScheme::replay_key`]).
    pub spec: &'static str,
    /// The signature scheme.
    pub scheme: SignatureScheme,
    /// The spec's `route`.
    pub route: fn(&str) -> Option<Route>,
    /// The spec's `decode_channel`.
    pub decode_channel: fn(&str, &dyn Headers, &[u8]) -> Result<M, DecodeError>,
    /// The spec's `Message::name`: names a decoded message in logs and metrics.
    pub message_name: fn(&M) -> Option<&'static str>,
}

/// A delivery that passed every check, as a handler service receives it: its context
/// and its message, or, for a verified body that does not fit the message its channel,
/// event header and discriminator name, the precise reason ([`DecodeError::message`]
/// names the message it was meant to be, [`DecodeError::path`] the value that did not
/// fit). Nothing verified is dropped before the handler sees it.
#[derive(Debug)]
pub struct Delivery<M> {
    /// Where and when it arrived, its headers, id and raw body.
    pub context: DeliveryContext,
    /// The decoded message, or why the body is not one.
    pub message: Result<M, DecodeError>,
}

/// The error a handler returns to refuse a verified delivery it cannot read (the
/// generated `Handler::undecodable` does by default): the receiver answers 400 with the
/// reason, so the provider's delivery log shows it and the delivery can be redelivered
/// once the spec is fixed; in queue mode it is tried again on the queue's schedule, then
/// kept as a dead letter.
#[derive(Debug, thiserror::Error)]
#[error("the body is not a message of this channel: {0}")]
pub struct Undecodable(pub DecodeError);

/// A handler error that asks the sender to come back later: the receiver answers 503
/// with `Retry-After` instead of 500 (a full delivery queue returns it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Busy {
    /// Why (the response body).
    pub reason: &'static str,
    /// How long the sender should wait.
    pub retry_after: Duration,
}

/// What the receiver service and its layer share.
struct Shared<M> {
    binding: SpecBinding<M>,
    config: ReceiverConfig,
}

/// The receiver as a tower service over `http::Request`s, handing each delivery that
/// passes every check to the handler service `S` (see the module docs for the answers).
/// A spec module's `service()` builds one; [`WebhooksLayer`] wraps any handler service.
pub struct Webhooks<M, S> {
    shared: Arc<Shared<M>>,
    handler: S,
}

impl<M, S: Clone> Clone for Webhooks<M, S> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            handler: self.handler.clone(),
        }
    }
}

/// A tower layer that puts a spec's receiver in front of a handler service of
/// [`Delivery`]s. A spec module's `layer()` builds one.
pub struct WebhooksLayer<M> {
    shared: Arc<Shared<M>>,
}

impl<M> Clone for WebhooksLayer<M> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<M> WebhooksLayer<M> {
    /// The layer for a spec's `binding`. Refused when the configuration cannot verify
    /// anything: no secret, an empty or malformed one, or an insecure scheme.
    #[doc(hidden)]
    pub fn new(
        binding: SpecBinding<M>,
        config: ReceiverConfig,
    ) -> Result<Self, crate::SignatureError> {
        config.check(&binding.scheme)?;
        Ok(Self {
            shared: Arc::new(Shared { binding, config }),
        })
    }
}

impl<M, S> tower_layer::Layer<S> for WebhooksLayer<M> {
    type Service = Webhooks<M, S>;

    fn layer(&self, handler: S) -> Webhooks<M, S> {
        Webhooks {
            shared: Arc::clone(&self.shared),
            handler,
        }
    }
}

/// A generated `Handler` as a handler service of [`Delivery`]s: what a spec module's
/// `service()` puts behind the receiver, and what `layer()` middleware wraps.
pub struct HandlerService<M>(Arc<dyn Dispatch<M>>);

impl<M> HandlerService<M> {
    /// The service calling a generated `Handler` through its `Dispatcher`.
    #[doc(hidden)]
    pub fn new(dispatch: Arc<dyn Dispatch<M>>) -> Self {
        Self(dispatch)
    }
}

impl<M> Clone for HandlerService<M> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<M: Send + 'static> tower_service::Service<Delivery<M>> for HandlerService<M> {
    type Response = ();
    type Error = HandlerError;
    type Future = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), HandlerError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, delivery: Delivery<M>) -> Self::Future {
        let dispatch = Arc::clone(&self.0);
        Box::pin(async move { dispatch.dispatch(delivery.context, delivery.message).await })
    }
}

impl<M, S, B> tower_service::Service<http::Request<B>> for Webhooks<M, S>
where
    M: Send + 'static,
    S: tower_service::Service<Delivery<M>, Response = (), Error = HandlerError>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<HandlerError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    /// Always ready: the handler service's readiness is awaited per request, after the
    /// checks, so a busy handler never delays refusing a forged delivery.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        // The clone that was driven ready is the one called (tower's convention).
        let handler = self.handler.clone();
        let handler = std::mem::replace(&mut self.handler, handler);
        Box::pin(async move { Ok(receive(&shared, handler, request).await) })
    }
}

/// A plain-text answer.
fn answer(status: StatusCode, text: &'static str) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    if !text.is_empty() {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    response
}

/// A plain-text answer of text made at run time.
fn answer_text(status: StatusCode, text: String) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A 503 asking the sender to come back after `retry_after`.
fn unavailable(text: &'static str, retry_after: Duration) -> Response {
    let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, text);
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from(retry_after.as_secs().max(1)),
    );
    response
}

/// How a delivery that was not refused was answered (204 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accepted {
    /// The handler succeeded (in queue mode: the queue stored it).
    Handled,
    /// A replay of a delivery already handled: answered without the handler.
    Replay,
}

/// Receives one request inside its span, then answers it, logs the outcome and counts
/// it; a refusal also travels in the response's extensions for outer middleware.
async fn receive<M, S, B>(shared: &Shared<M>, handler: S, request: http::Request<B>) -> Response
where
    M: Send + 'static,
    S: tower_service::Service<Delivery<M>, Response = (), Error = HandlerError>,
    B: http_body::Body,
    B::Error: Into<HandlerError>,
{
    use tracing::Instrument as _;
    let spec = shared.binding.spec;
    let started = std::time::Instant::now();
    let span = tracing::info_span!(
        "webhook",
        spec,
        route = tracing::field::Empty,
        delivery_id = tracing::field::Empty,
        message = tracing::field::Empty,
        outcome = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let result = checked(shared, handler, request)
        .instrument(span.clone())
        .await;
    let (outcome, response) = match result {
        Ok(accepted) => {
            let outcome = match accepted {
                Accepted::Handled => "handled",
                Accepted::Replay => "replay",
            };
            (outcome, answer(StatusCode::NO_CONTENT, ""))
        }
        Err(refusal) => {
            let mut response = refusal.response();
            let _entered = span.enter();
            refusal.log();
            if let Refusal::Unauthorized(reason) = &refusal {
                observe::signature_failed(spec, reason.kind());
            }
            let kind = refusal.kind();
            response.extensions_mut().insert(refusal);
            (kind, response)
        }
    };
    let status = response.status().as_u16();
    span.record("outcome", outcome);
    span.record("status", status);
    let took = started.elapsed();
    if outcome == "handled" || outcome == "replay" {
        span.in_scope(|| tracing::info!(took_ms = took.as_secs_f64() * 1e3, "delivery {outcome}"));
    }
    observe::answered(spec, outcome, status, took);
    response
}

/// Every check of one request, then the handler: the delivery's outcome.
async fn checked<M, S, B>(
    shared: &Shared<M>,
    mut handler: S,
    request: http::Request<B>,
) -> Result<Accepted, Refusal>
where
    M: Send + 'static,
    S: tower_service::Service<Delivery<M>, Response = (), Error = HandlerError>,
    B: http_body::Body,
    B::Error: Into<HandlerError>,
{
    let Shared { binding, config } = shared;
    let span = tracing::Span::current();
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST {
        return Err(Refusal::MethodNotAllowed);
    }
    let route = (binding.route)(parts.uri.path()).ok_or(Refusal::NotFound)?;
    span.record("route", route.template());
    let limits = BodyLimits {
        max_bytes: config.max_body_bytes,
        read_timeout: config.read_timeout,
    };
    // The bytes stay counted against the budget until the signature is checked.
    let (body, budget) = read_body(limits, Some(&config.body_budget), &parts.headers, body).await?;
    let secrets: Vec<&[u8]> = config.secrets.iter().map(Vec::as_slice).collect();
    let verified = verify(
        binding.spec,
        &binding.scheme,
        &secrets,
        config.clock.as_ref(),
        &parts.headers,
        &body,
        config.replay.is_some(),
    );
    drop(budget);
    let replay_key = verified?;
    // Verified: from here on, the request is the provider's.
    let context = DeliveryContext::new(
        route,
        parts.uri.path().to_owned(),
        parts.headers,
        body,
        binding.scheme.id_header,
    );
    if let Some(id) = context.delivery_id() {
        span.record("delivery_id", observe::printable(id).as_ref());
    }
    tracing::trace!(body = %observe::printable(&String::from_utf8_lossy(context.body())), "verified body");
    let message = (binding.decode_channel)(
        context.route().template(),
        context.headers(),
        context.body(),
    );
    let name = match &message {
        Ok(message) => (binding.message_name)(message).unwrap_or("unknown"),
        Err(error) => error.message().unwrap_or("undecodable"),
    };
    span.record("message", name);
    // Replays are checked after decoding, so that what a replay key guards is the
    // delivery a handler would get (an undecodable one included: it reaches the handler).
    let claimed = match (&config.replay, replay_key) {
        (Some(replay), Some(key)) => claim(binding.spec, replay, key).await?,
        _ => Claimed::Unguarded,
    };
    let (replay, key, token) = match claimed {
        Claimed::Done => return Ok(Accepted::Replay),
        Claimed::Unguarded => return handle(binding, &mut handler, name, context, message).await,
        Claimed::Fresh(replay, key, token) => (replay, key, token),
    };
    let handled = holding(
        binding.spec,
        replay,
        key,
        token,
        handle(binding, &mut handler, name, context, message),
    )
    .await;
    match handled {
        Ok(accepted) => {
            let window = replay.window_for(binding.scheme.tolerance_seconds);
            // Handled either way; a guard that cannot record it lets a replay through.
            if guarded(replay, replay.guard.complete(key, window))
                .await
                .is_err()
            {
                replay.stats.count(Counter::Unavailable);
                observe::guard_unavailable(binding.spec);
                tracing::warn!(
                    "the replay guard did not record the delivery as handled: a replay of it would be handled again"
                );
            }
            Ok(accepted)
        }
        Err(refusal) => {
            if guarded(replay, replay.guard.release(key, token))
                .await
                .is_err()
            {
                // The claim lapses after its lease instead.
                replay.stats.count(Counter::Unavailable);
                observe::guard_unavailable(binding.spec);
            }
            Err(refusal)
        }
    }
}

/// Calls the handler service with one delivery and reads its answer: an
/// [`Undecodable`] error is a 400 with its reason, [`Busy`] a 503, any other a 500.
async fn handle<M, S>(
    binding: &SpecBinding<M>,
    handler: &mut S,
    name: &'static str,
    context: DeliveryContext,
    message: Result<M, DecodeError>,
) -> Result<Accepted, Refusal>
where
    S: tower_service::Service<Delivery<M>, Response = (), Error = HandlerError>,
{
    let started = std::time::Instant::now();
    let undecodable = message.is_err();
    let delivery = Delivery { context, message };
    let result = match std::future::poll_fn(|cx| handler.poll_ready(cx)).await {
        Ok(()) => handler.call(delivery).await,
        Err(e) => Err(e),
    };
    let label = match (&result, undecodable) {
        (Ok(()), false) => "ok",
        (Ok(()), true) => "undecodable_accepted",
        (Err(_), true) => "undecodable",
        (Err(_), false) => "error",
    };
    observe::handled(binding.spec, name, label, started.elapsed());
    result
        .map(|()| Accepted::Handled)
        .map_err(Refusal::from_handler)
}

/// Runs `handling` while holding `token`'s claim of `key`: the claim is extended every
/// third of a lease, so a slow handler keeps it; when an extension finds the claim lost
/// (lapsed while the guard was unreachable, and perhaps taken by another instance), it
/// is counted ([`crate::replay::ReplayStats::leases_lost`]) and the handler goes on.
async fn holding<F: Future>(
    spec: &'static str,
    replay: &ReplayConfig,
    key: DeliveryKey,
    token: ClaimToken,
    handling: F,
) -> F::Output {
    let renew = async {
        let period = (replay.lease / 3).max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(period).await;
            match guarded(replay, replay.guard.extend(key, token, replay.lease)).await {
                Ok(true) => {}
                Ok(false) => {
                    replay.stats.count(Counter::LeaseLost);
                    tracing::warn!(
                        "the delivery's replay claim was lost while its handler ran: another instance may handle it too"
                    );
                    return;
                }
                // Unreachable for now: try again at the next period.
                Err(_) => {
                    replay.stats.count(Counter::Unavailable);
                    observe::guard_unavailable(spec);
                }
            }
        }
    };
    let handling = std::pin::pin!(handling);
    let renew = std::pin::pin!(renew);
    match futures_select(handling, renew).await {
        Ok(output) => output,
        // The claim was lost: nothing left to extend; finish the handler.
        Err(handling) => handling.await,
    }
}

/// Polls both futures until `first` finishes (`Ok`), or `second` does (`Err` with `first`
/// to finish alone).
async fn futures_select<A: Future + Unpin, B: Future<Output = ()> + Unpin>(
    mut first: A,
    mut second: B,
) -> Result<A::Output, A> {
    let mut second_done = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = Pin::new(&mut first).poll(cx) {
            return Poll::Ready(Some(output));
        }
        if !second_done && Pin::new(&mut second).poll(cx).is_ready() {
            second_done = true;
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
    .ok_or(first)
}

/// What claiming a verified delivery decided.
enum Claimed<'a> {
    /// Handle it, then settle the claim.
    Fresh(&'a ReplayConfig, DeliveryKey, ClaimToken),
    /// Already handled: a replay.
    Done,
    /// Handle it without a claim (the guard is unavailable and configured to let
    /// deliveries through).
    Unguarded,
}

/// Claims a verified delivery, or refuses it (a copy in progress, a guard unavailable
/// and failing closed). A claim whose outcome is unknown (the guard did not answer in
/// time: it may have landed) is released in the background as soon as the guard
/// answers, so the provider's retries wait at most one lease, and usually not at all.
async fn claim<'a>(
    spec: &'static str,
    replay: &'a ReplayConfig,
    key: DeliveryKey,
) -> Result<Claimed<'a>, Refusal> {
    let token = ClaimToken::new();
    match guarded(replay, replay.guard.claim(key, token, replay.lease)).await {
        Ok(Claim::Fresh) => Ok(Claimed::Fresh(replay, key, token)),
        Ok(Claim::Done) => {
            replay.stats.count(Counter::Replay);
            Ok(Claimed::Done)
        }
        Ok(Claim::InProgress) => {
            replay.stats.count(Counter::InProgress);
            Err(Refusal::InProgress {
                retry_after: replay.lease,
            })
        }
        Err(error) => {
            replay.stats.count(Counter::Unavailable);
            observe::guard_unavailable(spec);
            let guard = std::sync::Arc::clone(&replay.guard);
            let lease = replay.lease;
            tokio::spawn(async move {
                // Within the lease: after it, the claim has lapsed anyway.
                let _ = tokio::time::timeout(lease, guard.release(key, token)).await;
            });
            match replay.when_unavailable {
                WhenUnavailable::Refuse => Err(Refusal::GuardUnavailable(Arc::from(
                    error.to_string().as_str(),
                ))),
                WhenUnavailable::Process => {
                    replay.stats.count(Counter::Unguarded);
                    tracing::warn!(reason = %observe::printable(&error.to_string()), "the replay guard is unavailable: handling the delivery unguarded");
                    Ok(Claimed::Unguarded)
                }
            }
        }
    }
}

/// A guard operation within the configured timeout.
async fn guarded<T>(
    replay: &ReplayConfig,
    operation: crate::replay::GuardFuture<'_, T>,
) -> Result<T, crate::replay::GuardError> {
    match tokio::time::timeout(replay.timeout, operation).await {
        Ok(result) => result,
        Err(_) => Err(crate::replay::GuardError(format!(
            "no answer within {:?}",
            replay.timeout
        ))),
    }
}

/// Every answer but 204 the receiver gives, with its precise reason: the response of a
/// refused delivery carries it in its extensions
/// (`response.extensions().get::<Refusal>()`), so outer middleware can log or count it,
/// and the receiver logs it (see `observe`). The response bodies say no more than the
/// status to a client that is not verified; a verified provider is told why its body
/// did not decode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Refusal {
    /// No channel at the request's address (404).
    NotFound,
    /// Another method than POST (405).
    MethodNotAllowed,
    /// The body is over the size limit (413).
    TooLarge,
    /// The body did not arrive within the read deadline (408).
    TimedOut,
    /// The body could not be read (the client failed mid-body) (400).
    Unreadable,
    /// The signature check failed, for this reason (401, with [`UNAUTHORIZED_BODY`] whatever
    /// the reason, which is for the receiver's logs only).
    Unauthorized(crate::SignatureError),
    /// The bodies being read already hold the receiver's whole [`BodyBudget`] (503 with
    /// `Retry-After: 1`).
    Overloaded,
    /// A verified body that the handler refused as undecodable (400, with the reason:
    /// the provider's delivery log shows it).
    Undecodable(Arc<DecodeError>),
    /// A copy of the delivery is being handled (503 with `Retry-After`).
    InProgress {
        /// The claim's lease.
        retry_after: Duration,
    },
    /// The replay guard did not answer and the receiver fails closed (503), with the
    /// guard's error.
    GuardUnavailable(Arc<str>),
    /// The handler asked the sender to come back later (503 with `Retry-After`).
    Busy(Busy),
    /// The handler failed (500), with its error as text (for the logs only).
    HandlerFailed(Arc<str>),
}

impl Refusal {
    /// The answer to a refused delivery.
    pub fn response(&self) -> Response {
        match self {
            Self::NotFound => answer(StatusCode::NOT_FOUND, "no channel at this address"),
            Self::MethodNotAllowed => answer(StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed"),
            Self::TooLarge => answer(StatusCode::PAYLOAD_TOO_LARGE, "body too large"),
            Self::TimedOut => answer(StatusCode::REQUEST_TIMEOUT, "body not received in time"),
            Self::Unreadable => answer(StatusCode::BAD_REQUEST, "body could not be read"),
            Self::Unauthorized(_) => answer(StatusCode::UNAUTHORIZED, UNAUTHORIZED_BODY),
            Self::Overloaded => unavailable(
                "too many bodies being received; try again",
                Duration::from_secs(1),
            ),
            Self::Undecodable(error) => {
                let text = format!("the body is not a message of this channel: {error}");
                answer_text(
                    StatusCode::BAD_REQUEST,
                    observe::printable(&text).into_owned(),
                )
            }
            Self::InProgress { retry_after } => {
                unavailable("this delivery is being handled", *retry_after)
            }
            Self::GuardUnavailable(_) => {
                unavailable("replay protection is unavailable", Duration::from_secs(5))
            }
            Self::Busy(busy) => unavailable(busy.reason, busy.retry_after),
            Self::HandlerFailed(_) => {
                answer(StatusCode::INTERNAL_SERVER_ERROR, "the handler failed")
            }
        }
    }

    /// A short, stable name of the refusal (`not_found`, `method`, `too_large`,
    /// `timed_out`, `unreadable`, `unauthorized`, `overloaded`, `undecodable`,
    /// `in_progress`, `guard_unavailable`, `busy`, `handler_failed`): the `outcome` of
    /// logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method",
            Self::TooLarge => "too_large",
            Self::TimedOut => "timed_out",
            Self::Unreadable => "unreadable",
            Self::Unauthorized(_) => "unauthorized",
            Self::Overloaded => "overloaded",
            Self::Undecodable(_) => "undecodable",
            Self::InProgress { .. } => "in_progress",
            Self::GuardUnavailable(_) => "guard_unavailable",
            Self::Busy(_) => "busy",
            Self::HandlerFailed(_) => "handler_failed",
        }
    }

    /// What a handler's error means for the answer.
    fn from_handler(error: HandlerError) -> Self {
        let error = match error.downcast::<Undecodable>() {
            Ok(undecodable) => return Self::Undecodable(Arc::new(undecodable.0)),
            Err(error) => error,
        };
        match error.downcast::<Busy>() {
            Ok(busy) => Self::Busy(*busy),
            Err(error) => Self::HandlerFailed(Arc::from(error.to_string().as_str())),
        }
    }

    /// Logs the refusal at its level, with its reason: requests anyone can send
    /// (wrong address or method) at `debug`, unverified bodies at `info`, signature
    /// failures, undecodable deliveries and unavailable parts at `warn`, handler
    /// failures at `error`.
    fn log(&self) {
        use tracing::{debug, error, info, warn};
        let kind = self.kind();
        match self {
            Self::NotFound | Self::MethodNotAllowed => debug!(outcome = kind, "request refused"),
            Self::TooLarge | Self::TimedOut | Self::Unreadable => {
                info!(outcome = kind, "body refused before verification")
            }
            Self::Overloaded => warn!(
                outcome = kind,
                "body refused: the unverified-body budget is spent"
            ),
            Self::Unauthorized(reason) => warn!(
                outcome = kind,
                reason = reason.kind(),
                detail = %reason,
                "signature refused"
            ),
            Self::Undecodable(error) => warn!(
                outcome = kind,
                reason = error.kind(),
                path = error.path().map(|p| observe::printable(p).into_owned()),
                detail = %observe::printable(&error.to_string()),
                "verified delivery refused as undecodable"
            ),
            Self::InProgress { .. } => {
                info!(outcome = kind, "a copy of this delivery is being handled")
            }
            Self::GuardUnavailable(reason) => warn!(
                outcome = kind,
                detail = %observe::printable(reason),
                "the replay guard is unavailable: delivery refused (fails closed)"
            ),
            Self::Busy(busy) => warn!(outcome = kind, detail = busy.reason, "the handler is busy"),
            Self::HandlerFailed(reason) => error!(
                outcome = kind,
                detail = %observe::printable(reason),
                "the handler failed"
            ),
        }
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for Refusal {
    fn into_response(self) -> axum::response::Response {
        self.response().into_response()
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
pub async fn verified_body<B>(
    scheme: &SignatureScheme,
    secrets: &[&[u8]],
    clock: &(dyn Clock + Sync),
    limits: BodyLimits,
    headers: &HeaderMap,
    body: B,
) -> Result<Bytes, Refusal>
where
    B: http_body::Body,
    B::Error: Into<HandlerError>,
{
    let (body, _budget) = read_body(limits, None, headers, body).await?;
    verify("", scheme, secrets, clock, headers, &body, false)?;
    Ok(body)
}

/// Reads `body` within `limits`: a declared length over the cap is refused before
/// reading, and the cap holds on the bytes actually read. With a `budget`, every chunk is
/// counted against it as it arrives (refused as [`Refusal::Overloaded`] when it cannot
/// be), and the bytes stay counted while the returned permit lives.
async fn read_body<B>(
    limits: BodyLimits,
    budget: Option<&BodyBudget>,
    headers: &HeaderMap,
    body: B,
) -> Result<(Bytes, Option<tokio::sync::OwnedSemaphorePermit>), Refusal>
where
    B: http_body::Body,
    B::Error: Into<HandlerError>,
{
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(Refusal::TooLarge);
    }
    let mut held = None;
    let read = async {
        let body = Limited::new(body, limits.max_bytes);
        let mut body = std::pin::pin!(body);
        let mut bytes = bytes::BytesMut::new();
        let mut read = 0usize;
        while let Some(frame) = body.as_mut().frame().await {
            let frame = frame.map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    Refusal::TooLarge
                } else {
                    Refusal::Unreadable
                }
            })?;
            if let Ok(data) = frame.into_data() {
                use bytes::{Buf as _, BufMut as _};
                // The first `BODY_ALLOWANCE` bytes of each body are its own; the rest
                // counts against the budget shared by every request.
                let before = read.saturating_sub(BODY_ALLOWANCE);
                read = read.saturating_add(data.remaining());
                let over = read.saturating_sub(BODY_ALLOWANCE) - before;
                if let Some(budget) = budget {
                    budget.take(over, &mut held).ok_or(Refusal::Overloaded)?;
                }
                bytes.put(data);
            }
        }
        Ok(bytes.freeze())
    };
    match tokio::time::timeout(limits.read_timeout, read).await {
        Err(_) => Err(Refusal::TimedOut),
        Ok(Err(refusal)) => Err(refusal),
        Ok(Ok(bytes)) => Ok((bytes, held)),
    }
}

/// Verifies the signature of `body` and its headers; with `replay_key`, also returns the
/// key that identifies the delivery within `spec`, read from the same verified parts and
/// bound to the receiver's first secret (see `SignatureScheme::replay_key`).
fn verify(
    spec: &str,
    scheme: &SignatureScheme,
    secrets: &[&[u8]],
    clock: &(dyn Clock + Sync),
    headers: &HeaderMap,
    body: &[u8],
    replay_key: bool,
) -> Result<Option<DeliveryKey>, Refusal> {
    let signature = signature_header(scheme, headers).map_err(Refusal::Unauthorized)?;
    let request = signed_request(scheme, headers, signature.as_deref(), body);
    scheme
        .verify_request(secrets, &request, clock)
        .map_err(Refusal::Unauthorized)?;
    let (true, Some(first)) = (replay_key, secrets.first()) else {
        return Ok(None);
    };
    // What verified has a key; an error here would be a verified request without one.
    let key = scheme
        .replay_key(spec, first, &request)
        .map_err(Refusal::Unauthorized)?;
    Ok(Some(DeliveryKey(key)))
}

/// The parts of a request its signature covers.
fn signed_request<'a>(
    scheme: &SignatureScheme,
    headers: &'a HeaderMap,
    signature: Option<&'a str>,
    body: &'a [u8],
) -> SignedRequest<'a> {
    let header = |name: &str| {
        (!name.is_empty())
            .then(|| headers.get(name).and_then(|v| v.to_str().ok()))
            .flatten()
    };
    SignedRequest {
        signature,
        id: header(scheme.id_header),
        timestamp: header(scheme.timestamp_header),
        body,
    }
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
/// how many connections are served at once and from one address, and when idle
/// keep-alive connections are let go (further clients wait in the listen backlog until
/// a connection ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's headers, and a keep-alive
    /// connection may stay idle between requests, before it is closed (default
    /// [`DEFAULT_READ_TIMEOUT`]).
    pub header_read_timeout: Duration,
    /// How many connections are served at once (default 1024).
    pub max_connections: usize,
    /// How many of them may come from one IP address (default 64; `None`: no limit,
    /// for a receiver behind a proxy whose connections all come from one address). A
    /// client over it is disconnected at once.
    pub max_connections_per_address: Option<usize>,
    /// When fewer slots than this are free (default a quarter of `max_connections`), and
    /// twice a second while none is: idle keep-alive connections are closed, busy ones
    /// close after their request, and connections that have not sent a whole request
    /// head within a second are closed, so clients that hold a slot cheaply (a tiny
    /// request every few seconds, headers sent a byte at a time) give way to the
    /// deliveries waiting in the backlog.
    pub shed_below_free: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: 1024,
            max_connections_per_address: Some(64),
            shed_below_free: 256,
        }
    }
}

/// How often, while every slot is taken, connections are asked to give way.
#[cfg(feature = "axum")]
const SHED_EVERY: Duration = Duration::from_millis(500);

/// How long a connection may go without a whole request head before, when slots run
/// short, it is closed to make room (providers send theirs in milliseconds).
#[cfg(feature = "axum")]
const SHED_STALLED_AFTER: Duration = Duration::from_secs(1);

/// Connections per client address, for [`ServerLimits::max_connections_per_address`].
#[cfg(feature = "axum")]
#[derive(Default)]
struct PerAddress(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

#[cfg(feature = "axum")]
impl PerAddress {
    /// Counts one more connection from `ip`, unless it has `limit` already.
    fn enter(self: &Arc<Self>, ip: std::net::IpAddr, limit: Option<usize>) -> Option<AddressSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(ip).or_default();
        if limit.is_some_and(|limit| *count >= limit) {
            return None;
        }
        *count += 1;
        Some(AddressSlot(Arc::clone(self), ip))
    }
}

/// One connection counted against its address; uncounted when dropped.
#[cfg(feature = "axum")]
struct AddressSlot(Arc<PerAddress>, std::net::IpAddr);

#[cfg(feature = "axum")]
impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.1) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.1);
            }
        }
    }
}

/// Serves `app` (a spec module's `router()`, or any axum router) on `listener` over
/// HTTP/1.1, like `axum::serve` but with `limits`: a client that stalls in its headers
/// (or idles between requests) is disconnected after
/// [`ServerLimits::header_read_timeout`], no more than [`ServerLimits::max_connections`]
/// connections are open at once and [`ServerLimits::max_connections_per_address`] from
/// one address, and when slots run short idle keep-alive connections are let go, so
/// slow or idle clients cannot hold a receiver forever or exhaust its memory. Runs until
/// the listener fails; [`serve_with_shutdown`] stops cleanly.
#[cfg(feature = "axum")]
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ServerLimits,
) -> std::io::Result<()> {
    serve_with_shutdown(listener, app, limits, std::future::pending(), Duration::MAX)
        .await
        .map(drop)
}

/// How a [`serve_with_shutdown`] ended.
#[cfg(feature = "axum")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Connections still open when the grace period ran out: left to the caller's
    /// runtime, which closes them when it ends (their deliveries unanswered, so their
    /// senders retry them).
    pub abandoned: usize,
}

/// [`serve`] until `signal` completes (for example `tokio::signal::ctrl_c()` or a
/// SIGTERM), then shuts down without dropping work: stops accepting, lets every
/// delivery in flight finish and be answered (idle keep-alive connections close at
/// once, busy ones after their response), and returns once all are done or `grace` has
/// passed. Then close a delivery queue ([`crate::queue::DeliveryQueue::close`]) and
/// await its worker: it drains what was accepted.
#[cfg(feature = "axum")]
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ServerLimits,
    signal: impl Future<Output = ()> + Send,
    grace: Duration,
) -> std::io::Result<Shutdown> {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    let (closing, _) = tokio::sync::watch::channel(false);
    let accepting = accept(listener, app, limits, Arc::clone(&slots), &closing);
    tokio::select! {
        () = signal => {}
        ended = accepting => ended?,
    }
    tracing::info!("shutting down: no new connections; waiting for deliveries in flight");
    closing.send_replace(true);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(grace, slots.acquire_many(all)).await;
    let abandoned = match drained {
        Ok(_) => 0,
        Err(_) => max - slots.available_permits(),
    };
    if abandoned > 0 {
        tracing::warn!(
            abandoned,
            "grace period over: connections still open are closed"
        );
    }
    Ok(Shutdown { abandoned })
}

/// The accept loop of [`serve_with_shutdown`]: runs until the listener fails.
#[cfg(feature = "axum")]
async fn accept(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ServerLimits,
    slots: Arc<tokio::sync::Semaphore>,
    closing: &tokio::sync::watch::Sender<bool>,
) -> std::io::Result<()> {
    let max = limits.max_connections.max(1);
    let per_address = Arc::new(PerAddress::default());
    // Counts the connections accepted while free slots were short: each one asks the
    // keep-alive connections open before it to close when idle.
    let (pressure, _) = tokio::sync::watch::channel(0u64);
    loop {
        // A free slot first: over the limit, new connections wait in the backlog. While
        // every slot is taken, connections are asked to give way twice a second.
        let slot = loop {
            let waiting = Arc::clone(&slots).acquire_owned();
            match tokio::time::timeout(SHED_EVERY, waiting).await {
                Ok(Ok(slot)) => break slot,
                Ok(Err(_)) => return Ok(()),
                Err(_) if limits.shed_below_free > 0 => {
                    pressure.send_modify(|rises| *rises += 1);
                }
                Err(_) => {}
            }
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Per-connection failures (reset before accept, out of descriptors) must not
            // stop the server; back off briefly and go on.
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Some(address_slot) = per_address.enter(peer.ip(), limits.max_connections_per_address)
        else {
            // Over its address's share: closed at once, the slot freed.
            tracing::info!(peer = %peer.ip(), "connection closed: over its address's share of connections");
            metrics::counter!(observe::names::CONNECTIONS_CLOSED, "reason" => "address_share")
                .increment(1);
            drop(stream);
            continue;
        };
        let short = slots.available_permits() < limits.shed_below_free.min(max);
        if short {
            pressure.send_modify(|accepted| *accepted += 1);
        }
        let mut shed = pressure.subscribe();
        shed.borrow_and_update();
        let mut close = closing.subscribe();
        // Set once the connection has sent a whole request head.
        let reached = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let service = {
            let inner = hyper_util::service::TowerToHyperService::new(app.clone());
            let reached = Arc::clone(&reached);
            hyper::service::service_fn(move |request| {
                reached.store(true, std::sync::atomic::Ordering::Relaxed);
                hyper::service::Service::call(&inner, request)
            })
        };
        tokio::spawn(async move {
            let accepted = tokio::time::Instant::now();
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                // Under pressure, a new connection serves one request.
                .keep_alive(!short);
            let io = hyper_util::rt::TokioIo::new(stream);
            let connection = http.serve_connection(io, service);
            let mut connection = std::pin::pin!(connection);
            loop {
                tokio::select! {
                    // A client's errors (timeouts, resets, bad requests) end its
                    // connection only.
                    _ = connection.as_mut() => break,
                    // Shutting down: finish the request in flight, then close.
                    Ok(()) = close.changed() => {
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.as_mut().await;
                        break;
                    }
                    changed = shed.changed() => {
                        if changed.is_err() {
                            let _ = connection.as_mut().await;
                            break;
                        }
                        if reached.load(std::sync::atomic::Ordering::Relaxed) {
                            // Closes now if idle, after the current request if busy.
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.as_mut().await;
                            break;
                        }
                        // Still no whole request head after a second: a client holding a
                        // slot it does not use. Dropped (closed) while others wait.
                        if accepted.elapsed() >= SHED_STALLED_AFTER {
                            tracing::debug!(peer = %peer.ip(), "connection closed: no request head within a second while slots are short");
                            metrics::counter!(observe::names::CONNECTIONS_CLOSED, "reason" => "stalled_head")
                                .increment(1);
                            break;
                        }
                    }
                }
            }
            drop(slot);
            drop(address_slot);
        });
    }
}
