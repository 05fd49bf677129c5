//! What a receiver tells its application and its operators: a verified delivery that
//! does not decode reaches the handler with its reason; the handler sees the delivery's
//! context; every refusal travels in the response's extensions; each delivery is one
//! `tracing` span with its outcome, refusals are events with their precise reason, and
//! the `metrics` counters and histograms count them (asserted by name and label).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt as _;
use webhooks::receiver::axum::http::Request;
use webhooks::receiver::{DeliveryContext, HandlerError, ReceiverConfig, Refusal, Service as _};
use webhooks::{DecodeError, openai};

type Body = http_body_util::Full<webhooks::receiver::axum::body::Bytes>;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PATH: &str = "/openai";
const COMPLETED: &str = r#"{"id":"evt_abc123","type":"batch.completed","created_at":1719168000,"data":{"id":"batch_abc123"}}"#;
/// A `batch.completed` whose `data.id` is a number: verified, but not the message.
const STALE: &str =
    r#"{"id":"evt_abc124","type":"batch.completed","created_at":1719168000,"data":{"id":42}}"#;

/// A `batch.completed` whose `created_at` is text holding a terminal control.
const HOSTILE: &str =
    r#"{"id":"evt_abc125","type":"batch.completed","created_at":"\u001b[2J","data":{"id":"b"}}"#;

/// What the handler saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>, bool);

impl Seen {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl openai::Handler for Seen {
    async fn batch_completed(
        &self,
        delivery: &DeliveryContext,
        payload: openai::WebhookBatchCompleted,
    ) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(format!(
            "completed {} id={} at={} attempt={} event={}",
            payload.data.id,
            delivery.delivery_id().unwrap_or("-"),
            delivery.route().template(),
            delivery.attempt(),
            delivery.header("webhook-id").unwrap_or("-"),
        ));
        Ok(())
    }

    async fn undecodable(
        &self,
        delivery: &DeliveryContext,
        error: DecodeError,
    ) -> Result<(), HandlerError> {
        if !self.1 {
            return Err(webhooks::receiver::Undecodable(error).into());
        }
        self.0.lock().unwrap().push(format!(
            "undecodable {} at {} ({} body bytes, id {})",
            error.message().unwrap_or("-"),
            error.path().unwrap_or("-"),
            delivery.body().len(),
            delivery.delivery_id().unwrap_or("-"),
        ));
        Ok(())
    }
}

fn signer() -> webhooks::testing::TestSigner {
    openai::test_signer(SECRET)
}

fn request(body: &str, id: &str) -> Request<Body> {
    signer()
        .id(id)
        .sign_body(PATH, body.as_bytes())
        .unwrap()
        .http_request()
}

async fn send(handler: Seen, request: Request<Body>) -> (u16, String, Option<Refusal>) {
    let mut service = openai::service(handler, ReceiverConfig::new(SECRET)).unwrap();
    let response = service.call(request).await.unwrap();
    let status = response.status().as_u16();
    let refusal = response.extensions().get::<Refusal>().cloned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned(), refusal)
}

#[tokio::test]
async fn a_verified_delivery_that_does_not_decode_reaches_the_handler() {
    let handler = Seen(Arc::default(), true);
    let (status, _, refusal) = send(handler.clone(), request(STALE, "msg_stale")).await;
    assert_eq!(status, 204);
    assert!(refusal.is_none());
    assert_eq!(
        handler.lines(),
        [format!(
            "undecodable batch_completed at data.id ({} body bytes, id msg_stale)",
            STALE.len()
        )]
    );
}

#[tokio::test]
async fn by_default_an_undecodable_delivery_is_answered_400_with_its_reason() {
    let handler = Seen::default();
    let (status, body, refusal) = send(handler.clone(), request(STALE, "msg_stale")).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("invalid `batch_completed` payload at `data.id`"),
        "{body}"
    );
    assert!(body.contains("expected a string"), "{body}");
    match refusal {
        Some(Refusal::Undecodable(error)) => assert_eq!(error.path(), Some("data.id")),
        other => panic!("{other:?}"),
    }
    assert!(handler.lines().is_empty());
}

#[tokio::test]
async fn the_handler_sees_the_delivery_context() {
    let handler = Seen::default();
    let (status, _, _) = send(handler.clone(), request(COMPLETED, "msg_ctx_1")).await;
    assert_eq!(status, 204);
    assert_eq!(
        handler.lines(),
        ["completed batch_abc123 id=msg_ctx_1 at=/openai attempt=1 event=msg_ctx_1"]
    );
}

#[tokio::test]
async fn every_refusal_travels_in_the_response_extensions() {
    let forged = {
        let mut request = request(COMPLETED, "msg_forged");
        request.headers_mut().insert(
            "webhook-signature",
            "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
                .parse()
                .unwrap(),
        );
        request
    };
    let (status, body, refusal) = send(Seen::default(), forged).await;
    assert_eq!((status, body.as_str()), (401, "invalid signature"));
    match refusal {
        Some(Refusal::Unauthorized(reason)) => assert_eq!(reason.kind(), "mismatch"),
        other => panic!("{other:?}"),
    }
    let elsewhere = signer()
        .sign_body("/elsewhere", COMPLETED.as_bytes())
        .unwrap()
        .http_request();
    let (status, _, refusal) = send(Seen::default(), elsewhere).await;
    assert_eq!(status, 404);
    assert!(matches!(refusal, Some(Refusal::NotFound)));
}

/// The fields of spans and events, as text, in the order they were recorded.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Captures>>);

#[derive(Default)]
struct Captures {
    spans: BTreeMap<u64, (String, BTreeMap<String, String>)>,
    events: Vec<(tracing::Level, BTreeMap<String, String>)>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S> tracing_subscriber::Layer<S> for Captured
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let name = attrs.metadata().name().to_owned();
        self.0
            .lock()
            .unwrap()
            .spans
            .insert(id.into_u64(), (name, fields));
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Some((_, fields)) = self.0.lock().unwrap().spans.get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let level = *event.metadata().level();
        self.0.lock().unwrap().events.push((level, fields));
    }
}

/// Runs `deliveries` through a receiver with a capturing subscriber and a local
/// metrics recorder; returns what was captured and the metrics as
/// `name{label=value,...} value` lines.
fn observed(deliveries: Vec<(Seen, Request<Body>)>) -> (Captured, Vec<String>) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                for (handler, request) in deliveries {
                    send(handler, request).await;
                }
            })
        })
    });
    let mut metrics: Vec<String> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let value = match value {
                metrics_util::debugging::DebugValue::Counter(n) => n.to_string(),
                metrics_util::debugging::DebugValue::Gauge(g) => g.to_string(),
                metrics_util::debugging::DebugValue::Histogram(h) => format!("{} samples", h.len()),
            };
            format!("{}{{{}}} {value}", key.key().name(), labels.join(","))
        })
        .collect();
    metrics.sort();
    (captured, metrics)
}

#[test]
fn each_delivery_is_a_span_with_its_outcome_and_each_refusal_an_event_with_its_reason() {
    let forged = {
        let mut request = request(COMPLETED, "msg_forged");
        request
            .headers_mut()
            .insert("webhook-timestamp", "1".parse().unwrap());
        request
    };
    let (captured, _) = observed(vec![
        (Seen::default(), request(COMPLETED, "msg_ok")),
        (Seen::default(), request(STALE, "msg_stale")),
        (Seen::default(), request(HOSTILE, "msg_hostile")),
        (Seen::default(), forged),
    ]);
    let captures = captured.0.lock().unwrap();
    let spans: Vec<&BTreeMap<String, String>> = captures
        .spans
        .values()
        .filter(|(name, _)| name == "webhook")
        .map(|(_, fields)| fields)
        .collect();
    assert_eq!(spans.len(), 4);
    let field =
        |span: &BTreeMap<String, String>, name: &str| span.get(name).cloned().unwrap_or_default();
    let ok = spans[0];
    assert_eq!(field(ok, "spec"), "openai");
    assert_eq!(field(ok, "route"), "/openai");
    assert_eq!(field(ok, "delivery_id"), "msg_ok");
    assert_eq!(field(ok, "message"), "batch_completed");
    assert_eq!(field(ok, "outcome"), "handled");
    assert_eq!(field(ok, "status"), "204");
    let stale = spans[1];
    assert_eq!(field(stale, "delivery_id"), "msg_stale");
    assert_eq!(field(stale, "message"), "batch_completed");
    assert_eq!(field(stale, "outcome"), "undecodable");
    assert_eq!(field(stale, "status"), "400");
    let forged = spans[3];
    assert_eq!(field(forged, "outcome"), "unauthorized");
    assert_eq!(field(forged, "status"), "401");
    assert!(
        !forged.contains_key("message"),
        "nothing is decoded before verification"
    );

    let event = |outcome: &str| {
        captures
            .events
            .iter()
            .find(|(_, fields)| fields.get("outcome").map(String::as_str) == Some(outcome))
            .cloned()
            .unwrap_or_else(|| panic!("no {outcome} event"))
    };
    let (level, undecodable) = event("undecodable");
    assert_eq!(level, tracing::Level::WARN);
    assert_eq!(undecodable["reason"], "invalid_payload");
    assert_eq!(undecodable["path"], "data.id");
    assert!(undecodable["detail"].contains("expected a string"));
    // Body text quoted by a reason reaches the log escaped: no terminal control.
    let hostile = captures
        .events
        .iter()
        .filter_map(|(_, fields)| fields.get("detail"))
        .find(|detail| detail.contains("created_at") || detail.contains("2J"))
        .expect("the hostile body's reason is logged");
    assert!(!hostile.contains('\u{1b}'), "{hostile}");
    assert!(hostile.contains("\\u{1b}[2J"), "{hostile}");
    let (level, unauthorized) = event("unauthorized");
    assert_eq!(level, tracing::Level::WARN);
    assert_eq!(unauthorized["reason"], "outside_tolerance");
    // Never a secret, nor any part of it.
    let everything = format!("{:?}", captures.events) + &format!("{:?}", captures.spans);
    assert!(!everything.contains(&SECRET[6..16]));
}

#[test]
fn deliveries_are_counted_by_outcome_and_signature_failures_by_reason() {
    let missing = {
        let mut request = request(COMPLETED, "msg_missing");
        request.headers_mut().remove("webhook-signature");
        request
    };
    let (_, metrics) = observed(vec![
        (Seen::default(), request(COMPLETED, "msg_1")),
        (Seen::default(), request(COMPLETED, "msg_2")),
        (Seen::default(), request(STALE, "msg_3")),
        (Seen(Arc::default(), true), request(STALE, "msg_4")),
        (Seen::default(), missing),
    ]);
    let expected = [
        "hookgen_deliveries_total{spec=openai,outcome=handled,status=204} 3",
        "hookgen_deliveries_total{spec=openai,outcome=undecodable,status=400} 1",
        "hookgen_deliveries_total{spec=openai,outcome=unauthorized,status=401} 1",
        "hookgen_signature_failures_total{spec=openai,reason=missing} 1",
        "hookgen_handler_duration_seconds{spec=openai,message=batch_completed,result=ok} 2 samples",
        "hookgen_handler_duration_seconds{spec=openai,message=batch_completed,result=undecodable} 1 samples",
        "hookgen_handler_duration_seconds{spec=openai,message=batch_completed,result=undecodable_accepted} 1 samples",
        "hookgen_delivery_duration_seconds{spec=openai,outcome=handled} 3 samples",
    ];
    for line in expected {
        assert!(
            metrics.iter().any(|m| m == line),
            "no `{line}` in:\n{}",
            metrics.join("\n")
        );
    }
}

#[test]
fn a_queue_worker_reports_the_depth_and_counts_what_it_settles() {
    use webhooks::queue::{DeliveryQueue as _, MemoryQueue, WorkerStats};
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let queue = Arc::new(MemoryQueue::new(8));
    let handler = Seen::default();
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let mut service = openai::queued(queue.clone(), ReceiverConfig::new(SECRET)).unwrap();
            for id in ["msg_q1", "msg_q2"] {
                let response = service.call(request(COMPLETED, id)).await.unwrap();
                assert_eq!(response.status(), 204);
            }
            queue.close();
            openai::process(
                queue.clone(),
                handler.clone(),
                Arc::new(WorkerStats::default()),
            )
            .await;
        })
    });
    assert_eq!(handler.lines().len(), 2);
    let metrics: Vec<String> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| format!("{} {value:?}", key.key().name()))
        .collect();
    let has = |line: &str| metrics.iter().any(|m| m == line);
    assert!(has("hookgen_queue_depth Gauge(2.0)"), "{metrics:?}");
    assert!(
        has("hookgen_queue_processed_total Counter(2)"),
        "{metrics:?}"
    );
    assert!(
        metrics
            .iter()
            .any(|m| m.starts_with("hookgen_queue_wait_seconds Histogram")),
        "{metrics:?}"
    );
}
