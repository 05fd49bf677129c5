//! [`RedisQueue`]: the durable delivery queue, on a Redis stream with a consumer group.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};

use super::{
    DeadLetter, DeliveryQueue, Depth, QueueError, QueueFuture, Queued, Retried, RetrySchedule,
    ServerCheck, Ticket,
};

/// Adds a delivery unless the stream and the deliveries waiting to be tried again hold
/// the capacity already, atomically. KEYS: the stream, the waiting-again stream.
const PUSH: &str = r"
if redis.call('XLEN', KEYS[1]) + redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[1]) then return 0 end
local fields = {'path', ARGV[2], 'body', ARGV[3], 'headers', ARGV[6], 'received', ARGV[7]}
if ARGV[4] ~= '' then
  table.insert(fields, 'event'); table.insert(fields, ARGV[5])
end
redis.call('XADD', KEYS[1], '*', unpack(fields))
return 1";

/// Gives back a taken delivery that failed, atomically: with its new failure count
/// (ARGV[3]), into the waiting-again stream due in ARGV[4] ms (by the server's clock), or
/// when ARGV[4] is empty into the dead-letter stream with its reason (ARGV[5], at most
/// ARGV[6] kept). KEYS: the stream, waiting-again stream, due times, dead letters.
const RETRY: &str = r"
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entries == 0 then return 0 end
local fields = {}
local kept = entries[1][2]
for i = 1, #kept, 2 do
  if kept[i] ~= 'failures' and kept[i] ~= 'reason' then
    table.insert(fields, kept[i]); table.insert(fields, kept[i + 1])
  end
end
table.insert(fields, 'failures'); table.insert(fields, ARGV[3])
if ARGV[4] == '' then
  table.insert(fields, 'reason'); table.insert(fields, ARGV[5])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', unpack(fields))
else
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), id)
end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return 1";

/// Moves up to ARGV[1] deliveries whose wait is over back into the stream. KEYS: the
/// stream, waiting-again stream, due times.
const PROMOTE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, id in ipairs(ids) do
  local entries = redis.call('XRANGE', KEYS[2], id, id)
  if #entries > 0 then
    redis.call('XADD', KEYS[1], '*', unpack(entries[1][2]))
    redis.call('XDEL', KEYS[2], id)
  end
  redis.call('ZREM', KEYS[3], id)
end
return #ids";

/// Puts a dead letter (ARGV[1]) back into the stream with no failures. KEYS: the stream,
/// dead letters.
const REVIVE: &str = r"
local entries = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #entries == 0 then return 0 end
local fields = {}
local kept = entries[1][2]
for i = 1, #kept, 2 do
  if kept[i] ~= 'failures' and kept[i] ~= 'reason' then
    table.insert(fields, kept[i]); table.insert(fields, kept[i + 1])
  end
end
redis.call('XADD', KEYS[1], '*', unpack(fields))
redis.call('XDEL', KEYS[2], ARGV[1])
return 1";

/// A durable delivery queue on a Redis stream (feature `redis`), shared by every
/// receiver instance and worker of a spec. A delivery is in the stream once `push`
/// returned, survives the receiver's death, and leaves the stream only when a worker
/// acknowledged it after its handler succeeded.
///
/// Workers read through one consumer group; each worker has a name. A delivery a worker
/// took but never acknowledged (its process died) is taken again at once by a worker of
/// the same name (a restarted instance), or by any worker once it has been idle for the
/// claim timeout. A delivery whose handler failed waits in `<stream>:later` (due times
/// in `<stream>:due`) for its turn on the [`RetrySchedule`], and after its last attempt
/// is kept in the stream `<stream>:dead` (at most the capacity, roughly).
///
/// Intake has a connection of its own: a receiver's `push` never waits behind the
/// worker's blocking read.
#[derive(Clone)]
pub struct RedisQueue {
    /// For the receivers' `push`.
    intake: redis::aio::ConnectionManager,
    /// For the worker: blocking reads, acknowledgements, retries.
    connection: redis::aio::ConnectionManager,
    schedule: RetrySchedule,
    stream: String,
    group: String,
    consumer: String,
    capacity: usize,
    claim_after: Duration,
    wait: Duration,
    closed: std::sync::Arc<AtomicBool>,
    warnings: Vec<String>,
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
    ///
    /// Refused when the server's configuration cannot keep what the receiver promised
    /// with its 2xx (an `allkeys-*` eviction policy, no persistence): see
    /// [`connect_checked`](Self::connect_checked).
    pub async fn connect(url: &str, stream: &str, consumer: &str) -> Result<Self, QueueError> {
        Self::connect_checked(url, stream, consumer, ServerCheck::Refuse).await
    }

    /// [`connect`](Self::connect), refusing a server that cannot keep the queue's
    /// deliveries or (with [`ServerCheck::Warn`]) connecting anyway and keeping the
    /// problems in [`warnings`](Self::warnings).
    pub async fn connect_checked(
        url: &str,
        stream: &str,
        consumer: &str,
        check: ServerCheck,
    ) -> Result<Self, QueueError> {
        // Longer than the worker's blocking read (`wait`), which Redis holds open.
        let mut connection = crate::redis_connection::connect(url, Duration::from_secs(5))
            .await
            .map_err(unavailable)?;
        let warnings = crate::redis_connection::problems(
            &mut connection,
            crate::redis_connection::Keeps::PermanentKeys,
        )
        .await;
        if check == ServerCheck::Refuse && !warnings.is_empty() {
            return Err(QueueError::Unavailable(format!(
                "this Redis server cannot keep the deliveries a receiver acknowledged: {}",
                warnings.join("; ")
            )));
        }
        let intake = crate::redis_connection::connect(url, Duration::from_secs(2))
            .await
            .map_err(unavailable)?;
        let queue = Self {
            intake,
            connection,
            schedule: RetrySchedule::default(),
            stream: stream.to_owned(),
            group: "hookgen".to_owned(),
            consumer: consumer.to_owned(),
            capacity: 100_000,
            claim_after: Duration::from_secs(60),
            wait: Duration::from_secs(1),
            closed: std::sync::Arc::default(),
            warnings,
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

    /// What the server's configuration cannot keep (empty when it can), from
    /// [`connect_checked`](Self::connect_checked) with [`ServerCheck::Warn`].
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Retries failed deliveries on `schedule`.
    pub fn with_retries(mut self, schedule: RetrySchedule) -> Self {
        self.schedule = schedule;
        self
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.stream)
    }

    /// Moves the deliveries whose wait is over back into the stream.
    async fn promote(&self) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        redis::Script::new(PROMOTE)
            .key(&self.stream)
            .key(self.key("later"))
            .key(self.key("due"))
            .arg(100)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(unavailable)
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
        let headers = entry
            .get::<Vec<u8>>("headers")
            .and_then(|json| serde_json::from_slice(&json).ok())
            .unwrap_or_default();
        let received_at_ms: u64 = entry.get("received").unwrap_or(0);
        let failures: u32 = entry.get("failures").unwrap_or(0);
        Some((
            Ticket(entry.id.clone()),
            Queued {
                path,
                body: Bytes::from(body),
                event,
                headers,
                received_at_ms,
                failures,
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
        let mut connection = self.intake.clone();
        Box::pin(async move {
            if self.closed.load(Ordering::SeqCst) {
                return Err(QueueError::Closed);
            }
            let added: i64 = redis::cmd("EVAL")
                .arg(PUSH)
                .arg(2)
                .arg(&self.stream)
                .arg(self.key("later"))
                .arg(self.capacity)
                .arg(&delivery.path)
                .arg(delivery.body.as_ref())
                .arg(if delivery.event.is_some() {
                    "event"
                } else {
                    ""
                })
                .arg(delivery.event.as_deref().unwrap_or_default())
                .arg(serde_json::to_vec(&delivery.headers).unwrap_or_default())
                .arg(delivery.received_at_ms)
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
                // then something new (deliveries whose wait is over among it).
                if let Some(found) = self.read("0", None).await? {
                    return Ok(Some(found));
                }
                if let Some(found) = self.take_over().await? {
                    return Ok(Some(found));
                }
                self.promote().await?;
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

    fn retry(&self, ticket: Ticket, reason: &str) -> QueueFuture<'_, Retried> {
        let mut connection = self.connection.clone();
        let reason = reason.to_owned();
        Box::pin(async move {
            // The failure count is the entry's; read it with the entry.
            let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                .arg(&self.stream)
                .arg(&ticket.0)
                .arg(&ticket.0)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            let failures = entries
                .ids
                .first()
                .and_then(|entry| entry.get::<u32>("failures"))
                .unwrap_or(0)
                .saturating_add(1);
            let after = self.schedule.after_failure(failures);
            let wait = after.map_or_else(String::new, |wait| {
                u64::try_from(wait.as_millis())
                    .unwrap_or(u64::MAX)
                    .to_string()
            });
            redis::Script::new(RETRY)
                .key(&self.stream)
                .key(self.key("later"))
                .key(self.key("due"))
                .key(self.key("dead"))
                .arg(&ticket.0)
                .arg(&self.group)
                .arg(failures)
                .arg(wait)
                .arg(reason)
                .arg(self.capacity)
                .invoke_async::<i64>(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(after.map_or(Retried::Dead, Retried::After))
        })
    }

    fn dead_letters(&self, limit: usize) -> QueueFuture<'_, Vec<DeadLetter>> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                .arg(self.key("dead"))
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(limit)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(reply
                .ids
                .iter()
                .filter_map(|entry| {
                    let (ticket, queued) = Self::delivery(entry)?;
                    let reason: String = entry.get("reason").unwrap_or_default();
                    Some(DeadLetter {
                        ticket,
                        queued,
                        reason,
                    })
                })
                .collect())
        })
    }

    fn revive(&self, ticket: Ticket) -> QueueFuture<'_, bool> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            // A stream id is `<milliseconds>-<sequence>`; anything else names no letter.
            let well_formed = ticket.0.split_once('-').is_some_and(|(ms, seq)| {
                [ms, seq]
                    .iter()
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            });
            if !well_formed {
                return Ok(false);
            }
            let revived: i64 = redis::Script::new(REVIVE)
                .key(&self.stream)
                .key(self.key("dead"))
                .arg(&ticket.0)
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(revived == 1)
        })
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// The stream's and the retry line's lengths (acknowledged entries are deleted), and
    /// the age of the older of their heads.
    fn depth(&self) -> QueueFuture<'_, Depth> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            let later = self.key("later");
            let (waiting, again, head, later_head): (
                usize,
                usize,
                redis::streams::StreamRangeReply,
                redis::streams::StreamRangeReply,
            ) = redis::pipe()
                .cmd("XLEN")
                .arg(&self.stream)
                .cmd("XLEN")
                .arg(&later)
                .cmd("XRANGE")
                .arg(&self.stream)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .cmd("XRANGE")
                .arg(&later)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            let oldest = head
                .ids
                .iter()
                .chain(&later_head.ids)
                .filter_map(|entry| super::age(entry.get("received")?))
                .max();
            Ok(Depth {
                deliveries: waiting + again,
                oldest,
            })
        })
    }
}
