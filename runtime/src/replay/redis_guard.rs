//! [`RedisGuard`]: the replay guard on Redis, shared by every receiver instance.

use std::time::Duration;

use redis::AsyncCommands as _;

use super::{Claim, DeliveryKey, GuardError, GuardFuture, ReplayGuard};

/// The value of a claimed key.
const CLAIMED: &str = "claimed";
/// The value of a handled key.
const DONE: &str = "done";

/// A replay guard on Redis (feature `redis`): a claim is one atomic `SET key claimed NX PX
/// lease`, so of two instances receiving the same delivery exactly one handles it.
/// Keys are `<prefix><hex digest>` and expire on their own; nothing else is stored.
///
/// The connection reconnects by itself after an outage; while Redis cannot answer, each
/// operation fails with [`GuardError`] and the receiver applies its
/// [`WhenUnavailable`](super::WhenUnavailable) choice.
#[derive(Clone)]
pub struct RedisGuard {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisGuard")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisGuard {
    /// Connects to the Redis server at `url` (`redis://host:port/db`), with keys under
    /// `hookgen:replay:`. Fails when the server cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self, GuardError> {
        let connection = crate::redis_connection::connect(url, Duration::from_secs(2))
            .await
            .map_err(unavailable)?;
        Ok(Self {
            connection,
            prefix: "hookgen:replay:".to_owned(),
        })
    }

    /// Puts keys under `prefix` instead (one per receiver, when several share a server).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, key: DeliveryKey) -> String {
        format!("{}{}", self.prefix, key.to_hex())
    }
}

fn unavailable(error: redis::RedisError) -> GuardError {
    GuardError(error.to_string())
}

/// Milliseconds for `PX`: at least one (Redis refuses 0).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl ReplayGuard for RedisGuard {
    fn claim(&self, key: DeliveryKey, lease: Duration) -> GuardFuture<'_, Claim> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(CLAIMED)
                .arg("NX")
                .arg("PX")
                .arg(millis(lease))
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if set.is_some() {
                return Ok(Claim::Fresh);
            }
            let value: Option<String> = connection.get(&key).await.map_err(unavailable)?;
            // Gone between the two commands (released or expired): another copy was just
            // handled or failed; the provider's retry will settle it.
            Ok(match value.as_deref() {
                Some(DONE) => Claim::Done,
                _ => Claim::InProgress,
            })
        })
    }

    fn complete(&self, key: DeliveryKey, window: Duration) -> GuardFuture<'_, ()> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            connection
                .pset_ex::<_, _, ()>(&key, DONE, millis(window))
                .await
                .map_err(unavailable)
        })
    }

    fn release(&self, key: DeliveryKey) -> GuardFuture<'_, ()> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move { connection.del::<_, ()>(&key).await.map_err(unavailable) })
    }
}
