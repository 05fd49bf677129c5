//! Delivery rules a provider documents for its webhooks: how often it tries, how long
//! it waits between attempts, and what counts as an acknowledgement.

/// A provider's documented delivery policy, from the spec's `x-hookgen-delivery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryPolicy {
    /// How many times a delivery is attempted in all (the first try included).
    pub attempts: u32,
    /// The waits between attempts, in milliseconds, as documented.
    pub backoff_ms: &'static [u64],
    /// How long the sender waits for a response to one attempt, in milliseconds.
    pub timeout_ms: u64,
    /// What the sender treats as success (for example `2xx`).
    pub success: &'static str,
    /// When the sender retries, as documented (for example `non-2xx, timeout`).
    pub retry_on: &'static str,
    /// Anything else the provider's documents say about delivery.
    pub notes: &'static str,
}
