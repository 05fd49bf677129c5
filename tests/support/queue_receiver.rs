//! A receiver process in queue mode, for `tests/queue.rs` to kill and restart: Fly.io's
//! spec, deliveries stored in a Redis stream, a worker whose handler takes `DELAY_MS` per
//! delivery and then appends the resource id to the Redis list `LIST`.
//!
//! Usage: `queue-receiver REDIS_URL STREAM CONSUMER LIST DELAY_MS`; prints
//! `listening PORT` once it serves on a free loopback port, then runs until killed.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands as _;
use webhooks::flyio;
use webhooks::queue::{DeliveryQueue, RedisQueue, WorkerStats};
use webhooks::receiver::ReceiverConfig;

/// The secret the test signs with.
const SECRET: &[u8] = b"fly-webhook-secret-2026";

#[derive(Clone)]
struct Recorder {
    redis: redis::aio::ConnectionManager,
    list: String,
    delay: Duration,
}

impl flyio::Handler for Recorder {
    async fn resource_created(
        &self,
        _: &webhooks::receiver::DeliveryContext,
        payload: flyio::ProviderWebhookPayload,
    ) -> Result<(), webhooks::receiver::HandlerError> {
        tokio::time::sleep(self.delay).await;
        let mut redis = self.redis.clone();
        redis
            .rpush::<_, _, ()>(&self.list, payload.resource_id)
            .await?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, stream, consumer, list, delay] = args.as_slice() else {
        return Err("usage: queue-receiver REDIS_URL STREAM CONSUMER LIST DELAY_MS".into());
    };
    let queue = RedisQueue::connect(url, stream, consumer)
        .await?
        .with_claim_after(Duration::from_secs(1));
    let queue: Arc<dyn DeliveryQueue> = Arc::new(queue);
    let redis = redis::Client::open(url.as_str())?
        .get_connection_manager()
        .await?;
    let recorder = Recorder {
        redis,
        list: list.clone(),
        delay: Duration::from_millis(delay.parse()?),
    };
    let worker = tokio::spawn(flyio::process(
        Arc::clone(&queue),
        recorder,
        Arc::new(WorkerStats::default()),
    ));
    let service = flyio::queued(queue, ReceiverConfig::new(SECRET.to_vec()))?;
    let app = webhooks::receiver::axum::Router::new().fallback_service(service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening {}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    webhooks::receiver::axum::serve(listener, app).await?;
    worker.await?;
    Ok(())
}
