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
//! - **claimed** while a handler runs, for a short lease that the receiver extends while
//!   the handler is still running: a copy arriving meanwhile is answered 503 with
//!   `Retry-After`, so the provider tries again later and nothing is lost if the first
//!   attempt fails. A claim carries the claimant's [`ClaimToken`]: only its holder can
//!   extend or release it, so an instance whose lease lapsed cannot erase what another
//!   instance recorded since;
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

/// The longest a guard remembers anything (a year): longer windows and leases are cut to
/// it, so no arithmetic on them overflows and no store refuses them.
pub const MAX_REMEMBER: Duration = Duration::from_secs(366 * 24 * 60 * 60);

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

/// Who holds a claim: a value unique to one claim, chosen by the claimant before it asks
/// (so that a claim whose answer was lost can still be released by its holder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken(pub [u8; 16]);

impl ClaimToken {
    /// A token no other claim of this or any other process has (a per-process random
    /// seed, a counter and the time, hashed).
    pub fn new() -> Self {
        let token = crate::unique::unique_bytes();
        Self(token)
    }

    /// The token as lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl Default for ClaimToken {
    fn default() -> Self {
        Self::new()
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

/// Remembers which deliveries were handled. Implementations must make [`claim`] atomic
/// (of two copies claimed at once, exactly one is [`Claim::Fresh`]) and [`extend`] and
/// [`release`] act only on the claim of the given token (compare and act in one step).
///
/// [`claim`]: ReplayGuard::claim
/// [`extend`]: ReplayGuard::extend
/// [`release`]: ReplayGuard::release
pub trait ReplayGuard: Send + Sync + 'static {
    /// Claims `key` as `token` for `lease` (how long until the claim lapses unless
    /// extended).
    fn claim(&self, key: DeliveryKey, token: ClaimToken, lease: Duration)
    -> GuardFuture<'_, Claim>;

    /// Extends `token`'s claim of `key` to `lease` from now; `false` when the claim is no
    /// longer `token`'s (it lapsed, and perhaps another instance claimed the delivery).
    fn extend(&self, key: DeliveryKey, token: ClaimToken, lease: Duration)
    -> GuardFuture<'_, bool>;

    /// Marks `key` done, remembered for `window`, whoever holds its claim now (the
    /// delivery was handled).
    fn complete(&self, key: DeliveryKey, window: Duration) -> GuardFuture<'_, ()>;

    /// Forgets `key` if `token` still holds its claim (its handler failed; the provider
    /// will retry); anything else (another instance's claim, a done marker) is kept.
    fn release(&self, key: DeliveryKey, token: ClaimToken) -> GuardFuture<'_, ()>;
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
    /// How long a claim lasts unless extended (default 10 s). The receiver extends it
    /// every third of a lease while the handler runs, so a handler may take as long as it
    /// needs; the lease bounds how long a receiver that died mid-handler, or a claim whose
    /// answer was lost, keeps a delivery's retries waiting.
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
            lease: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
            when_unavailable: WhenUnavailable::Refuse,
            stats: std::sync::Arc::default(),
        }
    }

    /// Sets how long deliveries are remembered for schemes without a timestamp.
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window.min(MAX_REMEMBER);
        self
    }

    /// Sets how long a claim lasts unless extended (at least one second).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.clamp(Duration::from_secs(1), MAX_REMEMBER);
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
            Some(t) => Duration::from_secs(t.saturating_mul(2)).min(MAX_REMEMBER),
            None => self.window.min(MAX_REMEMBER),
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
    leases_lost: AtomicU64,
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

    /// Handlers that outlived their claim: an extension found the claim lapsed or taken
    /// by another instance (which may then handle the delivery too).
    pub fn leases_lost(&self) -> u64 {
        self.leases_lost.load(Ordering::Relaxed)
    }

    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn count(&self, counter: Counter) {
        let field = match counter {
            Counter::Replay => &self.replays,
            Counter::InProgress => &self.in_progress,
            Counter::Unavailable => &self.unavailable,
            Counter::Unguarded => &self.unguarded,
            Counter::LeaseLost => &self.leases_lost,
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
    LeaseLost,
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
    /// `None` once done; the claimant's token while claimed.
    claimant: Option<ClaimToken>,
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
    fn write(
        &mut self,
        capacity: usize,
        key: DeliveryKey,
        claimant: Option<ClaimToken>,
        ttl: Duration,
    ) {
        let now = Instant::now();
        let expires = now + ttl.min(MAX_REMEMBER);
        self.sweep(now, capacity, &key);
        self.entries.insert(key, Entry { claimant, expires });
        self.order.push_back((key, expires));
        // Items whose entries were rewritten or removed since stay queued behind a live
        // one until it reaches the front: rebuild the queue once they outnumber the
        // entries, so its memory is bounded by the capacity whatever the calls (a
        // handler failing forever claims and releases the same key again and again).
        if self.order.len() > 2 * capacity + 16 {
            let entries = &self.entries;
            self.order
                .retain(|(key, expires)| entries.get(key).is_some_and(|e| e.expires == *expires));
        }
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

    /// The live entry of `key` if `token` holds its claim.
    fn held(&self, key: &DeliveryKey, token: ClaimToken, now: Instant) -> bool {
        self.entries
            .get(key)
            .is_some_and(|e| e.expires > now && e.claimant == Some(token))
    }
}

impl ReplayGuard for MemoryGuard {
    fn claim(
        &self,
        key: DeliveryKey,
        token: ClaimToken,
        lease: Duration,
    ) -> GuardFuture<'_, Claim> {
        let now = Instant::now();
        // Checked and written under one lock: of two claims, one is fresh.
        let mut memory = self.lock();
        let claim = match memory.entries.get(&key).filter(|e| e.expires > now) {
            Some(e) if e.claimant.is_none() => Claim::Done,
            Some(_) => Claim::InProgress,
            None => {
                memory.write(self.capacity, key, Some(token), lease);
                Claim::Fresh
            }
        };
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn extend(
        &self,
        key: DeliveryKey,
        token: ClaimToken,
        lease: Duration,
    ) -> GuardFuture<'_, bool> {
        let mut memory = self.lock();
        let held = memory.held(&key, token, Instant::now());
        if held {
            memory.write(self.capacity, key, Some(token), lease);
        }
        Box::pin(std::future::ready(Ok(held)))
    }

    fn complete(&self, key: DeliveryKey, window: Duration) -> GuardFuture<'_, ()> {
        self.lock().write(self.capacity, key, None, window);
        Box::pin(std::future::ready(Ok(())))
    }

    fn release(&self, key: DeliveryKey, token: ClaimToken) -> GuardFuture<'_, ()> {
        let mut memory = self.lock();
        if memory.held(&key, token, Instant::now()) {
            memory.entries.remove(&key);
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(feature = "redis")]
mod redis_guard;
#[cfg(feature = "redis")]
pub use redis_guard::{RedisGuard, ServerCheck};

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> DeliveryKey {
        DeliveryKey([n; 32])
    }

    fn claim(guard: &MemoryGuard, n: u8, lease: Duration) -> Claim {
        claim_as(guard, n, token(0), lease)
    }

    fn token(n: u8) -> ClaimToken {
        ClaimToken([n; 16])
    }

    fn claim_as(guard: &MemoryGuard, n: u8, token: ClaimToken, lease: Duration) -> Claim {
        let mut future = guard.claim(key(n), token, lease);
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

    fn run<T>(future: GuardFuture<'_, T>) -> T {
        let mut future = future;
        let waker = std::task::Waker::noop();
        match future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker))
        {
            std::task::Poll::Ready(result) => result.unwrap(),
            std::task::Poll::Pending => unreachable!("the memory guard never waits"),
        }
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
        run(guard.release(key(2), token(0)));
        assert_eq!(claim(&guard, 2, MINUTE), Claim::Fresh);
    }

    #[test]
    fn only_the_claimant_extends_or_releases_its_claim() {
        let guard = MemoryGuard::new(10);
        let short = Duration::from_millis(30);
        assert_eq!(claim_as(&guard, 1, token(1), short), Claim::Fresh);
        assert!(run(guard.extend(key(1), token(1), short)));
        assert!(!run(guard.extend(key(1), token(2), short)));
        run(guard.release(key(1), token(2)));
        assert_eq!(claim_as(&guard, 1, token(2), short), Claim::InProgress);
        // The first claimant's lease lapses; a second instance claims and completes.
        std::thread::sleep(Duration::from_millis(60));
        assert!(!run(guard.extend(key(1), token(1), short)));
        assert_eq!(claim_as(&guard, 1, token(2), MINUTE), Claim::Fresh);
        run(guard.complete(key(1), MINUTE));
        // The first one's handler fails: its release must not erase the done marker.
        run(guard.release(key(1), token(1)));
        assert_eq!(claim_as(&guard, 1, token(3), MINUTE), Claim::Done);
    }

    #[test]
    fn memory_stays_bounded_when_a_handler_keeps_failing() {
        let guard = MemoryGuard::new(4);
        // A live entry at the front of the queue, then one delivery failing forever.
        assert_eq!(claim(&guard, 0, MINUTE), Claim::Fresh);
        run(guard.complete(key(0), MINUTE));
        for _ in 0..100_000 {
            assert_eq!(claim_as(&guard, 1, token(1), MINUTE), Claim::Fresh);
            run(guard.release(key(1), token(1)));
        }
        assert_eq!(guard.len(), 1);
        assert!(
            guard.lock().order.len() <= 2 * 4 + 16 + 1,
            "{}",
            guard.lock().order.len()
        );
        assert_eq!(claim(&guard, 0, MINUTE), Claim::Done);
    }

    #[test]
    fn tokens_differ() {
        let tokens: std::collections::HashSet<ClaimToken> =
            (0..10_000).map(|_| ClaimToken::new()).collect();
        assert_eq!(tokens.len(), 10_000);
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
            let mut future = guard.claim(key, token(0), MINUTE);
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
        assert_eq!(config.window_for(Some(u64::MAX)), MAX_REMEMBER);
        let config = config.with_window(Duration::MAX).with_lease(Duration::MAX);
        assert_eq!(config.window_for(None), MAX_REMEMBER);
        assert_eq!(config.lease, MAX_REMEMBER);
        // A guard given the longest durations does not overflow.
        let guard = MemoryGuard::new(2);
        assert_eq!(claim(&guard, 1, Duration::MAX), Claim::Fresh);
        run(guard.complete(key(1), Duration::MAX));
        assert_eq!(claim(&guard, 1, MINUTE), Claim::Done);
    }
}
