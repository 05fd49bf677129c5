//! verify + decode of every GitHub example both decode, side by side in one group:
//! Hookgen's generated module against octocrab's hand-written types (plus `hmac`).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hookgen_compare_octocrab::{Delivery, deliveries, hookgen, octocrab};

fn verify_decode(c: &mut Criterion) {
    let Some(all) = deliveries() else {
        eprintln!("SKIPPED: no GitHub examples (set HOOKGEN_CORPUS)");
        return;
    };
    // The same deliveries for both: those each decodes.
    let both: Vec<Delivery> = all
        .into_iter()
        .filter(|d| hookgen(d).is_some() && octocrab(d).is_some())
        .collect();
    let bytes: usize = both.iter().map(|d| d.body.len()).sum();
    let mut group = c.benchmark_group("github verify+decode");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("hookgen/{} examples", both.len()), |b| {
        b.iter(|| {
            for delivery in &both {
                black_box(hookgen(black_box(delivery)));
            }
        });
    });
    group.bench_function(format!("octocrab/{} examples", both.len()), |b| {
        b.iter(|| {
            for delivery in &both {
                black_box(octocrab(black_box(delivery)));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, verify_decode);
criterion_main!(benches);
