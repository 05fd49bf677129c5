//! The one way the runtime connects to Redis (feature `redis`), for the replay guard and
//! the delivery queue: a connection that reconnects by itself, with short deadlines so
//! an outage is an error to act on, never a hang.

use std::time::Duration;

/// Connects to `url` (`redis://host:port/db`), giving up on a command after `response`.
pub(crate) async fn connect(
    url: &str,
    response: Duration,
) -> Result<redis::aio::ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(response))
        .set_number_of_retries(1);
    redis::aio::ConnectionManager::new_with_config(client, config).await
}

/// What to do when a Redis server's configuration cannot keep a guard's or a queue's
/// promise: an eviction policy that may drop their keys, or no persistence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerCheck {
    /// Refuse to connect, saying which setting and why (the default).
    #[default]
    Refuse,
    /// Connect anyway; the problems are kept for the application to log
    /// (`RedisGuard::warnings`, `RedisQueue::warnings`).
    Warn,
}

/// What the store must keep: keys that expire on their own (the replay guard: any
/// eviction policy but `noeviction` may drop them), or keys that never expire (the
/// queue's streams: `allkeys-*` policies may drop them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keeps {
    ExpiringKeys,
    PermanentKeys,
}

/// Why the server at `connection` cannot keep what was promised: an eviction policy that
/// may drop the keys under memory pressure (a handled delivery's marker forgotten, so
/// its replay is handled again; a queued delivery dropped after its 2xx), or no
/// persistence (a restart forgets them all). Empty when it can. A server that refuses
/// `CONFIG GET` (managed services often do) is reported as one that cannot be checked.
pub(crate) async fn problems(
    connection: &mut redis::aio::ConnectionManager,
    keeps: Keeps,
) -> Vec<String> {
    async fn get(
        connection: &mut redis::aio::ConnectionManager,
        name: &str,
    ) -> Result<String, redis::RedisError> {
        let pair: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query_async(connection)
            .await?;
        Ok(pair.into_iter().nth(1).unwrap_or_default())
    }
    let mut problems = Vec::new();
    let settings = async {
        let maxmemory = get(connection, "maxmemory").await?;
        let policy = get(connection, "maxmemory-policy").await?;
        let appendonly = get(connection, "appendonly").await?;
        let save = get(connection, "save").await?;
        Ok::<_, redis::RedisError>((maxmemory, policy, appendonly, save))
    };
    match settings.await {
        Err(e) => problems.push(format!(
            "the server's configuration cannot be read (`CONFIG GET`: {e}); check `maxmemory-policy` and persistence yourself"
        )),
        Ok((maxmemory, policy, appendonly, save)) => {
            let evicts = maxmemory.trim() != "0"
                && match keeps {
                    Keeps::ExpiringKeys => policy != "noeviction",
                    Keeps::PermanentKeys => policy.starts_with("allkeys-"),
                };
            if evicts {
                problems.push(format!(
                    "`maxmemory-policy {policy}` with `maxmemory {maxmemory}` may evict these keys under memory pressure; use `noeviction` (or no `maxmemory`)"
                ));
            }
            if appendonly != "yes" && save.trim().is_empty() {
                problems.push(
                    "no persistence (`appendonly no`, `save \"\"`): a restart forgets every key; turn on `appendonly yes`".to_owned(),
                );
            }
        }
    }
    problems
}
