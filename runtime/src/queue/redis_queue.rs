//! [`RedisQueue`]: the durable delivery queue, on a Redis stream with a consumer group.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};

use super::{DeliveryQueue, QueueError, QueueFuture, Queued, Ticket};

/// Adds a delivery unless the stream is full, atomically.
const PUSH: &str = r"
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
if ARGV[4] == '' then
  redis.call('XADD', KEYS[1], '*', 'path', ARGV[2], 'body', ARGV[3])
else
  redis.call('XADD', KEYS[1], '*', 'path', ARGV[2], 'body', ARGV[3], 'event', ARGV[5])
end
return 1";

/// Moves a taken delivery to the end of the stream (to be taken again), atomically.
const REQUEUE: &str = r"
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entries == 0 then return 0 end
redis.call('XADD', KEYS[1], '*', unpack(entries[1][2]))
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return 1";

/// A durable delivery queue on a Redis stream (feature `redis`), shared by every
/// receiver instance and worker of a spec. A delivery is in the stream once `push`
/// returned, survives the receiver's death, and leaves the stream only when a worker
/// acknowledged it after its handler succeeded.
///
/// Workers read through one consumer group; each worker has a name. A delivery a worker
/// took but never acknowledged (its process died) is taken again at once by a worker of
/// the same name (a restarted instance), or by any worker once it has been idle for the
/// claim timeout.
#[derive(Clone)]
pub struct RedisQueue {
    connection: redis::aio::ConnectionManager,
    stream: String,
    group: String,
    consumer: String,
    capacity: usize,
    claim_after: Duration,
    wait: Duration,
    closed: std::sync::Arc<AtomicBool>,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("stream", &self.stream)
            .field("group", &self.group)
            .field("consumer", &self.consumer)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

fn unavailable(error: redis::RedisError) -> QueueError {
    QueueError::Unavailable(error.to_string())
}

impl RedisQueue {
    /// Connects to `url` and uses the stream `stream` (created with its consumer group
    /// `hookgen` when missing), as the worker named `consumer` (stable across restarts of
    /// one instance, different between instances). Holds at most 100 000 deliveries;
    /// takes over another worker's delivery after 60 s.
    pub async fn connect(url: &str, stream: &str, consumer: &str) -> Result<Self, QueueError> {
        // Longer than the worker's blocking read (`wait`), which Redis holds open.
        let connection = crate::redis_connection::connect(url, Duration::from_secs(5))
            .await
            .map_err(unavailable)?;
        let queue = Self {
            connection,
            stream: stream.to_owned(),
            group: "hookgen".to_owned(),
            consumer: consumer.to_owned(),
            capacity: 100_000,
            claim_after: Duration::from_secs(60),
            wait: Duration::from_secs(1),
            closed: std::sync::Arc::default(),
        };
        queue.ensure_group().await?;
        Ok(queue)
    }

    /// Creates the stream and its consumer group unless they exist (again, after a Redis
    /// restart without persistence).
    async fn ensure_group(&self) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let created: Result<(), _> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.stream)
            .arg(&self.group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut connection)
            .await;
        match created {
            Ok(()) => Ok(()),
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// A read's error: the group is made again when Redis lost it (nothing read this
    /// time), anything else is unavailability.
    async fn after_failed_read<T>(
        &self,
        error: redis::RedisError,
    ) -> Result<Option<T>, QueueError> {
        if error.code() == Some("NOGROUP") {
            self.ensure_group().await?;
            return Ok(None);
        }
        Err(unavailable(error))
    }

    /// Sets how many deliveries the stream may hold (waiting or being processed).
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Sets how long another worker's delivery must be idle before it is taken over:
    /// longer than a handler ever takes.
    pub fn with_claim_after(mut self, idle: Duration) -> Self {
        self.claim_after = idle;
        self
    }

    /// The first entry of a read, as a delivery.
    fn delivery(entry: &StreamId) -> Option<(Ticket, Queued)> {
        let path: String = entry.get("path")?;
        let body: Vec<u8> = entry.get("body")?;
        let event: Option<String> = entry.get("event");
        Some((
            Ticket(entry.id.clone()),
            Queued {
                path,
                body: Bytes::from(body),
                event,
            },
        ))
    }

    /// Reads one entry for this consumer: `"0"` re-reads its own unacknowledged ones,
    /// `">"` takes a new one (waiting up to `block`).
    async fn read(
        &self,
        id: &str,
        block: Option<Duration>,
    ) -> Result<Option<(Ticket, Queued)>, QueueError> {
        let mut connection = self.connection.clone();
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(&self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(1);
        if let Some(block) = block {
            command
                .arg("BLOCK")
                .arg(u64::try_from(block.as_millis()).unwrap_or(u64::MAX));
        }
        let reply: Option<StreamReadReply> = match command
            .arg("STREAMS")
            .arg(&self.stream)
            .arg(id)
            .query_async(&mut connection)
            .await
        {
            Ok(reply) => reply,
            Err(e) => return self.after_failed_read(e).await,
        };
        Ok(reply
            .and_then(|r| r.keys.into_iter().next())
            .and_then(|key| key.ids.first().and_then(Self::delivery)))
    }

    /// Takes over one delivery another worker has held longer than the claim timeout.
    async fn take_over(&self) -> Result<Option<(Ticket, Queued)>, QueueError> {
        let mut connection = self.connection.clone();
        let reply: StreamAutoClaimReply = match redis::cmd("XAUTOCLAIM")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(u64::try_from(self.claim_after.as_millis()).unwrap_or(u64::MAX))
            .arg("0-0")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut connection)
            .await
        {
            Ok(reply) => reply,
            Err(e) => return self.after_failed_read(e).await,
        };
        Ok(reply.claimed.first().and_then(Self::delivery))
    }
}

impl DeliveryQueue for RedisQueue {
    fn push(&self, delivery: Queued) -> QueueFuture<'_, ()> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            if self.closed.load(Ordering::SeqCst) {
                return Err(QueueError::Closed);
            }
            let added: i64 = redis::cmd("EVAL")
                .arg(PUSH)
                .arg(1)
                .arg(&self.stream)
                .arg(self.capacity)
                .arg(&delivery.path)
                .arg(delivery.body.as_ref())
                .arg(if delivery.event.is_some() {
                    "event"
                } else {
                    ""
                })
                .arg(delivery.event.as_deref().unwrap_or_default())
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if added == 1 {
                Ok(())
            } else {
                Err(QueueError::Full)
            }
        })
    }

    fn next(&self) -> QueueFuture<'_, Option<(Ticket, Queued)>> {
        Box::pin(async move {
            loop {
                // What this worker took before it was restarted, then what others left,
                // then something new.
                if let Some(found) = self.read("0", None).await? {
                    return Ok(Some(found));
                }
                if let Some(found) = self.take_over().await? {
                    return Ok(Some(found));
                }
                let closed = self.closed.load(Ordering::SeqCst);
                let block = (!closed).then_some(self.wait);
                if let Some(found) = self.read(">", block).await? {
                    return Ok(Some(found));
                }
                if closed {
                    return Ok(None);
                }
            }
        })
    }

    fn ack(&self, ticket: Ticket) -> QueueFuture<'_, ()> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            redis::pipe()
                .atomic()
                .cmd("XACK")
                .arg(&self.stream)
                .arg(&self.group)
                .arg(&ticket.0)
                .ignore()
                .cmd("XDEL")
                .arg(&self.stream)
                .arg(&ticket.0)
                .ignore()
                .query_async::<()>(&mut connection)
                .await
                .map_err(unavailable)
        })
    }

    fn retry(&self, ticket: Ticket) -> QueueFuture<'_, ()> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            redis::cmd("EVAL")
                .arg(REQUEUE)
                .arg(1)
                .arg(&self.stream)
                .arg(&ticket.0)
                .arg(&self.group)
                .query_async::<i64>(&mut connection)
                .await
                .map(drop)
                .map_err(unavailable)
        })
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}
