//! Acknowledge fast, process later: a receiver that hands each verified delivery to a
//! [`DeliveryQueue`] and answers 2xx only once the queue has accepted it (503 with
//! `Retry-After` when it is full), and a worker ([`process`]) that takes deliveries from
//! the queue and hands them to the handler.
//!
//! - [`MemoryQueue`]: bounded, in the receiver's memory. **What it holds is lost if the
//!   process dies**; on a clean shutdown, [`DeliveryQueue::close`] stops intake and the
//!   worker drains what was accepted.
//! - `RedisQueue` (feature `redis`): durable, on a Redis stream with a consumer group.
//!   A delivery is acknowledged in the stream after its handler succeeded; one a worker
//!   took and did not acknowledge (it failed, or its process died) is taken again by a
//!   worker after the queue's claim timeout, or at once by a worker of the same name.
//!
//! A handler runs at least once per accepted delivery, and exactly once unless its
//! process dies between the handler's success and the acknowledgement (one round trip),
//! or the handler fails. A delivery whose handler fails is tried again on the queue's
//! [`RetrySchedule`] (waits that grow, with jitter), and after its last attempt is set
//! aside as a [`DeadLetter`]: kept (bounded), listed with
//! [`DeliveryQueue::dead_letters`] and put back with [`DeliveryQueue::revive`] (the CLI's
//! `hookgen queue dead` and `hookgen queue revive` on Redis). Pair the receiver with a
//! replay guard so a replayed delivery is not queued twice.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;

use crate::receiver::{
    Busy, Delivery, DeliveryContext, Dispatch, HandlerError, SpecBinding, observe,
};

/// What a queue operation returns: boxed, so queues can be trait objects.
pub type QueueFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, QueueError>> + Send + 'a>>;

/// A verified delivery as a queue keeps it: the address it was posted to and the raw
/// body (decoded again by the worker, exactly as the receiver decoded it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The request path.
    pub path: String,
    /// The raw body.
    pub body: Bytes,
    /// The value of the channel's event header (GitHub's `X-GitHub-Event`), when the
    /// channel names its events in one: decoding reads it again.
    pub event: Option<String>,
    /// The request's headers, for the handler's [`DeliveryContext`] (names in lower
    /// case; values that are not text are not kept).
    pub headers: Vec<(String, String)>,
    /// When the receiver accepted it, in milliseconds since the Unix epoch (0: unknown).
    pub received_at_ms: u64,
    /// How many times its handler failed so far.
    pub failures: u32,
}

impl Queued {
    /// A delivery as the receiver stores it.
    fn from_delivery(context: &DeliveryContext) -> Self {
        let event = context
            .route()
            .channel
            .event_header
            .and_then(|header| context.header(header))
            .map(str::to_owned);
        let headers = context
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        let received_at_ms = context
            .received_at()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        Self {
            path: context.path().to_owned(),
            body: context.body().clone(),
            event,
            headers,
            received_at_ms,
            failures: 0,
        }
    }

    /// The context its handler gets: its headers, time and attempt as stored.
    fn context(&self, route: crate::routing::Route, id_header: &str) -> DeliveryContext {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        // Deliveries stored before headers were: the event header alone.
        if let (true, Some(header), Some(event)) = (
            self.headers.is_empty(),
            route.channel.event_header,
            self.event.as_deref(),
        ) {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(header.as_bytes()),
                http::HeaderValue::from_str(event),
            ) {
                headers.insert(name, value);
            }
        }
        let received_at = std::time::UNIX_EPOCH + Duration::from_millis(self.received_at_ms);
        DeliveryContext::new(
            route,
            self.path.clone(),
            headers,
            self.body.clone(),
            id_header,
        )
        .again(received_at, self.failures.saturating_add(1))
    }
}

/// When a queue tries a failed delivery again, and when it gives up: the wait after the
/// n-th failure is `waits[n - 1]` (the last one repeating), spread by `jitter`, until
/// `attempts` attempts in all have failed; the delivery is then a [`DeadLetter`].
/// svix retries on a similar schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h…); the default
/// here is shorter, for a receiver's own processing.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    /// The waits before attempt 2, 3, …
    pub waits: Vec<Duration>,
    /// Attempts in all before a delivery is set aside (at least 1).
    pub attempts: u32,
    /// Random spread of each wait, as a fraction (0.2 = ±20 %).
    pub jitter: f64,
}

impl Default for RetrySchedule {
    /// 8 attempts: waits of 1 s, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h; ±20 % jitter.
    fn default() -> Self {
        Self {
            waits: [1, 5, 30, 120, 600, 1800, 3600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            attempts: 8,
            jitter: 0.2,
        }
    }
}

impl RetrySchedule {
    /// What follows a delivery's `failures`-th failure: a wait, or `None` to give up.
    pub fn after_failure(&self, failures: u32) -> Option<Duration> {
        if failures >= self.attempts.max(1) {
            return None;
        }
        let index = usize::try_from(failures.saturating_sub(1)).unwrap_or(usize::MAX);
        let base = self
            .waits
            .get(index)
            .or(self.waits.last())
            .copied()
            .unwrap_or_default();
        let spread = self.jitter.clamp(0.0, 1.0) * (crate::unique::unit_random() * 2.0 - 1.0);
        Some(base.mul_f64((1.0 + spread).max(0.0)))
    }
}

/// A delivery set aside after its last attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Which one, for [`DeliveryQueue::revive`].
    pub ticket: Ticket,
    /// The delivery (its `failures` count included).
    pub queued: Queued,
    /// Why its last attempt failed.
    pub reason: String,
}

/// What became of a failed delivery given back to its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retried {
    /// It will be tried again after this wait.
    After(Duration),
    /// Its attempts are spent: it is a [`DeadLetter`] now.
    Dead,
}

/// Which queued delivery a worker holds, for [`DeliveryQueue::ack`] and
/// [`DeliveryQueue::retry`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket(pub String);

/// Why a queue did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue holds as many deliveries as it may.
    #[error("the queue is full")]
    Full,
    /// The queue was closed (the receiver is shutting down).
    #[error("the queue is closed")]
    Closed,
    /// The queue's store could not answer.
    #[error("the queue is unavailable: {0}")]
    Unavailable(String),
}

/// Where a queueing receiver puts verified deliveries, and its worker takes them.
pub trait DeliveryQueue: Send + Sync + 'static {
    /// Stores `delivery`; `Ok` only once it is stored as durably as this queue stores.
    fn push(&self, delivery: Queued) -> QueueFuture<'_, ()>;

    /// The next delivery to process, waiting for one; `None` once the queue is closed
    /// and holds nothing a worker could take now.
    fn next(&self) -> QueueFuture<'_, Option<(Ticket, Queued)>>;

    /// Forgets a delivery whose handler succeeded.
    fn ack(&self, ticket: Ticket) -> QueueFuture<'_, ()>;

    /// Gives back a delivery whose handler failed (for `reason`): it is tried again on
    /// the queue's [`RetrySchedule`], or set aside as a [`DeadLetter`] after its last
    /// attempt.
    fn retry(&self, ticket: Ticket, reason: &str) -> QueueFuture<'_, Retried>;

    /// The deliveries set aside, oldest first, at most `limit`.
    fn dead_letters(&self, limit: usize) -> QueueFuture<'_, Vec<DeadLetter>>;

    /// Puts a dead letter back in the queue, with its attempts renewed; `false` when no
    /// dead letter has that ticket.
    fn revive(&self, ticket: Ticket) -> QueueFuture<'_, bool>;

    /// Stops intake ([`push`](Self::push) fails with [`QueueError::Closed`]) and wakes
    /// waiting workers, which drain what is left.
    fn close(&self);

    /// How many deliveries it holds and how old the oldest is (for the worker's
    /// `hookgen_queue_depth` and `hookgen_queue_oldest_age_seconds` gauges).
    fn depth(&self) -> QueueFuture<'_, Depth>;
}

/// What a queue holds: deliveries waiting, being handled or waiting to be tried again
/// (dead letters apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Depth {
    /// How many.
    pub deliveries: usize,
    /// How long ago the oldest was accepted (`None` when empty or unknown).
    pub oldest: Option<Duration>,
}

/// The age of a delivery accepted at `received_at_ms` (Unix milliseconds; 0: unknown).
fn age(received_at_ms: u64) -> Option<Duration> {
    (received_at_ms > 0).then(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH + Duration::from_millis(received_at_ms))
            .unwrap_or_default()
    })
}

/// The handler service of a queueing receiver: stores each delivery and succeeds once
/// the queue has it; a full queue is answered 503 with `Retry-After`.
pub struct Enqueue {
    queue: Arc<dyn DeliveryQueue>,
    retry_after: Duration,
}

impl Enqueue {
    /// Enqueues into `queue`; a full one asks senders to come back after `retry_after`.
    pub fn new(queue: Arc<dyn DeliveryQueue>, retry_after: Duration) -> Self {
        Self { queue, retry_after }
    }
}

impl Clone for Enqueue {
    fn clone(&self) -> Self {
        Self {
            queue: Arc::clone(&self.queue),
            retry_after: self.retry_after,
        }
    }
}

impl<M: Send + 'static> tower_service::Service<Delivery<M>> for Enqueue {
    type Response = ();
    type Error = HandlerError;
    type Future = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), HandlerError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, delivery: Delivery<M>) -> Self::Future {
        let queue = Arc::clone(&self.queue);
        let retry_after = self.retry_after;
        // Stored whether it decoded or not: the worker decodes it again and hands an
        // undecodable one to the handler's `undecodable`, as the direct path does.
        let queued = Queued::from_delivery(&delivery.context);
        Box::pin(async move {
            match queue.push(queued).await {
                Ok(()) => Ok(()),
                Err(QueueError::Full | QueueError::Closed) => Err(Box::new(Busy {
                    reason: "the delivery queue is full",
                    retry_after,
                })
                    as HandlerError),
                Err(QueueError::Unavailable(_)) => Err(Box::new(Busy {
                    reason: "the delivery queue is unavailable",
                    retry_after,
                }) as HandlerError),
            }
        })
    }
}

/// What a worker did, counted since it started.
#[derive(Debug, Default)]
pub struct WorkerStats {
    processed: AtomicU64,
    failed: AtomicU64,
    dead: AtomicU64,
    undecodable: AtomicU64,
    unavailable: AtomicU64,
}

impl WorkerStats {
    /// Deliveries whose handler succeeded.
    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    /// Handler failures (each delivery is given back, and tried again on the queue's
    /// schedule or set aside).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Deliveries set aside as dead letters after their last attempt.
    pub fn dead(&self) -> u64 {
        self.dead.load(Ordering::Relaxed)
    }

    /// Queued deliveries that no longer decode (dropped: a queue shared with another
    /// spec, or a spec changed under queued deliveries).
    pub fn undecodable(&self) -> u64 {
        self.undecodable.load(Ordering::Relaxed)
    }

    /// Times the queue could not answer (the worker waited and went on).
    pub fn unavailable(&self) -> u64 {
        self.unavailable.load(Ordering::Relaxed)
    }
}

/// How long a worker waits before asking a queue that could not answer again.
const UNAVAILABLE_PAUSE: Duration = Duration::from_secs(1);

/// Takes deliveries from `queue` one at a time and hands them to `handler`, until the
/// queue is closed and drained. A handler failure gives the delivery back to the queue,
/// which tries it again later or sets it aside (never at once: no hot loop).
/// A queue that cannot answer (its store is down) is waited for, a second at a time
/// (counted in [`WorkerStats::unavailable`]): a delivery whose acknowledgement was lost
/// stays in the queue and is processed again (at least once).
#[doc(hidden)]
pub async fn process<M: Send + 'static>(
    queue: Arc<dyn DeliveryQueue>,
    binding: SpecBinding<M>,
    handler: Arc<dyn Dispatch<M>>,
    stats: Arc<WorkerStats>,
) {
    let outage = |stats: &WorkerStats| {
        metrics::counter!(observe::names::QUEUE_UNAVAILABLE, "spec" => binding.spec).increment(1);
        tracing::warn!(spec = binding.spec, "the delivery queue is unavailable");
        stats.unavailable.fetch_add(1, Ordering::Relaxed)
    };
    let mut gauged: Option<tokio::time::Instant> = None;
    loop {
        if gauged.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            gauged = Some(tokio::time::Instant::now());
            if let Ok(depth) = queue.depth().await {
                metrics::gauge!(observe::names::QUEUE_DEPTH, "spec" => binding.spec)
                    .set(depth.deliveries as f64);
                metrics::gauge!(observe::names::QUEUE_OLDEST_AGE, "spec" => binding.spec)
                    .set(depth.oldest.unwrap_or_default().as_secs_f64());
            }
        }
        let (ticket, queued) = match queue.next().await {
            Ok(Some(next)) => next,
            Ok(None) => return,
            Err(_) => {
                outage(&stats);
                tokio::time::sleep(UNAVAILABLE_PAUSE).await;
                continue;
            }
        };
        let waited = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH + Duration::from_millis(queued.received_at_ms))
            .unwrap_or_default();
        if queued.received_at_ms > 0 {
            metrics::histogram!(observe::names::QUEUE_WAIT, "spec" => binding.spec)
                .record(waited.as_secs_f64());
        }
        let Some(route) = (binding.route)(&queued.path) else {
            // Stored at an address no channel of this spec has (a queue shared with
            // another spec, or the spec changed): no handler can take it.
            stats.undecodable.fetch_add(1, Ordering::Relaxed);
            tracing::error!(spec = binding.spec, path = %observe::printable(&queued.path), "queued delivery at an address of no channel: set aside");
            let settled = queue.retry(ticket, "no channel at this address").await;
            if settled.is_err() {
                outage(&stats);
            }
            continue;
        };
        let context = queued.context(route, binding.scheme.id_header);
        let message = (binding.decode_channel)(
            context.route().template(),
            context.headers(),
            context.body(),
        );
        if message.is_err() {
            stats.undecodable.fetch_add(1, Ordering::Relaxed);
        }
        let name = match &message {
            Ok(message) => (binding.message_name)(message).unwrap_or("unknown"),
            Err(error) => error.message().unwrap_or("undecodable"),
        };
        let span = tracing::info_span!(
            "webhook_job",
            spec = binding.spec,
            route = context.route().template(),
            delivery_id = context
                .delivery_id()
                .map(|id| observe::printable(id).into_owned()),
            message = name,
            attempt = context.attempt(),
        );
        let started = std::time::Instant::now();
        let handled = {
            use tracing::Instrument as _;
            handler
                .dispatch(context, message)
                .instrument(span.clone())
                .await
        };
        let _entered = span.enter();
        let settled = match handled {
            Ok(()) => {
                observe::handled(binding.spec, name, "ok", started.elapsed());
                stats.processed.fetch_add(1, Ordering::Relaxed);
                metrics::counter!(observe::names::QUEUE_PROCESSED, "spec" => binding.spec, "result" => "ok").increment(1);
                tracing::info!("queued delivery handled");
                queue.ack(ticket).await
            }
            Err(error) => {
                observe::handled(binding.spec, name, "error", started.elapsed());
                stats.failed.fetch_add(1, Ordering::Relaxed);
                let reason = error.to_string();
                match queue.retry(ticket, &reason).await {
                    Ok(Retried::Dead) => {
                        stats.dead.fetch_add(1, Ordering::Relaxed);
                        metrics::counter!(observe::names::QUEUE_PROCESSED, "spec" => binding.spec, "result" => "dead").increment(1);
                        tracing::error!(detail = %observe::printable(&reason), "queued delivery failed its last attempt: kept as a dead letter");
                        Ok(())
                    }
                    Ok(Retried::After(wait)) => {
                        metrics::counter!(observe::names::QUEUE_PROCESSED, "spec" => binding.spec, "result" => "retry").increment(1);
                        tracing::warn!(detail = %observe::printable(&reason), retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "queued delivery failed: tried again later");
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if settled.is_err() {
            outage(&stats);
        }
    }
}

/// A bounded queue in the receiver's memory: fast, and **lost if the process dies**.
/// Deliveries being processed or waiting to be tried again count towards the capacity
/// until acknowledged; it keeps as many dead letters, the oldest forgotten first
/// (counted in [`MemoryQueue::dead_letters_dropped`]).
pub struct MemoryQueue {
    capacity: usize,
    schedule: RetrySchedule,
    state: Mutex<MemoryState>,
    ready: tokio::sync::Notify,
}

#[derive(Default)]
struct MemoryState {
    waiting: VecDeque<(u64, Queued)>,
    /// Failed deliveries by when they may be taken again.
    later: std::collections::BTreeMap<(tokio::time::Instant, u64), Queued>,
    taken: HashMap<u64, Queued>,
    dead: VecDeque<(u64, Queued, String)>,
    dead_dropped: u64,
    next_ticket: u64,
    closed: bool,
}

impl MemoryState {
    fn held(&self) -> usize {
        self.waiting.len() + self.later.len() + self.taken.len()
    }

    /// Moves the deliveries whose wait is over to the back of the waiting line.
    fn promote(&mut self, now: tokio::time::Instant) {
        while let Some(entry) = self.later.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, ticket), queued) = entry.remove_entry();
            self.waiting.push_back((ticket, queued));
        }
    }
}

impl MemoryQueue {
    /// A queue holding at most `capacity` deliveries (at least one), retrying on the
    /// default [`RetrySchedule`].
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            schedule: RetrySchedule::default(),
            state: Mutex::default(),
            ready: tokio::sync::Notify::new(),
        }
    }

    /// Retries failed deliveries on `schedule`.
    pub fn with_retries(mut self, schedule: RetrySchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Deliveries held now, waiting, waiting to be tried again or being processed.
    pub fn len(&self) -> usize {
        self.lock().held()
    }

    /// Whether the queue holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Dead letters forgotten because more than `capacity` were kept.
    pub fn dead_letters_dropped(&self) -> u64 {
        self.lock().dead_dropped
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        // Nothing that holds the lock panics.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ticket(text: &str) -> Option<u64> {
        text.parse().ok()
    }
}

impl DeliveryQueue for MemoryQueue {
    fn push(&self, delivery: Queued) -> QueueFuture<'_, ()> {
        let result = {
            let mut state = self.lock();
            if state.closed {
                Err(QueueError::Closed)
            } else if state.held() >= self.capacity {
                Err(QueueError::Full)
            } else {
                let ticket = state.next_ticket;
                state.next_ticket += 1;
                state.waiting.push_back((ticket, delivery));
                Ok(())
            }
        };
        if result.is_ok() {
            self.ready.notify_one();
        }
        Box::pin(std::future::ready(result))
    }

    fn next(&self) -> QueueFuture<'_, Option<(Ticket, Queued)>> {
        Box::pin(async move {
            loop {
                // Registered before the check, so a push in between is not missed.
                let notified = self.ready.notified();
                let mut notified = std::pin::pin!(notified);
                notified.as_mut().enable();
                let due = {
                    let mut state = self.lock();
                    state.promote(tokio::time::Instant::now());
                    if let Some((ticket, queued)) = state.waiting.pop_front() {
                        state.taken.insert(ticket, queued.clone());
                        return Ok(Some((Ticket(ticket.to_string()), queued)));
                    }
                    // Closed: what waits to be tried again is tried at once.
                    if state.closed {
                        match state.later.pop_first() {
                            Some(((_, ticket), queued)) => {
                                state.taken.insert(ticket, queued.clone());
                                return Ok(Some((Ticket(ticket.to_string()), queued)));
                            }
                            None => return Ok(None),
                        }
                    }
                    state.later.first_key_value().map(|((due, _), _)| *due)
                };
                match due {
                    Some(due) => {
                        let _ = tokio::time::timeout_at(due, notified).await;
                    }
                    None => notified.await,
                }
            }
        })
    }

    fn ack(&self, ticket: Ticket) -> QueueFuture<'_, ()> {
        if let Some(ticket) = Self::ticket(&ticket.0) {
            self.lock().taken.remove(&ticket);
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn retry(&self, ticket: Ticket, reason: &str) -> QueueFuture<'_, Retried> {
        let retried = {
            let mut state = self.lock();
            let taken = Self::ticket(&ticket.0).and_then(|t| Some((t, state.taken.remove(&t)?)));
            match taken {
                None => Retried::Dead,
                Some((ticket, mut queued)) => {
                    queued.failures = queued.failures.saturating_add(1);
                    match self.schedule.after_failure(queued.failures) {
                        Some(wait) => {
                            let due = tokio::time::Instant::now() + wait;
                            state.later.insert((due, ticket), queued);
                            Retried::After(wait)
                        }
                        None => {
                            if state.dead.len() >= self.capacity {
                                state.dead.pop_front();
                                state.dead_dropped += 1;
                            }
                            state.dead.push_back((ticket, queued, reason.to_owned()));
                            Retried::Dead
                        }
                    }
                }
            }
        };
        self.ready.notify_one();
        Box::pin(std::future::ready(Ok(retried)))
    }

    fn dead_letters(&self, limit: usize) -> QueueFuture<'_, Vec<DeadLetter>> {
        let letters = self
            .lock()
            .dead
            .iter()
            .take(limit)
            .map(|(ticket, queued, reason)| DeadLetter {
                ticket: Ticket(ticket.to_string()),
                queued: queued.clone(),
                reason: reason.clone(),
            })
            .collect();
        Box::pin(std::future::ready(Ok(letters)))
    }

    fn revive(&self, ticket: Ticket) -> QueueFuture<'_, bool> {
        let revived = {
            let mut state = self.lock();
            let wanted = Self::ticket(&ticket.0);
            match state.dead.iter().position(|(t, ..)| Some(*t) == wanted) {
                Some(i) if state.held() < self.capacity && !state.closed => {
                    let (ticket, mut queued, _) =
                        state.dead.remove(i).unwrap_or_else(|| unreachable!());
                    queued.failures = 0;
                    state.waiting.push_back((ticket, queued));
                    Ok(true)
                }
                Some(_) if state.closed => Err(QueueError::Closed),
                Some(_) => Err(QueueError::Full),
                None => Ok(false),
            }
        };
        self.ready.notify_one();
        Box::pin(std::future::ready(revived))
    }

    fn depth(&self) -> QueueFuture<'_, Depth> {
        let state = self.lock();
        let oldest = state
            .waiting
            .iter()
            .map(|(_, q)| q)
            .chain(state.later.values())
            .chain(state.taken.values())
            .filter_map(|q| age(q.received_at_ms))
            .max();
        let depth = Depth {
            deliveries: state.held(),
            oldest,
        };
        Box::pin(async move { Ok(depth) })
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_waiters();
    }
}

#[cfg(feature = "redis")]
mod redis_queue;
#[cfg(feature = "redis")]
pub use crate::redis_connection::ServerCheck;
#[cfg(feature = "redis")]
pub use redis_queue::RedisQueue;

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(n: u8) -> Queued {
        Queued {
            path: "/hooks".into(),
            body: Bytes::from(vec![n]),
            event: None,
            headers: Vec::new(),
            received_at_ms: 0,
            failures: 0,
        }
    }

    /// A delivery accepted `ago` before now.
    fn accepted(n: u8, ago: Duration) -> Queued {
        let at = std::time::SystemTime::now() - ago;
        Queued {
            received_at_ms: at
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64,
            ..queued(n)
        }
    }

    #[tokio::test]
    async fn the_depth_counts_what_is_held_and_ages_the_oldest() {
        let queue = MemoryQueue::new(8);
        assert_eq!(queue.depth().await.unwrap(), Depth::default());
        queue
            .push(accepted(1, Duration::from_secs(30)))
            .await
            .unwrap();
        queue
            .push(accepted(2, Duration::from_secs(5)))
            .await
            .unwrap();
        let depth = queue.depth().await.unwrap();
        assert_eq!(depth.deliveries, 2);
        let oldest = depth.oldest.unwrap();
        assert!(
            oldest >= Duration::from_secs(30) && oldest < Duration::from_secs(40),
            "{oldest:?}"
        );
        // Taken counts until acknowledged.
        let (ticket, _) = queue.next().await.unwrap().unwrap();
        assert_eq!(queue.depth().await.unwrap().deliveries, 2);
        queue.ack(ticket).await.unwrap();
        let depth = queue.depth().await.unwrap();
        assert_eq!(depth.deliveries, 1);
        assert!(depth.oldest.unwrap() < Duration::from_secs(15));
    }

    #[tokio::test]
    async fn deliveries_come_out_in_order_and_count_until_acknowledged() {
        let queue = MemoryQueue::new(2);
        queue.push(queued(1)).await.unwrap();
        queue.push(queued(2)).await.unwrap();
        assert_eq!(queue.push(queued(3)).await, Err(QueueError::Full));
        let (first, one) = queue.next().await.unwrap().unwrap();
        assert_eq!(one, queued(1));
        // Taken but not acknowledged: still held.
        assert_eq!(queue.push(queued(3)).await, Err(QueueError::Full));
        queue.ack(first).await.unwrap();
        queue.push(queued(3)).await.unwrap();
        let (second, two) = queue.next().await.unwrap().unwrap();
        assert_eq!(two, queued(2));
        // A failed delivery waits its turn on the schedule, behind what is ready.
        assert!(matches!(
            queue.retry(second, "down").await.unwrap(),
            Retried::After(_)
        ));
        assert_eq!(queue.next().await.unwrap().unwrap().1, queued(3));
        let again = queue.next().await.unwrap().unwrap().1;
        assert_eq!((again.body, again.failures), (queued(2).body, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_delivery_backs_off_then_is_set_aside_and_can_be_revived() {
        let schedule = RetrySchedule {
            waits: vec![Duration::from_secs(1), Duration::from_secs(10)],
            attempts: 4,
            jitter: 0.0,
        };
        let queue = MemoryQueue::new(4).with_retries(schedule);
        queue.push(queued(1)).await.unwrap();
        let started = tokio::time::Instant::now();
        let mut taken_at = Vec::new();
        loop {
            let (ticket, _) = queue.next().await.unwrap().unwrap();
            taken_at.push(started.elapsed().as_secs());
            if queue.retry(ticket, "database unavailable").await.unwrap() == Retried::Dead {
                break;
            }
        }
        // Four attempts: at once, after 1 s, then 10 s, then 10 s again.
        assert_eq!(taken_at, [0, 1, 11, 21]);
        assert!(queue.is_empty());
        let dead = queue.dead_letters(10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(
            (dead[0].queued.failures, dead[0].reason.as_str()),
            (4, "database unavailable")
        );
        assert!(queue.revive(dead[0].ticket.clone()).await.unwrap());
        assert!(!queue.revive(dead[0].ticket.clone()).await.unwrap());
        let (_, revived) = queue.next().await.unwrap().unwrap();
        assert_eq!((revived.body, revived.failures), (queued(1).body, 0));
    }

    #[test]
    fn waits_are_spread_by_the_jitter_and_end_with_the_attempts() {
        let schedule = RetrySchedule::default();
        for failures in 1..schedule.attempts {
            let wait = schedule.after_failure(failures).unwrap();
            let base = schedule.waits[(failures as usize - 1).min(schedule.waits.len() - 1)];
            assert!(
                wait >= base.mul_f64(0.8) && wait <= base.mul_f64(1.2),
                "{wait:?}"
            );
        }
        assert_eq!(schedule.after_failure(schedule.attempts), None);
        let waits: std::collections::HashSet<Duration> =
            (0..50).filter_map(|_| schedule.after_failure(3)).collect();
        assert!(waits.len() > 1, "no jitter");
    }

    #[tokio::test]
    async fn a_closed_queue_refuses_intake_and_drains() {
        let queue = Arc::new(MemoryQueue::new(10));
        queue.push(queued(1)).await.unwrap();
        queue.close();
        assert_eq!(queue.push(queued(2)).await, Err(QueueError::Closed));
        assert_eq!(queue.next().await.unwrap().unwrap().1, queued(1));
        assert_eq!(queue.next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_waiting_worker_wakes_for_a_push_and_for_close() {
        let queue = Arc::new(MemoryQueue::new(10));
        let waiting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.next().await.unwrap().map(|(_, q)| q) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        queue.push(queued(7)).await.unwrap();
        assert_eq!(waiting.await.unwrap(), Some(queued(7)));
        let waiting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.next().await.unwrap().map(|(_, q)| q) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        queue.close();
        assert_eq!(waiting.await.unwrap(), None);
    }
}
