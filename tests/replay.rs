//! Replay protection and the tower receiver, with real parts: generated receivers served
//! over HTTP on loopback (by axum, and by plain hyper), replayed deliveries, handlers that
//! fail or take their time, and a real `redis-server` shared by two receiver instances,
//! stopped and restarted under them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hookgen_conformance::redis::RedisServer;
use webhooks::flyio;
use webhooks::receiver::ReceiverConfig;
use webhooks::replay::{MemoryGuard, RedisGuard, ReplayConfig, WhenUnavailable};

mod common;

use common::{PATH, SECRET, created, deliver};

/// Counts `resource.created` deliveries; fails those for `res_fail` while `failing` is
/// set, and holds those for `res_slow` until `release` is notified.
#[derive(Clone, Default)]
struct Counter {
    calls: Arc<AtomicUsize>,
    failing: Arc<std::sync::atomic::AtomicBool>,
    release: Arc<tokio::sync::Notify>,
}

impl flyio::Handler for Counter {
    async fn resource_created(
        &self,
        _: &webhooks::receiver::DeliveryContext,
        payload: flyio::ProviderWebhookPayload,
    ) -> Result<(), webhooks::receiver::HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if payload.resource_id == "res_slow" {
            self.release.notified().await;
        }
        if payload.resource_id == "res_fail" && self.failing.load(Ordering::SeqCst) {
            return Err("storage is down".into());
        }
        Ok(())
    }
}

impl Counter {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Serves an axum router on a free loopback port; returns the delivery URL.
async fn serve(router: webhooks::receiver::axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        webhooks::receiver::axum::serve(listener, router)
            .await
            .unwrap()
    });
    format!("http://{address}{PATH}")
}

fn guarded(replay: ReplayConfig) -> ReceiverConfig {
    ReceiverConfig::new(SECRET.to_vec()).with_replay(replay)
}

#[tokio::test]
async fn a_replayed_delivery_reaches_the_handler_once_and_is_counted() {
    let handler = Counter::default();
    let replay = ReplayConfig::new(MemoryGuard::default());
    let stats = Arc::clone(&replay.stats);
    let url = serve(flyio::router(handler.clone(), guarded(replay)).unwrap()).await;
    let body = created("res_1");
    for _ in 0..3 {
        // A replay is answered as an already-delivered event is: 2xx.
        assert_eq!(deliver(&url, &body).await, (204, None));
    }
    assert_eq!(handler.calls(), 1);
    assert_eq!(stats.replays(), 2);
    // Another delivery is another delivery.
    assert_eq!(deliver(&url, &created("res_2")).await, (204, None));
    assert_eq!(handler.calls(), 2);
    // Without a guard, every copy reaches the handler (what replay protection prevents).
    let unguarded = Counter::default();
    let config = ReceiverConfig::new(SECRET.to_vec());
    let url = serve(flyio::router(unguarded.clone(), config).unwrap()).await;
    for _ in 0..3 {
        assert_eq!(deliver(&url, &body).await.0, 204);
    }
    assert_eq!(unguarded.calls(), 3);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_and_a_copy_in_progress_waits() {
    let handler = Counter::default();
    handler.failing.store(true, Ordering::SeqCst);
    let replay = ReplayConfig::new(MemoryGuard::default()).with_lease(Duration::from_secs(7));
    let stats = Arc::clone(&replay.stats);
    let url = serve(flyio::router(handler.clone(), guarded(replay)).unwrap()).await;

    // The handler fails: the claim is released, so the provider's retry is handled.
    let fail = created("res_fail");
    assert_eq!(deliver(&url, &fail).await.0, 500);
    handler.failing.store(false, Ordering::SeqCst);
    assert_eq!(deliver(&url, &fail).await.0, 204);
    assert_eq!(deliver(&url, &fail).await.0, 204);
    assert_eq!(handler.calls(), 2);

    // A copy arriving while the first is handled is asked to come back (not 2xx: the
    // first may still fail).
    let slow = created("res_slow");
    let first = tokio::spawn({
        let url = url.clone();
        let slow = slow.clone();
        async move { deliver(&url, &slow).await }
    });
    while handler.calls() < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(deliver(&url, &slow).await, (503, Some("7".to_owned())));
    handler.release.notify_one();
    assert_eq!(first.await.unwrap(), (204, None));
    assert_eq!(deliver(&url, &slow).await, (204, None));
    assert_eq!(handler.calls(), 3);
    assert_eq!((stats.in_progress(), stats.replays()), (1, 2));
}

#[tokio::test]
async fn the_tower_service_runs_under_plain_hyper() {
    let handler = Counter::default();
    let replay = ReplayConfig::new(MemoryGuard::default());
    let service = flyio::service(handler.clone(), guarded(replay)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    let url = format!("http://{address}{PATH}");
    let body = created("res_hyper");
    assert_eq!(deliver(&url, &body).await.0, 204);
    assert_eq!(deliver(&url, &body).await.0, 204);
    assert_eq!(handler.calls(), 1);
    // The same answers as under axum: a forged signature, an unknown address.
    let forged = reqwest::Client::new()
        .post(&url)
        .header(
            flyio::SIGNATURE_HEADER,
            flyio::sign(b"another-secret-24-bytes", &body),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    assert_eq!(forged.text().await.unwrap(), "invalid signature");
    let nowhere = format!("http://{address}/nowhere");
    assert_eq!(deliver(&nowhere, &body).await.0, 404);
}

#[tokio::test]
async fn tower_middleware_wraps_the_handler_through_the_layer() {
    use webhooks::receiver::{Delivery, HandlerError, Layer as _, Service as _};
    // A handler service of its own, as a user writes one with tower: it sees the
    // decoded message, the route and the headers.
    #[derive(Clone, Default)]
    struct Seen(Arc<std::sync::Mutex<Vec<String>>>);
    impl webhooks::receiver::Service<Delivery<flyio::Message>> for Seen {
        type Response = ();
        type Error = HandlerError;
        type Future = std::future::Ready<Result<(), HandlerError>>;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), HandlerError>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, delivery: Delivery<flyio::Message>) -> Self::Future {
            let provider = delivery
                .context
                .route()
                .param("provider_name")
                .unwrap_or_default();
            let name = match &delivery.message {
                Ok(message) => message.name().unwrap_or("unknown"),
                Err(_) => "undecodable",
            };
            self.0
                .lock()
                .unwrap()
                .push(format!("{name} for {provider}"));
            std::future::ready(Ok(()))
        }
    }
    let seen = Seen::default();
    let layer = flyio::layer(ReceiverConfig::new(SECRET.to_vec())).unwrap();
    let mut service = layer.layer(seen.clone());
    let body = created("res_layer");
    let request = http_request(PATH, &flyio::sign(SECRET, &body), body.clone());
    type Request = webhooks::receiver::axum::http::Request<webhooks::receiver::axum::body::Body>;
    std::future::poll_fn(|cx| webhooks::receiver::Service::<Request>::poll_ready(&mut service, cx))
        .await
        .unwrap();
    let response = service.call(request).await.unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        *seen.0.lock().unwrap(),
        ["ResourceCreated for acme".to_owned()]
    );
}

fn http_request(
    path: &str,
    signature: &str,
    body: Vec<u8>,
) -> webhooks::receiver::axum::http::Request<webhooks::receiver::axum::body::Body> {
    webhooks::receiver::axum::http::Request::post(path)
        .header(flyio::SIGNATURE_HEADER, signature)
        .body(webhooks::receiver::axum::body::Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn two_instances_sharing_redis_handle_each_delivery_once() {
    let redis = RedisServer::start();
    let handler = Counter::default();
    // Two receiver processes behind a load balancer: their own guards (connections),
    // one Redis.
    let mut urls = Vec::new();
    for _ in 0..2 {
        let guard = RedisGuard::connect(&redis.url()).await.unwrap();
        let config = guarded(ReplayConfig::new(guard));
        urls.push(serve(flyio::router(handler.clone(), config).unwrap()).await);
    }
    // Twenty deliveries, each sent to both instances at once and then again to each.
    for n in 0..20 {
        let body = created(&format!("res_{n}"));
        let (a, b) = tokio::join!(deliver(&urls[0], &body), deliver(&urls[1], &body));
        // One handled it; the other saw it in progress (503) or done (204).
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert!(matches!(statuses, [204, 204] | [204, 503]), "{statuses:?}");
        for url in &urls {
            assert_eq!(deliver(url, &body).await.0, 204);
        }
    }
    assert_eq!(handler.calls(), 20);
}

#[tokio::test]
async fn when_redis_is_down_the_receiver_fails_closed_or_open_as_configured() {
    let mut redis = RedisServer::start();
    let closed = Counter::default();
    let open = Counter::default();
    let closed_replay = ReplayConfig::new(RedisGuard::connect(&redis.url()).await.unwrap());
    let open_replay = ReplayConfig::new(
        RedisGuard::connect(&redis.url())
            .await
            .unwrap()
            .with_prefix("open:"),
    )
    .when_unavailable(WhenUnavailable::Process);
    let (closed_stats, open_stats) = (
        Arc::clone(&closed_replay.stats),
        Arc::clone(&open_replay.stats),
    );
    let closed_url = serve(flyio::router(closed.clone(), guarded(closed_replay)).unwrap()).await;
    let open_url = serve(flyio::router(open.clone(), guarded(open_replay)).unwrap()).await;
    let before = created("res_before");
    assert_eq!(deliver(&closed_url, &before).await.0, 204);
    assert_eq!(deliver(&open_url, &before).await.0, 204);

    redis.stop();
    let during = created("res_during");
    // Fail closed (the default): nothing handled, the provider is asked to retry.
    assert_eq!(
        deliver(&closed_url, &during).await,
        (503, Some("5".to_owned()))
    );
    assert_eq!(closed.calls(), 1);
    assert!(closed_stats.unavailable() >= 1);
    // Fail open: handled without the guard, and counted.
    assert_eq!(deliver(&open_url, &during).await.0, 204);
    assert_eq!(open.calls(), 2);
    assert_eq!(open_stats.unguarded(), 1);

    // Redis back (empty: what it remembered is gone): the guard reconnects by itself.
    redis.restart();
    let mut answered = 0;
    for _ in 0..50 {
        answered = deliver(&closed_url, &during).await.0;
        if answered == 204 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered, 204, "the guard did not reconnect");
    assert_eq!(closed.calls(), 2);
    assert_eq!(deliver(&closed_url, &during).await.0, 204);
    assert_eq!(
        closed.calls(),
        2,
        "a replay after the outage reached the handler"
    );
}

/// Another receiver's secret (a tenant, a test endpoint) that an attacker may hold.
const OTHER_SECRET: &[u8] = b"another-receiver-secret-2026";

#[tokio::test]
async fn receivers_with_different_secrets_sharing_a_guard_never_pre_empt_each_other() {
    let redis = RedisServer::start();
    let memory = ReplayConfig::new(MemoryGuard::default());
    for shared in ["memory", "redis"] {
        let (mine, theirs) = match shared {
            "memory" => (memory.clone(), memory.clone()),
            _ => (
                ReplayConfig::new(RedisGuard::connect(&redis.url()).await.unwrap()),
                ReplayConfig::new(RedisGuard::connect(&redis.url()).await.unwrap()),
            ),
        };
        let (victim, attacker) = (Counter::default(), Counter::default());
        let victim_url = serve(flyio::router(victim.clone(), guarded(mine)).unwrap()).await;
        let attacker_config = ReceiverConfig::new(OTHER_SECRET.to_vec()).with_replay(theirs);
        let attacker_url = serve(flyio::router(attacker.clone(), attacker_config).unwrap()).await;
        // The attacker signs the body the provider will send, for the receiver whose
        // secret it holds, first.
        let body = created(&format!("res_{shared}"));
        let forged = reqwest::Client::new()
            .post(&attacker_url)
            .header(flyio::SIGNATURE_HEADER, flyio::sign(OTHER_SECRET, &body))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 204);
        assert_eq!(attacker.calls(), 1);
        // The provider's real delivery still reaches the victim's handler.
        assert_eq!(deliver(&victim_url, &body).await, (204, None), "{shared}");
        assert_eq!(victim.calls(), 1, "{shared}: the delivery was pre-empted");
        // And a replay of it is still a replay.
        assert_eq!(deliver(&victim_url, &body).await, (204, None));
        assert_eq!(victim.calls(), 1, "{shared}");
    }
}

#[tokio::test]
async fn a_lapsed_claimant_cannot_erase_what_another_instance_recorded() {
    use webhooks::replay::{Claim, ClaimToken, DeliveryKey, ReplayGuard};
    let redis = RedisServer::start();
    let guard = RedisGuard::connect(&redis.url()).await.unwrap();
    let key = DeliveryKey([7; 32]);
    let (first, second) = (ClaimToken::new(), ClaimToken::new());
    let short = Duration::from_millis(100);
    assert_eq!(guard.claim(key, first, short).await.unwrap(), Claim::Fresh);
    assert!(guard.extend(key, first, short).await.unwrap());
    assert!(!guard.extend(key, second, short).await.unwrap());
    // Another instance's release leaves the claim alone.
    guard.release(key, second).await.unwrap();
    assert_eq!(
        guard.claim(key, second, short).await.unwrap(),
        Claim::InProgress
    );
    // The first handler outlives its lease; the second instance claims and succeeds.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!guard.extend(key, first, short).await.unwrap());
    assert_eq!(
        guard
            .claim(key, second, Duration::from_secs(60))
            .await
            .unwrap(),
        Claim::Fresh
    );
    guard.complete(key, Duration::from_secs(60)).await.unwrap();
    // The first handler then fails: its release must not erase the done marker.
    guard.release(key, first).await.unwrap();
    assert_eq!(
        guard
            .claim(key, ClaimToken::new(), Duration::from_secs(60))
            .await
            .unwrap(),
        Claim::Done
    );
    // Durations beyond any sense are cut, not refused by Redis.
    let long = DeliveryKey([8; 32]);
    assert_eq!(
        guard.claim(long, first, Duration::MAX).await.unwrap(),
        Claim::Fresh
    );
    guard.complete(long, Duration::MAX).await.unwrap();
    assert_eq!(guard.claim(long, second, short).await.unwrap(), Claim::Done);
}

/// A guard whose claims land but whose answers come too late (a Redis stall longer than
/// the receiver's timeout), while `stalled` is set.
struct Stalling {
    inner: MemoryGuard,
    stalled: Arc<std::sync::atomic::AtomicBool>,
}

impl webhooks::replay::ReplayGuard for Stalling {
    fn claim(
        &self,
        key: webhooks::replay::DeliveryKey,
        token: webhooks::replay::ClaimToken,
        lease: Duration,
    ) -> webhooks::replay::GuardFuture<'_, webhooks::replay::Claim> {
        let stalled = self.stalled.load(Ordering::SeqCst);
        let claim = self.inner.claim(key, token, lease);
        Box::pin(async move {
            let claim = claim.await;
            if stalled {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            claim
        })
    }

    fn extend(
        &self,
        key: webhooks::replay::DeliveryKey,
        token: webhooks::replay::ClaimToken,
        lease: Duration,
    ) -> webhooks::replay::GuardFuture<'_, bool> {
        self.inner.extend(key, token, lease)
    }

    fn complete(
        &self,
        key: webhooks::replay::DeliveryKey,
        window: Duration,
    ) -> webhooks::replay::GuardFuture<'_, ()> {
        self.inner.complete(key, window)
    }

    fn release(
        &self,
        key: webhooks::replay::DeliveryKey,
        token: webhooks::replay::ClaimToken,
    ) -> webhooks::replay::GuardFuture<'_, ()> {
        self.inner.release(key, token)
    }
}

#[tokio::test]
async fn a_claim_whose_answer_was_lost_does_not_block_the_retries() {
    let stalled = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut replay = ReplayConfig::new(Stalling {
        inner: MemoryGuard::default(),
        stalled: Arc::clone(&stalled),
    });
    replay.timeout = Duration::from_millis(100);
    let handler = Counter::default();
    let url = serve(flyio::router(handler.clone(), guarded(replay)).unwrap()).await;
    let body = created("res_stalled");
    // The claim lands, but its answer comes after the timeout: fail closed.
    assert_eq!(deliver(&url, &body).await, (503, Some("5".into())));
    assert_eq!(handler.calls(), 0);
    // The provider retries: the lost claim was released in the background, so the retry
    // is handled at once instead of waiting out a lease.
    stalled.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(deliver(&url, &body).await, (204, None));
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn a_handler_slower_than_its_lease_keeps_its_claim() {
    let replay = ReplayConfig::new(MemoryGuard::default()).with_lease(Duration::from_secs(1));
    let stats = Arc::clone(&replay.stats);
    let handler = Counter::default();
    let url = serve(flyio::router(handler.clone(), guarded(replay)).unwrap()).await;
    let body = created("res_slow");
    let first = tokio::spawn({
        let (url, body) = (url.clone(), body.clone());
        async move { deliver(&url, &body).await }
    });
    // Three leases later, a copy still finds the delivery in progress.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    assert_eq!(deliver(&url, &body).await.0, 503);
    handler.release.notify_one();
    assert_eq!(first.await.unwrap(), (204, None));
    assert_eq!(handler.calls(), 1);
    assert_eq!(stats.leases_lost(), 0);
}

#[tokio::test]
async fn a_redis_that_cannot_keep_the_promise_is_refused_or_reported() {
    use webhooks::queue::RedisQueue;
    use webhooks::replay::ServerCheck;
    // As README asks: no eviction, an append-only file.
    let good = RedisServer::start();
    let guard = RedisGuard::connect(&good.url()).await.unwrap();
    assert!(guard.warnings().is_empty(), "{:?}", guard.warnings());
    let queue = RedisQueue::connect(&good.url(), "kept", "w").await.unwrap();
    assert!(queue.warnings().is_empty(), "{:?}", queue.warnings());
    // Evicting: the guard's keys (they expire) and the queue's (`allkeys-*`) may go.
    let evicting = RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--maxmemory",
        "64mb",
        "--maxmemory-policy",
        "allkeys-lru",
    ]);
    let refused = RedisGuard::connect(&evicting.url()).await.unwrap_err();
    assert!(
        refused.0.contains("maxmemory-policy allkeys-lru"),
        "{refused}"
    );
    let refused = RedisQueue::connect(&evicting.url(), "s", "w")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("allkeys-lru"), "{refused}");
    // `volatile-lru` spares the queue's streams (no expiry), not the guard's keys.
    let volatile = RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--maxmemory",
        "64mb",
        "--maxmemory-policy",
        "volatile-lru",
    ]);
    assert!(RedisGuard::connect(&volatile.url()).await.is_err());
    assert!(RedisQueue::connect(&volatile.url(), "s", "w").await.is_ok());
    // Without persistence a restart forgets everything: refused, or connected with the
    // problem reported when asked.
    let forgetful = RedisServer::start_with(&["--appendonly", "no"]);
    let refused = RedisGuard::connect(&forgetful.url()).await.unwrap_err();
    assert!(refused.0.contains("no persistence"), "{refused}");
    let warned = RedisGuard::connect_checked(&forgetful.url(), ServerCheck::Warn)
        .await
        .unwrap();
    assert_eq!(warned.warnings().len(), 1);
    assert!(warned.warnings()[0].contains("appendonly yes"));
    let warned = RedisQueue::connect_checked(&forgetful.url(), "s", "w", ServerCheck::Warn)
        .await
        .unwrap();
    assert!(warned.warnings()[0].contains("no persistence"));
}
