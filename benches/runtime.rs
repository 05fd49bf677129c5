//! Runtime benchmarks: what a receiver pays per webhook through the generated crate,
//! each against a hand-written baseline in the same group (a plain serde struct and a
//! direct `hmac` verify), so the ratio is measured in one run.
//!
//! `cargo bench --bench runtime`; `scripts/bench-report.py` prints the median ratios.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

const SECRET: &[u8] = b"whsec_benchmark_secret";

/// The hand-written way: HMAC-SHA256 of the body, compared with the hex header.
fn baseline_verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let Ok(signature) = hex::decode(header) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

fn baseline_sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Hand-written payload types: the fields of each provider's example, as one would
/// write them for one event (no routing, no discriminator, no unknown events).
#[allow(dead_code)] // Fields are decoded (that is the cost measured), never read.
mod baseline {
    use super::*;

    #[derive(Deserialize)]
    pub struct FlyCloudEvent {
        pub specversion: String,
        #[serde(rename = "type")]
        pub ty: String,
        pub source: String,
        pub id: String,
        pub time: Option<String>,
        pub datacontenttype: Option<String>,
        pub data: Option<serde_json::Map<String, Value>>,
    }

    #[derive(Deserialize)]
    pub struct FlagsmithAuthor {
        pub id: Option<i64>,
        pub email: Option<String>,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct FlagsmithAuditLog {
        pub id: Option<i64>,
        pub created_date: Option<String>,
        pub log: Option<String>,
        pub author: Option<FlagsmithAuthor>,
        pub environment: Option<String>,
        pub project: Option<String>,
        pub related_object_id: Option<i64>,
        pub related_object_type: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct FlagsmithOrganisationEvent {
        pub data: Option<FlagsmithAuditLog>,
        pub event_type: Option<String>,
        pub timestamp: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct AirmyRun {
        pub id: String,
        pub agent_id: Option<String>,
        pub status: Option<String>,
        pub output: Option<Value>,
        pub latency_ms: Option<u64>,
        pub tokens_used: Option<u64>,
    }

    #[derive(Deserialize)]
    pub struct AirmyRunCompleted {
        pub id: String,
        #[serde(rename = "type")]
        pub ty: String,
        pub created_at: String,
        pub data: AirmyRun,
    }

    #[derive(Deserialize)]
    pub struct FlymyaiRun {
        pub run_id: String,
        pub agent_id: String,
        pub agent_name: Option<String>,
        pub status: String,
        pub duration_ms: Option<u64>,
        pub input: Option<Value>,
        pub output: Option<Value>,
    }

    #[derive(Deserialize)]
    pub struct FlymyaiRunCompleted {
        pub event: String,
        pub timestamp: String,
        pub data: FlymyaiRun,
    }
}

/// One provider's case: a body, where it arrives, and each half of both ways to take it.
struct Case {
    name: &'static str,
    address: &'static str,
    body: Vec<u8>,
    sign: fn(&[u8], &[u8]) -> String,
    verify: fn(&[u8], &str) -> bool,
    decode: fn(&str, &[u8]) -> bool,
    decode_type: fn(&[u8]) -> bool,
    decode_baseline: fn(&[u8]) -> bool,
}

/// A provider's case from its generated module, the generated payload type of the body,
/// and the hand-written type that stands for it.
macro_rules! case {
    ($name:expr, $address:expr, $body:expr, $module:ident, $payload:ident, $baseline:ident) => {
        Case {
            name: $name,
            address: $address,
            body: $body,
            sign: webhooks::$module::sign,
            verify: |body, header| webhooks::$module::verify(SECRET, header, body).is_ok(),
            decode: |address, body| black_box(webhooks::$module::decode(address, body)).is_ok(),
            decode_type: |body| {
                black_box(serde_json::from_slice::<webhooks::$module::$payload>(body)).is_ok()
            },
            decode_baseline: |body| {
                black_box(serde_json::from_slice::<baseline::$baseline>(body)).is_ok()
            },
        }
    };
}

fn example(messages: &[webhooks::MessageInfo], name: &str) -> Vec<u8> {
    let info = messages.iter().find(|m| m.name == name).expect("message");
    info.examples[0].as_bytes().to_vec()
}

/// An AIRMY or FlyMy.AI `run.completed` whose `output` is about 1 MB of records.
fn large(example: &[u8]) -> Vec<u8> {
    let mut event: Value = serde_json::from_slice(example).expect("example is JSON");
    let rows: Vec<Value> = (0..7000)
        .map(|i| {
            serde_json::json!({
                "row": i,
                "name": format!("lead-{i}"),
                "score": f64::from(i) / 7.0,
                "tags": ["warm", "enterprise", "q3"],
                "note": "Scaling team; evaluating engineering productivity tools for Q3.",
            })
        })
        .collect();
    event["data"]["output"] = serde_json::json!({ "rows": rows });
    serde_json::to_vec(&event).expect("serializes")
}

fn cases() -> Vec<Case> {
    let flyio = example(webhooks::flyio::MESSAGES, "MachineStarted");
    let flagsmith = example(webhooks::flagsmith::MESSAGES, "OrganisationWebhookEvent");
    let airmy = example(webhooks::airmy::MESSAGES, "RunCompleted");
    let flymyai = example(webhooks::flymyai::MESSAGES, "RunCompleted");
    let (airmy_large, flymyai_large) = (large(&airmy), large(&flymyai));
    vec![
        case!(
            "flyio",
            "/extensions/events",
            flyio,
            flyio,
            CloudEventPayload,
            FlyCloudEvent
        ),
        case!(
            "flagsmith",
            "/organisation-webhook",
            flagsmith,
            flagsmith,
            OrganisationWebhookPayload,
            FlagsmithOrganisationEvent
        ),
        case!(
            "airmy",
            "/hooks/airmy",
            airmy,
            airmy,
            RunCompletedEvent,
            AirmyRunCompleted
        ),
        case!(
            "airmy-1MB",
            "/hooks/airmy",
            airmy_large,
            airmy,
            RunCompletedEvent,
            AirmyRunCompleted
        ),
        case!(
            "flymyai",
            "/webhooks/flymy",
            flymyai,
            flymyai,
            RunCompletedEvent,
            FlymyaiRunCompleted
        ),
        case!(
            "flymyai-1MB",
            "/webhooks/flymy",
            flymyai_large,
            flymyai,
            RunCompletedEvent,
            FlymyaiRunCompleted
        ),
    ]
}

impl Case {
    /// What a receiver does with the generated crate: verify, then decode by address.
    fn hookgen(&self, address: &str, body: &[u8], header: &str) -> bool {
        (self.verify)(body, header) && (self.decode)(address, body)
    }

    /// The hand-written way: a direct `hmac` verify, then the plain struct.
    fn baseline(&self, body: &[u8], header: &str) -> bool {
        baseline_verify(SECRET, header, body) && (self.decode_baseline)(body)
    }
}

fn verify_and_decode(c: &mut Criterion) {
    for case in cases() {
        let header = (case.sign)(SECRET, &case.body);
        // Both sides must accept the body, or the comparison means nothing.
        assert!(
            case.hookgen(case.address, &case.body, &header),
            "{}: hookgen rejects",
            case.name
        );
        assert!(
            case.baseline(&case.body, &header),
            "{}: baseline rejects",
            case.name
        );
        assert!(
            (case.decode_type)(&case.body),
            "{}: the payload type rejects",
            case.name
        );
        let mut group = c.benchmark_group(format!("verify+decode/{}", case.name));
        group.throughput(Throughput::Bytes(case.body.len() as u64));
        if case.body.len() > 100_000 {
            group.sample_size(30);
        }
        group.bench_function("baseline", |b| {
            b.iter(|| case.baseline(black_box(&case.body), black_box(&header)))
        });
        group.bench_function("hookgen", |b| {
            b.iter(|| {
                case.hookgen(
                    black_box(case.address),
                    black_box(&case.body),
                    black_box(&header),
                )
            })
        });
        group.finish();

        // Where the time goes: each half alone, and the generated payload type decoded
        // directly (no routing, no discriminator), each against its hand-written half.
        let mut group = c.benchmark_group(format!("parts/{}", case.name));
        group.throughput(Throughput::Bytes(case.body.len() as u64));
        if case.body.len() > 100_000 {
            group.sample_size(30);
        }
        group.bench_function("verify-baseline", |b| {
            b.iter(|| baseline_verify(SECRET, black_box(&header), black_box(&case.body)))
        });
        group.bench_function("verify-hookgen", |b| {
            b.iter(|| (case.verify)(black_box(&case.body), black_box(&header)))
        });
        group.bench_function("decode-baseline", |b| {
            b.iter(|| (case.decode_baseline)(black_box(&case.body)))
        });
        group.bench_function("decode-hookgen-type", |b| {
            b.iter(|| (case.decode_type)(black_box(&case.body)))
        });
        group.bench_function("decode-hookgen", |b| {
            b.iter(|| (case.decode)(black_box(case.address), black_box(&case.body)))
        });
        group.finish();
    }
}

fn sign(c: &mut Criterion) {
    let body = example(webhooks::airmy::MESSAGES, "RunCompleted");
    let mut group = c.benchmark_group("sign/airmy");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("baseline", |b| {
        b.iter(|| baseline_sign(SECRET, black_box(&body)))
    });
    group.bench_function("hookgen", |b| {
        b.iter(|| webhooks::airmy::sign(SECRET, black_box(&body)))
    });
    group.finish();
}

/// The plain scan the index replaced: literal templates first, then the first match.
fn linear_route(templates: &[&'static str], address: &str) -> Option<usize> {
    if let Some(i) = templates
        .iter()
        .position(|t| !t.contains('{') && *t == address)
    {
        return Some(i);
    }
    templates.iter().position(|t| {
        t.contains('{') && hookgen_runtime::routing::match_template(t, address).is_some()
    })
}

fn route(c: &mut Criterion) {
    let mut group = c.benchmark_group("route/shared-prefix");
    for n in [10usize, 100, 1_000, 10_000] {
        let templates: Vec<&'static str> = (0..n)
            .map(|i| &*Box::leak(format!("/tenants/{{tenant}}/events/e{i}").into_boxed_str()))
            .collect();
        let index = hookgen_runtime::routing::TemplateIndex::new(templates.iter().copied());
        // The last channel: the worst case of a scan.
        let address = format!("/tenants/acme/events/e{}", n - 1);
        assert_eq!(index.find(&address).map(|(i, _)| i), Some(n - 1));
        assert_eq!(linear_route(&templates, &address), Some(n - 1));
        group.bench_with_input(BenchmarkId::new("baseline-linear", n), &address, |b, a| {
            b.iter(|| linear_route(&templates, black_box(a)))
        });
        group.bench_with_input(BenchmarkId::new("hookgen", n), &address, |b, a| {
            b.iter(|| index.find(black_box(a)))
        });
    }
    group.finish();
}

/// What replay protection adds to a delivery: verify + decode alone (the baseline), then
/// with the replay key and a claim and completion in a [`MemoryGuard`] (100 000 entries,
/// full, so every claim also evicts), and in a [`RedisGuard`] on a local `redis-server`
/// (two round trips over loopback). Each iteration claims a fresh key.
fn replay(c: &mut Criterion) {
    use webhooks::replay::{ClaimToken, DeliveryKey, MemoryGuard, RedisGuard, ReplayGuard};
    let body = example(webhooks::airmy::MESSAGES, "RunCompleted");
    let header = webhooks::airmy::sign(SECRET, &body);
    let scheme = webhooks::airmy::SIGNATURE;
    let request = webhooks::SignedRequest {
        signature: Some(&header),
        id: None,
        timestamp: None,
        body: &body,
    };
    let receive = || {
        webhooks::airmy::verify(SECRET, black_box(&header), black_box(&body)).is_ok()
            && webhooks::airmy::decode("/hooks/airmy", black_box(&body)).is_ok()
    };
    let mut counter = 0u64;
    let mut fresh_key = || {
        counter += 1;
        let mut key = scheme
            .replay_key("airmy", SECRET, black_box(&request))
            .expect("verified");
        key[..8].copy_from_slice(&counter.to_le_bytes());
        DeliveryKey(key)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let minute = std::time::Duration::from_secs(60);
    let redis = hookgen_conformance::redis::RedisServer::start();
    let redis_guard = runtime
        .block_on(RedisGuard::connect(&redis.url()))
        .expect("redis");
    let memory_guard = MemoryGuard::new(100_000);
    let guarded = |guard: &dyn ReplayGuard, key: DeliveryKey| {
        runtime.block_on(async {
            guard
                .claim(key, ClaimToken::new(), minute)
                .await
                .expect("claims");
            guard.complete(key, minute).await.expect("completes");
        })
    };
    // Fill the memory guard, so the measured claims run at capacity.
    for _ in 0..100_000 {
        guarded(&memory_guard, fresh_key());
    }
    let mut group = c.benchmark_group("replay/airmy");
    group.bench_function("baseline", |b| b.iter(|| assert!(receive())));
    group.bench_function("memory-guard", |b| {
        b.iter(|| {
            assert!(receive());
            guarded(&memory_guard, fresh_key());
        })
    });
    group.bench_function("redis-guard", |b| {
        b.iter(|| {
            assert!(receive());
            guarded(&redis_guard, fresh_key());
        })
    });
    group.finish();
}

/// What the receiver's tracing and metrics cost per delivery: the whole tower service
/// (read, verify, decode, handler) for an AIRMY delivery with no subscriber or recorder
/// installed, and with a `tracing` subscriber formatting every event (into a sink) and a
/// `metrics` recorder; baseline: verify and decode alone.
fn observability(c: &mut Criterion) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use webhooks::receiver::{ReceiverConfig, Service as _};
    struct Accept;
    impl webhooks::airmy::Handler for Accept {}
    let body = example(webhooks::airmy::MESSAGES, "RunCompleted");
    let header = webhooks::airmy::sign(SECRET, &body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut service =
        webhooks::airmy::service(Accept, ReceiverConfig::new(SECRET.to_vec())).expect("a service");
    let mut deliver = || {
        let request = webhooks::receiver::axum::http::Request::post("/hooks/airmy")
            .header(webhooks::airmy::SIGNATURE_HEADER, header.as_str())
            .body(http_body_util::Full::new(
                webhooks::receiver::axum::body::Bytes::from(body.clone()),
            ))
            .expect("a request");
        let response = runtime.block_on(service.call(request)).expect("answers");
        assert_eq!(response.status(), 204);
    };
    let mut group = c.benchmark_group("observability/airmy");
    group.bench_function("baseline", |b| {
        b.iter(|| {
            assert!(webhooks::airmy::verify(SECRET, black_box(&header), black_box(&body)).is_ok());
            assert!(webhooks::airmy::decode("/hooks/airmy", black_box(&body)).is_ok());
        })
    });
    group.bench_function("service", |b| b.iter(&mut deliver));
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink));
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    tracing::subscriber::with_default(subscriber, || {
        metrics::with_local_recorder(&recorder, || {
            group.bench_function("service+subscriber+recorder", |b| b.iter(&mut deliver));
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    verify_and_decode,
    sign,
    route,
    replay,
    observability
);
criterion_main!(benches);
