//! [`RedisGuard`]: the replay guard on Redis, shared by every receiver instance.

use std::time::Duration;

use redis::AsyncCommands as _;

use super::{Claim, ClaimToken, DeliveryKey, GuardError, GuardFuture, MAX_REMEMBER, ReplayGuard};
pub use crate::redis_connection::ServerCheck;

/// The start of a claimed key's value (followed by the claimant's token).
const CLAIMED: &str = "claimed:";
/// The value of a handled key.
const DONE: &str = "done";

/// Extends a claim if the token still holds it: `KEYS[1]`, `ARGV[1]` the value, `ARGV[2]`
/// the lease in milliseconds. Compare and act in one step, so no other claim is touched.
const EXTEND: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Deletes a claim if the token still holds it (never a done marker or another's claim).
const RELEASE: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// A replay guard on Redis (feature `redis`): a claim is one atomic `SET key
/// claimed:<token> NX PX lease`, so of two instances receiving the same delivery exactly
/// one handles it; extending and releasing a claim compare the token and act in one Lua
/// script. Keys are `<prefix><hex digest>` and expire on their own; nothing else is stored.
///
/// The connection reconnects by itself after an outage; while Redis cannot answer, each
/// operation fails with [`GuardError`] and the receiver applies its
/// [`WhenUnavailable`](super::WhenUnavailable) choice.
#[derive(Clone)]
pub struct RedisGuard {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    warnings: Vec<String>,
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
    /// `hookgen:replay:`. Fails when the server cannot be reached now, or when its
    /// configuration cannot keep the guard's promise (an eviction policy that may drop
    /// its keys, no persistence; see [`connect_checked`](Self::connect_checked)).
    pub async fn connect(url: &str) -> Result<Self, GuardError> {
        Self::connect_checked(url, ServerCheck::Refuse).await
    }

    /// [`connect`](Self::connect), refusing a server that cannot keep the guard's
    /// promise or (with [`ServerCheck::Warn`]) connecting anyway and keeping the
    /// problems in [`warnings`](Self::warnings).
    pub async fn connect_checked(url: &str, check: ServerCheck) -> Result<Self, GuardError> {
        let mut connection = crate::redis_connection::connect(url, Duration::from_secs(2))
            .await
            .map_err(unavailable)?;
        let warnings = crate::redis_connection::problems(
            &mut connection,
            crate::redis_connection::Keeps::ExpiringKeys,
        )
        .await;
        if check == ServerCheck::Refuse && !warnings.is_empty() {
            return Err(GuardError(format!(
                "this Redis server cannot keep each delivery handled once: {}",
                warnings.join("; ")
            )));
        }
        Ok(Self {
            connection,
            prefix: "hookgen:replay:".to_owned(),
            warnings,
        })
    }

    /// What the server's configuration cannot keep (empty when it can), from
    /// [`connect_checked`](Self::connect_checked) with [`ServerCheck::Warn`].
    pub fn warnings(&self) -> &[String] {
        &self.warnings
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

/// Milliseconds for `PX`: at least one (Redis refuses 0), at most [`MAX_REMEMBER`] (Redis
/// refuses an expiry that overflows when added to its clock).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.min(MAX_REMEMBER).as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The value a claim by `token` writes.
fn claimed(token: ClaimToken) -> String {
    format!("{CLAIMED}{}", token.to_hex())
}

impl ReplayGuard for RedisGuard {
    fn claim(
        &self,
        key: DeliveryKey,
        token: ClaimToken,
        lease: Duration,
    ) -> GuardFuture<'_, Claim> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(claimed(token))
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

    fn extend(
        &self,
        key: DeliveryKey,
        token: ClaimToken,
        lease: Duration,
    ) -> GuardFuture<'_, bool> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            let extended: i64 = redis::Script::new(EXTEND)
                .key(&key)
                .arg(claimed(token))
                .arg(millis(lease))
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(extended == 1)
        })
    }

    fn release(&self, key: DeliveryKey, token: ClaimToken) -> GuardFuture<'_, ()> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            redis::Script::new(RELEASE)
                .key(&key)
                .arg(claimed(token))
                .invoke_async::<i64>(&mut connection)
                .await
                .map(drop)
                .map_err(unavailable)
        })
    }
}
