//! What hostile input costs, measured under the attacks of SECURITY.md: documents built
//! to blow up the generator (composition that refers twice to the level below, deep
//! flow brackets) must cost about their size, and a signature header stuffed with
//! Ed25519 entries must cost at most `MAX_SIGNATURE_ENTRIES` verifications per key.
//!
//! `cargo bench --bench hostile`; each group's medians grow with the input as stated in
//! SECURITY.md ("Denial of service").

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hookgen_conformance::hostile::{composition, flow_nesting};

fn generator(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut group = c.benchmark_group("hostile/composition");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for levels in [8, 12, 16, 20] {
        let path = dir.path().join(format!("composition{levels}.yaml"));
        std::fs::write(&path, composition(levels)).expect("written");
        let file = hookgen::SpecFile::discover(&path, format!("composition{levels}.yaml"));
        group.bench_with_input(BenchmarkId::new("validate", levels), &file, |b, file| {
            b.iter(|| black_box(hookgen::validate(file)))
        });
        group.bench_with_input(BenchmarkId::new("generate", levels), &file, |b, file| {
            b.iter(|| {
                black_box(hookgen::generate(
                    &hookgen::Settings::default(),
                    std::slice::from_ref(file),
                ))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("hostile/flow-nesting");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for kib in [64, 256, 1024] {
        let path = dir.path().join(format!("nesting{kib}.yaml"));
        std::fs::write(&path, flow_nesting("a: ", kib * 1024)).expect("written");
        let file = hookgen::SpecFile::discover(&path, format!("nesting{kib}.yaml"));
        group.bench_with_input(BenchmarkId::new("validate", kib), &file, |b, file| {
            b.iter(|| black_box(hookgen::validate(file)))
        });
    }
    group.finish();
}

fn signatures(c: &mut Criterion) {
    use webhooks::{STANDARD_WEBHOOKS_V1A, SignedRequest};
    struct At(i64);
    impl webhooks::Clock for At {
        fn now_unix(&self) -> i64 {
            self.0
        }
    }
    // A Standard Webhooks v1a key pair (the seed's public key verifies).
    let secret: &[u8] = b"whsk_YmVuY2gtZWQyNTUxOS1zZWVkLW9mLTMyLWJ5dGVzISE=";
    let body = br#"{"type":"invoice.paid","id":"in_1"}"#;
    // A real signature of another body: well formed, and a full verification to refuse.
    let other = STANDARD_WEBHOOKS_V1A
        .sign_message(secret, "msg_1", 1_700_000_000, b"{}")
        .expect("signs");
    let forged_entry = format!("{other} ");
    let mut group = c.benchmark_group("hostile/ed25519-entries");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    for entries in [1usize, 8, 9, 10_000] {
        // Well-formed entries that do not verify: each one a full verification until the
        // cap, then refused before any.
        let header = forged_entry.repeat(entries);
        let request = SignedRequest {
            signature: Some(&header),
            id: Some("msg_1"),
            timestamp: Some("1700000000"),
            body,
        };
        group.bench_with_input(
            BenchmarkId::new("verify", entries),
            &request,
            |b, request| {
                b.iter(|| {
                    black_box(STANDARD_WEBHOOKS_V1A.verify_request(
                        &[secret],
                        black_box(request),
                        &At(1_700_000_000),
                    ))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, generator, signatures);
criterion_main!(benches);
