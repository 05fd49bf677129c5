//! Replay protection: each delivery is handed to the handler once, however often it
//! arrives. A signature proves who sent a body, not that it is the first time: within a
//! timestamp tolerance a captured delivery verifies again, and a scheme without a
//! timestamp verifies it forever.
//!
//! The receiver identifies a delivery by [`SignatureScheme::replay_key`]: the message id
//! when the signature covers one (Standard Webhooks `webhook-id`, the same on every retry
//! of an event), otherwise a digest of everything signed. Neither can be changed without
//! breaking the signature. A [`ReplayGuard`] remembers keys in three states:
//!
//! - **claimed** while a handler runs, for a short lease: a copy arriving meanwhile is
//!   answered 503 with `Retry-After`, so the provider tries again later and nothing is
//!   lost if the first attempt fails;
//! - **done** once the handler succeeded, for the replay window (twice the scheme's
//!   tolerance, or [`ReplayConfig::window`] for schemes without a timestamp): a copy is
//!   answered 204 without calling the handler, as for a delivery already processed;
//! - forgotten when the handler failed, so the provider's retry is processed.
//!
//! [`MemoryGuard`] serves one receiver process; `RedisGuard` (feature `redis`) is shared
//! by receivers behind a load balancer.
//!
//! [`SignatureScheme::replay_key`]: crate::SignatureScheme::replay_key

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a guard's operations return: boxed, so guards can be trait objects.
pub type GuardFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, GuardError>> + Send + 'a>>;

/// The key of one delivery (see the module docs): 32 bytes, whatever the id's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryKey(pub [u8; 32]);

impl DeliveryKey {
    /// The key as lowercase hex (for stores keyed by text).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// What a guard knew of a delivery when it was claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not seen (or forgotten): the caller now holds it and must [`complete`] or
    /// [`release`] it.
    ///
    /// [`complete`]: ReplayGuard::complete
    /// [`release`]: ReplayGuard::release
    Fresh,
    /// Another copy is being handled right now.
    InProgress,
    /// Already handled successfully: a replay.
    Done,
}

/// The guard's store could not answer (Redis down, a timeout).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the replay guard is unavailable: {0}")]
pub struct GuardError(pub String);

/// Remembers which deliveries were handled. Implementations must make [`claim`] atomic:
/// of two copies claimed at once, exactly one is [`Claim::Fresh`].
///
/// [`claim`]: ReplayGuard::claim
pub trait ReplayGuard: Send + Sync + 'static {
    /// Claims `key` for `lease` (how long a handler may take before the claim lapses).
    fn claim(&self, key: DeliveryKey, lease: Duration) -> GuardFuture<'_, Claim>;

    /// Marks a claimed `key` done, remembered for `window`.
    fn complete(&self, key: DeliveryKey, window: Duration) -> GuardFuture<'_, ()>;

    /// Forgets a claimed `key` (its handler failed; the provider will retry).
    fn release(&self, key: DeliveryKey) -> GuardFuture<'_, ()>;
}

/// What a receiver does when its guard cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenUnavailable {
    /// Fail closed (the default): answer 503 with `Retry-After`; the provider retries and
    /// no delivery is handled twice or lost.
    #[default]
    Refuse,
    /// Fail open: hand the delivery to the handler unguarded (counted in
    /// [`ReplayStats::unguarded`]); for handlers that are idempotent anyway.
    Process,
}

/// How a receiver uses its guard.
#[derive(Clone)]
pub struct ReplayConfig {
    /// The guard.
    pub guard: std::sync::Arc<dyn ReplayGuard>,
    /// How long handled deliveries are remembered when the scheme checks no timestamp
    /// (default 24 hours); with a tolerance, twice the tolerance is enough and is used.
    pub window: Duration,
    /// How long a handler may hold a claim (default 60 s).
    pub lease: Duration,
    /// How long the guard may take to answer before it counts as unavailable (default 2 s).
    pub timeout: Duration,
    /// What to do when the guard is unavailable.
    pub when_unavailable: WhenUnavailable,
    /// The counters, shared with whoever holds a clone of this configuration.
    pub stats: std::sync::Arc<ReplayStats>,
}

impl ReplayConfig {
    /// Guards deliveries with `guard`, with the defaults above.
    pub fn new(guard: impl ReplayGuard) -> Self {
        Self {
            guard: std::sync::Arc::new(guard),
            window: Duration::from_secs(24 * 60 * 60),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(2),
            when_unavailable: WhenUnavailable::Refuse,
            stats: std::sync::Arc::default(),
        }
    }

    /// Sets how long deliveries are remembered for schemes without a timestamp.
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Sets how long a handler may hold a claim.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets what to do when the guard is unavailable.
    pub fn when_unavailable(mut self, choice: WhenUnavailable) -> Self {
        self.when_unavailable = choice;
        self
    }

    /// The window for a scheme with `tolerance_seconds`: a delivery stamped `t` verifies
    /// from `t - tolerance` to `t + tolerance`, so twice the tolerance from the first
    /// arrival covers every replay that could still verify.
    pub fn window_for(&self, tolerance_seconds: Option<u64>) -> Duration {
        match tolerance_seconds {
            Some(t) => Duration::from_secs(t.saturating_mul(2)),
            None => self.window,
        }
    }
}

/// What the guard saw, counted since the receiver started.
#[derive(Debug, Default)]
pub struct ReplayStats {
    replays: AtomicU64,
    in_progress: AtomicU64,
    unavailable: AtomicU64,
    unguarded: AtomicU64,
}

impl ReplayStats {
    /// Copies of handled deliveries, answered 204 without calling the handler.
    pub fn replays(&self) -> u64 {
        self.replays.load(Ordering::Relaxed)
    }

    /// Copies that arrived while another was being handled (answered 503).
    pub fn in_progress(&self) -> u64 {
        self.in_progress.load(Ordering::Relaxed)
    }

    /// Times the guard could not answer.
    pub fn unavailable(&self) -> u64 {
        self.unavailable.load(Ordering::Relaxed)
    }

    /// Deliveries handled without the guard ([`WhenUnavailable::Process`]).
    pub fn unguarded(&self) -> u64 {
        self.unguarded.load(Ordering::Relaxed)
    }

    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn count(&self, counter: Counter) {
        let field = match counter {
            Counter::Replay => &self.replays,
            Counter::InProgress => &self.in_progress,
            Counter::Unavailable => &self.unavailable,
            Counter::Unguarded => &self.unguarded,
        };
        field.fetch_add(1, Ordering::Relaxed);
    }
}

/// One of [`ReplayStats`]' counters.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "tower"), allow(dead_code))]
pub(crate) enum Counter {
    Replay,
    InProgress,
    Unavailable,
    Unguarded,
}

/// A bounded in-memory guard, for a receiver running as one process. What it remembers
/// is lost when the process ends, and at capacity the oldest entry is forgotten first
/// (counted in [`MemoryGuard::evicted`]): size it for the deliveries of one window.
#[derive(Debug)]
pub struct MemoryGuard {
    capacity: usize,
    state: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    entries: HashMap<DeliveryKey, Entry>,
    /// Keys in the order their entries were written, with that entry's expiry; an item
    /// whose entry was rewritten or removed since is skipped when it reaches the front.
    order: VecDeque<(DeliveryKey, Instant)>,
    evicted: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    done: bool,
    expires: Instant,
}

impl MemoryGuard {
    /// A guard remembering at most `capacity` deliveries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            state: Mutex::default(),
        }
    }

    /// Entries forgotten before they expired because the guard was full.
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }

    /// Entries held now (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the guard holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // Nothing that holds the lock panics; were it poisoned, the map and the queue
        // would still be consistent enough to use (a stale queue item is skipped).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for MemoryGuard {
    /// Room for 100 000 deliveries (about 17 MiB, measured by `examples/replay_memory.rs`).
    fn default() -> Self {
        Self::new(100_000)
    }
}

impl Memory {
    /// Writes `key`'s entry, making room first.
    fn write(&mut self, capacity: usize, key: DeliveryKey, done: bool, ttl: Duration) {
        let now = Instant::now();
        let expires = now
            .checked_add(ttl)
            .unwrap_or(now + Duration::from_secs(1 << 32));
        self.sweep(now, capacity, &key);
        self.entries.insert(key, Entry { done, expires });
        self.order.push_back((key, expires));
    }

    /// Drops expired entries from the front, and while there is no room for `incoming`,
    /// the oldest live ones.
    fn sweep(&mut self, now: Instant, capacity: usize, incoming: &DeliveryKey) {
        while let Some(&(key, expires)) = self.order.front() {
            let current = self.entries.get(&key).is_some_and(|e| e.expires == expires);
            let full = self.entries.len() >= capacity && !self.entries.contains_key(incoming);
            if current && expires > now && !full {
                break;
            }
            self.order.pop_front();
            if current {
                self.entries.remove(&key);
                if expires > now {
                    self.evicted += 1;
                }
            }
        }
    }
}

impl ReplayGuard for MemoryGuard {
    fn claim(&self, key: DeliveryKey, lease: Duration) -> GuardFuture<'_, Claim> {
        let now = Instant::now();
        // Checked and written under one lock: of two claims, one is fresh.
        let mut memory = self.lock();
        let claim = match memory.entries.get(&key).filter(|e| e.expires > now) {
            Some(e) if e.done => Claim::Done,
            Some(_) => Claim::InProgress,
            None => {
                memory.write(self.capacity, key, false, lease);
                Claim::Fresh
            }
        };
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn complete(&self, key: DeliveryKey, window: Duration) -> GuardFuture<'_, ()> {
        self.lock().write(self.capacity, key, true, window);
        Box::pin(std::future::ready(Ok(())))
    }

    fn release(&self, key: DeliveryKey) -> GuardFuture<'_, ()> {
        self.lock().entries.remove(&key);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(feature = "redis")]
mod redis_guard;
#[cfg(feature = "redis")]
pub use redis_guard::RedisGuard;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> DeliveryKey {
        DeliveryKey([n; 32])
    }

    fn claim(guard: &MemoryGuard, n: u8, lease: Duration) -> Claim {
        let mut future = guard.claim(key(n), lease);
        // The memory guard answers at once.
        let waker = std::task::Waker::noop();
        match future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker))
        {
            std::task::Poll::Ready(result) => result.unwrap(),
            std::task::Poll::Pending => unreachable!("the memory guard never waits"),
        }
    }

    fn run(future: GuardFuture<'_, ()>) {
        let mut future = future;
        let waker = std::task::Waker::noop();
        assert!(
            future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker))
                .is_ready()
        );
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_delivery_is_fresh_then_in_progress_then_done_or_forgotten() {
        let guard = MemoryGuard::new(10);
        assert_eq!(claim(&guard, 1, MINUTE), Claim::Fresh);
        assert_eq!(claim(&guard, 1, MINUTE), Claim::InProgress);
        run(guard.complete(key(1), MINUTE));
        assert_eq!(claim(&guard, 1, MINUTE), Claim::Done);
        // A failed handler releases its claim: the retry is fresh.
        assert_eq!(claim(&guard, 2, MINUTE), Claim::Fresh);
        run(guard.release(key(2)));
        assert_eq!(claim(&guard, 2, MINUTE), Claim::Fresh);
    }

    #[test]
    fn entries_expire_and_a_lapsed_lease_can_be_claimed_again() {
        let guard = MemoryGuard::new(10);
        assert_eq!(claim(&guard, 1, Duration::from_millis(20)), Claim::Fresh);
        run(guard.complete(key(2), Duration::from_millis(20)));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(claim(&guard, 1, MINUTE), Claim::Fresh);
        assert_eq!(claim(&guard, 2, MINUTE), Claim::Fresh);
        assert_eq!(guard.evicted(), 0);
    }

    #[test]
    fn at_capacity_the_oldest_is_forgotten_and_counted() {
        let guard = MemoryGuard::new(3);
        for n in 0..3 {
            assert_eq!(claim(&guard, n, MINUTE), Claim::Fresh);
            run(guard.complete(key(n), MINUTE));
        }
        assert_eq!(guard.len(), 3);
        assert_eq!(claim(&guard, 3, MINUTE), Claim::Fresh);
        assert_eq!(guard.len(), 3);
        assert_eq!(guard.evicted(), 1);
        // 0 was the oldest: forgotten; 1 and 2 are still replays.
        assert_eq!(claim(&guard, 1, MINUTE), Claim::Done);
        assert_eq!(claim(&guard, 2, MINUTE), Claim::Done);
        assert_eq!(claim(&guard, 0, MINUTE), Claim::Fresh);
    }

    #[test]
    fn memory_stays_bounded_under_many_deliveries() {
        let guard = MemoryGuard::new(100);
        for n in 0..10_000u32 {
            let mut bytes = [0u8; 32];
            bytes[..4].copy_from_slice(&n.to_le_bytes());
            let key = DeliveryKey(bytes);
            let mut future = guard.claim(key, MINUTE);
            let waker = std::task::Waker::noop();
            let _ = future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker));
            drop(future);
            run(guard.complete(key, MINUTE));
        }
        assert_eq!(guard.len(), 100);
        assert!(guard.lock().order.len() <= 2 * 100 + 2);
        assert_eq!(guard.evicted(), 10_000 - 100);
    }

    #[test]
    fn the_window_covers_both_sides_of_the_tolerance() {
        let config = ReplayConfig::new(MemoryGuard::new(1));
        assert_eq!(config.window_for(Some(300)), Duration::from_secs(600));
        assert_eq!(config.window_for(None), Duration::from_secs(86_400));
        assert_eq!(
            config.window_for(Some(u64::MAX)),
            Duration::from_secs(u64::MAX)
        );
    }
}
