//! What a `MemoryGuard` holds per remembered delivery: fills one with N handled
//! deliveries (default 100 000) and prints the process's resident memory before and after.
//!
//! `cargo run --release --example replay_memory [N]`

use std::time::Duration;

use webhooks::replay::{ClaimToken, DeliveryKey, MemoryGuard, ReplayGuard};

/// Resident memory in KiB, from `/proc/self/statm` (Linux).
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let guard = MemoryGuard::new(usize::try_from(n).expect("fits"));
    let before = resident_kib();
    let window = Duration::from_secs(600);
    runtime.block_on(async {
        for i in 0..n {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&i.to_le_bytes());
            let key = DeliveryKey(key);
            guard
                .claim(key, ClaimToken::new(), Duration::from_secs(60))
                .await
                .expect("claims");
            guard.complete(key, window).await.expect("completes");
        }
    });
    let after = resident_kib();
    println!(
        "{n} deliveries remembered: {} entries, resident {before} KiB -> {after} KiB, {:.0} bytes per delivery",
        guard.len(),
        (after.saturating_sub(before) * 1024) as f64 / n as f64
    );
}
