//! Queue mode with real parts: a receiver that answers once a delivery is stored, a
//! worker that processes it later; a full queue, a drain on shutdown, and a receiver
//! process killed after it acknowledged deliveries, with a new one processing every
//! acknowledged delivery exactly once from the Redis stream.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hookgen_conformance::redis::RedisServer;
use redis::AsyncCommands as _;
use webhooks::flyio;
use webhooks::queue::{DeliveryQueue, MemoryQueue, Queued, WorkerStats};
use webhooks::receiver::ReceiverConfig;

mod common;

use common::{PATH, SECRET, created, deliver};

/// Counts deliveries and holds each until `gate` lets it through.
#[derive(Clone)]
struct Gated {
    calls: Arc<AtomicUsize>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Default for Gated {
    fn default() -> Self {
        Self {
            calls: Arc::default(),
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
        }
    }
}

impl flyio::Handler for Gated {
    async fn resource_created(
        &self,
        _: &webhooks::receiver::DeliveryContext,
        _: flyio::ProviderWebhookPayload,
    ) -> Result<(), webhooks::receiver::HandlerError> {
        self.gate.acquire().await?.forget();
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_full_queue_asks_senders_to_wait_and_a_closed_one_drains() {
    let queue = Arc::new(MemoryQueue::new(3));
    let dyn_queue: Arc<dyn DeliveryQueue> = queue.clone();
    let service = flyio::queued(Arc::clone(&dyn_queue), ReceiverConfig::new(SECRET.to_vec()));
    let app = webhooks::receiver::axum::Router::new().fallback_service(service.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{PATH}", listener.local_addr().unwrap());
    tokio::spawn(async move { webhooks::receiver::axum::serve(listener, app).await });

    // The handler is held: the first three are acknowledged once stored, the fourth is
    // asked to come back.
    let handler = Gated::default();
    let stats = Arc::new(WorkerStats::default());
    for n in 0..3 {
        assert_eq!(
            deliver(&url, &created(&format!("res_{n}"))).await,
            (204, None)
        );
    }
    assert_eq!(
        deliver(&url, &created("res_3")).await,
        (503, Some("5".to_owned()))
    );
    assert_eq!(
        handler.calls.load(Ordering::SeqCst),
        0,
        "nothing processed yet"
    );
    // A forged delivery is refused before it reaches the queue.
    let forged = reqwest::Client::new()
        .post(&url)
        .header(
            flyio::SIGNATURE_HEADER,
            flyio::sign(b"another-secret-24-bytes", &created("x")),
        )
        .body(created("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    assert_eq!(queue.len(), 3);

    // Shutdown: intake closes, the worker drains all three, then returns.
    let worker = tokio::spawn(flyio::process(
        Arc::clone(&dyn_queue),
        handler.clone(),
        Arc::clone(&stats),
    ));
    queue.close();
    assert_eq!(
        deliver(&url, &created("res_late")).await,
        (503, Some("5".to_owned()))
    );
    handler.gate.add_permits(3);
    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker stops once drained")
        .unwrap();
    assert_eq!(handler.calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        (stats.processed(), stats.failed(), stats.unavailable()),
        (3, 0, 0)
    );
    assert!(queue.is_empty());
}

/// A `queue-receiver` process; killed when dropped.
struct Receiver {
    child: Child,
    /// Where it receives deliveries.
    url: String,
}

impl Receiver {
    fn start(redis: &RedisServer, consumer: &str, delay_ms: u64) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_queue-receiver"))
            .args([
                &redis.url(),
                "deliveries",
                consumer,
                "processed",
                &delay_ms.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the queue-receiver binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("it says where it listens");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Self {
            child,
            url: format!("http://127.0.0.1:{port}{PATH}"),
        }
    }

    /// `kill -9`: no shutdown, no drain.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn processed(redis: &mut redis::aio::ConnectionManager) -> Vec<String> {
    redis.lrange("processed", 0, -1).await.unwrap()
}

#[tokio::test]
async fn every_acknowledged_delivery_is_processed_once_after_the_receiver_is_killed() {
    // The same instance restarted: it takes back what it held at once.
    killed_and_replaced("instance-1").await;
}

#[tokio::test]
async fn another_instance_takes_over_what_a_killed_one_held() {
    // Another instance: it takes over the killed one's delivery once idle for the claim
    // timeout (1 s here).
    killed_and_replaced("instance-2").await;
}

async fn killed_and_replaced(replacement: &str) {
    let redis_server = RedisServer::start();
    let mut redis = redis::Client::open(redis_server.url())
        .unwrap()
        .get_connection_manager()
        .await
        .unwrap();
    // The first process handles one delivery per 150 ms, so most are still queued when
    // it is killed.
    let first = Receiver::start(&redis_server, "instance-1", 150);
    let ids: Vec<String> = (0..20).map(|n| format!("res_{n:02}")).collect();
    for id in &ids {
        assert_eq!(deliver(&first.url, &created(id)).await.0, 204, "{id}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while processed(&mut redis).await.len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the first worker processed nothing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Killed mid-handler (well away from the moment between a handler's success and
    // its acknowledgement, which is at least once: see `queue`'s docs).
    tokio::time::sleep(Duration::from_millis(60)).await;
    first.kill();
    let before_restart = processed(&mut redis).await.len();
    assert!(
        (3..20).contains(&before_restart),
        "{before_restart} processed before the kill"
    );

    // A new process takes over what the first acknowledged.
    let second = Receiver::start(&redis_server, replacement, 5);
    let deadline = Instant::now() + Duration::from_secs(30);
    while processed(&mut redis).await.len() < ids.len() {
        assert!(
            Instant::now() < deadline,
            "only {:?} processed",
            processed(&mut redis).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Nothing more arrives: each acknowledged delivery was processed exactly once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for id in processed(&mut redis).await {
        *counts.entry(id).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = ids.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(counts, expected);
    let left: usize = redis.xlen("deliveries").await.unwrap();
    assert_eq!(left, 0, "acknowledged deliveries leave the stream");
    drop(second);
}

#[tokio::test]
async fn a_worker_waits_out_a_redis_outage_and_goes_on() {
    use webhooks::queue::{Queued, RedisQueue};
    let mut redis_server = RedisServer::start();
    let queue: Arc<dyn DeliveryQueue> = Arc::new(
        RedisQueue::connect(&redis_server.url(), "deliveries", "worker")
            .await
            .unwrap(),
    );
    let handler = Gated::default();
    handler.gate.add_permits(100);
    let stats = Arc::new(WorkerStats::default());
    tokio::spawn(flyio::process(
        Arc::clone(&queue),
        handler.clone(),
        Arc::clone(&stats),
    ));
    let push = |resource: &str| Queued {
        path: PATH.into(),
        body: created(resource).into(),
        event: None,
        headers: Vec::new(),
        received_at_ms: 0,
        failures: 0,
    };
    let wait_for = |n: usize| {
        let handler = handler.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            while handler.calls.load(Ordering::SeqCst) < n {
                assert!(Instant::now() < deadline, "only {n} - 1 processed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    queue.push(push("res_before")).await.unwrap();
    wait_for(1).await;
    // Redis down: the worker waits instead of ending.
    redis_server.stop();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(stats.unavailable() >= 1);
    // Redis back, empty (its stream and group are gone): the worker makes the group again.
    redis_server.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    while queue.push(push("res_after")).await.is_err() {
        assert!(Instant::now() < deadline, "the queue did not reconnect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(2).await;
    assert_eq!(stats.processed(), 2);
}

/// Fails every delivery, counting the calls.
#[derive(Clone, Default)]
struct Failing {
    calls: Arc<AtomicUsize>,
}

impl flyio::Handler for Failing {
    async fn resource_created(
        &self,
        _: &webhooks::receiver::DeliveryContext,
        _: flyio::ProviderWebhookPayload,
    ) -> Result<(), webhooks::receiver::HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err("database unavailable".into())
    }
}

#[tokio::test]
async fn a_failing_delivery_backs_off_and_is_set_aside_on_redis_then_revived() {
    use webhooks::queue::{RedisQueue, RetrySchedule};
    let redis = RedisServer::start();
    let schedule = RetrySchedule {
        waits: vec![Duration::from_millis(300)],
        attempts: 3,
        jitter: 0.0,
    };
    let queue = RedisQueue::connect(&redis.url(), "failing", "worker-1")
        .await
        .unwrap()
        .with_retries(schedule);
    let queue: Arc<dyn DeliveryQueue> = Arc::new(queue);
    let service = flyio::queued(Arc::clone(&queue), ReceiverConfig::new(SECRET.to_vec()));
    let app = webhooks::receiver::axum::Router::new().fallback_service(service.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{PATH}", listener.local_addr().unwrap());
    tokio::spawn(async move { webhooks::receiver::axum::serve(listener, app).await });

    let handler = Failing::default();
    let stats = Arc::new(WorkerStats::default());
    let worker = tokio::spawn(flyio::process(
        Arc::clone(&queue),
        handler.clone(),
        Arc::clone(&stats),
    ));
    // While the worker blocks on its read, intake answers at once (its own connection).
    let started = Instant::now();
    assert_eq!(deliver(&url, &created("res_fail")).await, (204, None));
    let intake = started.elapsed();
    assert!(
        intake < Duration::from_millis(200),
        "intake took {intake:?}"
    );
    // Three attempts, 300 ms apart, then set aside: no hot loop.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(handler.calls.load(Ordering::SeqCst), 3);
    assert_eq!((stats.failed(), stats.dead()), (3, 1));
    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].queued.failures, 3);
    assert_eq!(dead[0].reason, "database unavailable");
    assert_eq!(dead[0].queued.body, created("res_fail"));
    // Revived, it is tried again (three more attempts), then set aside again.
    assert!(queue.revive(dead[0].ticket.clone()).await.unwrap());
    assert!(!queue.revive(dead[0].ticket.clone()).await.unwrap());
    assert!(
        !queue
            .revive(webhooks::queue::Ticket("nope".into()))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(handler.calls.load(Ordering::SeqCst), 6);
    assert_eq!(queue.dead_letters(10).await.unwrap().len(), 1);
    queue.close();
    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker stops once drained")
        .unwrap();
}

/// A Redis queue reports what it holds and the age of its oldest delivery (the worker's
/// `hookgen_queue_depth` and `hookgen_queue_oldest_age_seconds`).
#[tokio::test]
async fn a_redis_queue_reports_its_depth_and_oldest_age() {
    use webhooks::queue::RedisQueue;
    let redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "depth", "worker-1")
        .await
        .unwrap();
    assert_eq!(queue.depth().await.unwrap().deliveries, 0);
    let a_minute_ago = std::time::SystemTime::now() - Duration::from_secs(60);
    let received_at_ms = a_minute_ago
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    for resource in ["res_a", "res_b"] {
        queue
            .push(Queued {
                path: PATH.into(),
                body: created(resource).into(),
                event: None,
                headers: vec![("x-request-id".into(), resource.into())],
                received_at_ms,
                failures: 0,
            })
            .await
            .unwrap();
    }
    let depth = queue.depth().await.unwrap();
    assert_eq!(depth.deliveries, 2);
    let oldest = depth.oldest.expect("an age");
    assert!(
        oldest >= Duration::from_secs(60) && oldest < Duration::from_secs(90),
        "{oldest:?}"
    );
    let (ticket, taken) = queue.next().await.unwrap().unwrap();
    // What the receiver stored comes back: headers and the time it was accepted.
    assert_eq!(
        taken.headers,
        vec![("x-request-id".to_owned(), "res_a".to_owned())]
    );
    assert_eq!(taken.received_at_ms, received_at_ms);
    queue.ack(ticket).await.unwrap();
    assert_eq!(queue.depth().await.unwrap().deliveries, 1);
}
