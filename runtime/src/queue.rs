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
//! or the handler fails (it runs again). Pair the receiver with a replay guard so a
//! replayed delivery is not queued twice.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;

use crate::decode::Headers;
use crate::receiver::{Busy, Delivery, Dispatch, HandlerError, SpecBinding};

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

    /// Gives back a delivery whose handler failed, to be processed again later.
    fn retry(&self, ticket: Ticket) -> QueueFuture<'_, ()>;

    /// Stops intake ([`push`](Self::push) fails with [`QueueError::Closed`]) and wakes
    /// waiting workers, which drain what is left.
    fn close(&self);
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
        let event = delivery
            .route
            .channel
            .event_header
            .and_then(|header| delivery.headers.header(header))
            .map(str::to_owned);
        let queued = Queued {
            path: delivery.path,
            body: delivery.body,
            event,
        };
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
    undecodable: AtomicU64,
    unavailable: AtomicU64,
}

impl WorkerStats {
    /// Deliveries whose handler succeeded.
    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    /// Handler failures (each delivery is given back and processed again).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
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
/// queue is closed and drained. A handler failure gives the delivery back to the queue.
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
    let outage = |stats: &WorkerStats| stats.unavailable.fetch_add(1, Ordering::Relaxed);
    loop {
        let (ticket, queued) = match queue.next().await {
            Ok(Some(next)) => next,
            Ok(None) => return,
            Err(_) => {
                outage(&stats);
                tokio::time::sleep(UNAVAILABLE_PAUSE).await;
                continue;
            }
        };
        let decoded = (binding.route)(&queued.path).and_then(|route| {
            let headers: Vec<(&str, &str)> = route
                .channel
                .event_header
                .zip(queued.event.as_deref())
                .into_iter()
                .collect();
            (binding.decode_channel)(route.template(), &headers, &queued.body)
                .ok()
                .map(|message| (route, message))
        });
        let settled = match decoded {
            None => {
                stats.undecodable.fetch_add(1, Ordering::Relaxed);
                queue.ack(ticket).await
            }
            Some((route, message)) => match handler.dispatch(route, message).await {
                Ok(()) => {
                    stats.processed.fetch_add(1, Ordering::Relaxed);
                    queue.ack(ticket).await
                }
                Err(_) => {
                    stats.failed.fetch_add(1, Ordering::Relaxed);
                    queue.retry(ticket).await
                }
            },
        };
        if settled.is_err() {
            outage(&stats);
        }
    }
}

/// A bounded queue in the receiver's memory: fast, and **lost if the process dies**.
/// Deliveries being processed count towards the capacity until acknowledged.
pub struct MemoryQueue {
    capacity: usize,
    state: Mutex<MemoryState>,
    ready: tokio::sync::Notify,
}

#[derive(Default)]
struct MemoryState {
    waiting: VecDeque<(u64, Queued)>,
    taken: HashMap<u64, Queued>,
    next_ticket: u64,
    closed: bool,
}

impl MemoryQueue {
    /// A queue holding at most `capacity` deliveries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            state: Mutex::default(),
            ready: tokio::sync::Notify::new(),
        }
    }

    /// Deliveries held now, waiting or being processed.
    pub fn len(&self) -> usize {
        let state = self.lock();
        state.waiting.len() + state.taken.len()
    }

    /// Whether the queue holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
            } else if state.waiting.len() + state.taken.len() >= self.capacity {
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
                {
                    let mut state = self.lock();
                    if let Some((ticket, queued)) = state.waiting.pop_front() {
                        state.taken.insert(ticket, queued.clone());
                        return Ok(Some((Ticket(ticket.to_string()), queued)));
                    }
                    if state.closed {
                        return Ok(None);
                    }
                }
                notified.await;
            }
        })
    }

    fn ack(&self, ticket: Ticket) -> QueueFuture<'_, ()> {
        if let Some(ticket) = Self::ticket(&ticket.0) {
            self.lock().taken.remove(&ticket);
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn retry(&self, ticket: Ticket) -> QueueFuture<'_, ()> {
        {
            let mut state = self.lock();
            if let Some(ticket) = Self::ticket(&ticket.0) {
                if let Some(queued) = state.taken.remove(&ticket) {
                    state.waiting.push_back((ticket, queued));
                }
            }
        }
        self.ready.notify_one();
        Box::pin(std::future::ready(Ok(())))
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_waiters();
    }
}

#[cfg(feature = "redis")]
mod redis_queue;
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
        }
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
        // A failed delivery goes to the back.
        queue.retry(second).await.unwrap();
        assert_eq!(queue.next().await.unwrap().unwrap().1, queued(3));
        assert_eq!(queue.next().await.unwrap().unwrap().1, queued(2));
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
