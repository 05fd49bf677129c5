//! Values no other call of this or any other process returns: claim tokens, message
//! ids, jitter. Not for keys: a per-process random seed (std's `RandomState`), a counter,
//! the time and the process id, hashed.

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// 16 bytes unique to this call: a hash of the seed, a counter, the time and the
/// process id, then the counter itself.
pub(crate) fn unique_bytes() -> [u8; 16] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static SEED: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    let seed = SEED.get_or_init(std::collections::hash_map::RandomState::new);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut high = seed.build_hasher();
    high.write_u64(count);
    high.write_u128(now);
    high.write_u32(std::process::id());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.finish().to_le_bytes());
    bytes[8..].copy_from_slice(&count.to_le_bytes());
    bytes
}

/// A number spread evenly over `[0, 1)`.
#[cfg(feature = "tower")]
pub(crate) fn unit_random() -> f64 {
    let bytes = unique_bytes();
    let mut high = [0u8; 8];
    high.copy_from_slice(&bytes[..8]);
    (u64::from_le_bytes(high) >> 11) as f64 / (1u64 << 53) as f64
}

/// A fresh message id, `msg_` and 32 hexadecimal digits.
pub(crate) fn message_id() -> String {
    format!("msg_{}", hex::encode(unique_bytes()))
}
