//! Shutting down under load without losing or repeating work: `serve_with_shutdown`
//! stops accepting when its signal fires, lets every delivery in flight finish and be
//! answered, and returns; in queue mode the queue is then closed and the worker drains
//! what was accepted. Every delivery answered 204 is handled exactly once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use webhooks::flyio;
use webhooks::queue::{DeliveryQueue as _, MemoryQueue, WorkerStats};
use webhooks::receiver::{DeliveryContext, HandlerError, ReceiverConfig, ServerLimits};

mod common;

use common::{PATH, SECRET, created, deliver};

/// Counts each resource it handles, slowly (so deliveries are in flight at the signal).
#[derive(Clone, Default)]
struct Slow(Arc<Mutex<BTreeMap<String, usize>>>);

impl flyio::Handler for Slow {
    async fn resource_created(
        &self,
        _: &DeliveryContext,
        payload: flyio::ProviderWebhookPayload,
    ) -> Result<(), HandlerError> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        *self
            .0
            .lock()
            .unwrap()
            .entry(payload.resource_id)
            .or_default() += 1;
        Ok(())
    }
}

/// Serves `app` until the returned sender fires; the join handle gives the outcome.
async fn serve(
    app: webhooks::receiver::axum::Router,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<webhooks::receiver::Shutdown>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(webhooks::receiver::serve_with_shutdown(
        listener,
        app,
        ServerLimits::default(),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(10),
    ));
    (base, stop, server)
}

/// Posts `n` deliveries at once; the signal fires while they are being handled.
async fn under_load(base: &str, n: usize, stop: tokio::sync::oneshot::Sender<()>) -> Vec<u16> {
    let posts: Vec<_> = (0..n)
        .map(|i| {
            let url = format!("{base}{PATH}");
            tokio::spawn(async move { deliver(&url, &created(&format!("res_{i}"))).await.0 })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).unwrap();
    let mut statuses = Vec::new();
    for post in posts {
        statuses.push(post.await.unwrap());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_in_flight_finish_when_the_receiver_shuts_down() {
    let handler = Slow::default();
    let app = flyio::router(handler.clone(), ReceiverConfig::new(SECRET.to_vec())).unwrap();
    let (base, stop, server) = serve(app).await;
    let statuses = under_load(&base, 16, stop).await;
    assert_eq!(
        statuses,
        vec![204; 16],
        "every delivery in flight was answered"
    );
    let shutdown = server.await.unwrap().unwrap();
    assert_eq!(shutdown.abandoned, 0);
    let handled = handler.0.lock().unwrap().clone();
    assert_eq!(handled.len(), 16);
    assert!(handled.values().all(|n| *n == 1), "{handled:?}");
    // No longer accepting.
    let refused = reqwest::Client::new()
        .post(format!("{base}{PATH}"))
        .body("{}")
        .send()
        .await;
    assert!(refused.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_queue_mode_the_worker_drains_what_was_accepted() {
    let handler = Slow::default();
    let queue = Arc::new(MemoryQueue::new(64));
    let stats = Arc::new(WorkerStats::default());
    let worker = tokio::spawn(flyio::process(
        queue.clone(),
        handler.clone(),
        stats.clone(),
    ));
    let service = flyio::queued(queue.clone(), ReceiverConfig::new(SECRET.to_vec())).unwrap();
    let app = webhooks::receiver::axum::Router::new().fallback_service(service);
    let (base, stop, server) = serve(app).await;
    let statuses = under_load(&base, 12, stop).await;
    let accepted = statuses.iter().filter(|s| **s == 204).count();
    assert_eq!(accepted, 12);
    server.await.unwrap().unwrap();
    // The receiver is down; the queue stops intake and the worker drains it.
    queue.close();
    tokio::time::timeout(Duration::from_secs(20), worker)
        .await
        .expect("the worker drains and ends")
        .unwrap();
    let handled = handler.0.lock().unwrap().clone();
    assert_eq!(handled.len(), accepted);
    assert!(handled.values().all(|n| *n == 1), "{handled:?}");
    assert_eq!(stats.processed(), accepted as u64);
}
