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
