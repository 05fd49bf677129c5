//! What a receiver tells operators: a `tracing` span per delivery with its outcome, an
//! event per refusal with its precise reason, and `metrics` counters and histograms.
//! Subscribers and exporters are the application's (tower-http's convention); without
//! them, both cost a check of a global each.
//!
//! Text that came from the request (ids, paths, error reasons quoting the body) is
//! passed through [`printable`] first: no control character reaches a log line. Secrets
//! never do; bodies only at `trace` level, and only through [`printable`].
//!
//! Metric names (labels in brackets):
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `hookgen_deliveries_total` | counter | `spec`, `outcome`, `status` |
//! | `hookgen_signature_failures_total` | counter | `spec`, `reason` |
//! | `hookgen_delivery_duration_seconds` | histogram | `spec`, `outcome` |
//! | `hookgen_handler_duration_seconds` | histogram | `spec`, `message`, `result` |
//! | `hookgen_replay_guard_unavailable_total` | counter | `spec` |
//! | `hookgen_queue_wait_seconds` | histogram | `spec` |
//! | `hookgen_queue_processed_total` | counter | `spec`, `result` |
//! | `hookgen_queue_unavailable_total` | counter | `spec` |
//! | `hookgen_connections_closed_total` | counter | `reason` (`address_share`, `stalled_head`) |
//! | `hookgen_queue_depth` | gauge | `spec` |
//! | `hookgen_queue_oldest_age_seconds` | gauge | `spec` |

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

/// The metric names, for dashboards and tests.
pub mod names {
    /// Deliveries answered, by `outcome` (`handled`, `replay` or the refusal's kind) and `status`.
    pub const DELIVERIES: &str = "hookgen_deliveries_total";
    /// Signature failures, by `reason` ([`crate::SignatureError::kind`]).
    pub const SIGNATURE_FAILURES: &str = "hookgen_signature_failures_total";
    /// Time from the request to its answer, by `outcome`.
    pub const DELIVERY_DURATION: &str = "hookgen_delivery_duration_seconds";
    /// Time in the handler, by `message` and `result` (`ok`, `error`, `undecodable`).
    pub const HANDLER_DURATION: &str = "hookgen_handler_duration_seconds";
    /// Guard operations that did not answer in time or failed.
    pub const GUARD_UNAVAILABLE: &str = "hookgen_replay_guard_unavailable_total";
    /// How long a delivery waited in the queue before a worker took it.
    pub const QUEUE_WAIT: &str = "hookgen_queue_wait_seconds";
    /// Deliveries a worker settled, by `result` (`ok`, `retry`, `dead`).
    pub const QUEUE_PROCESSED: &str = "hookgen_queue_processed_total";
    /// Deliveries in the queue (waiting, being handled or waiting to be tried again),
    /// read by the worker at most once a second.
    pub const QUEUE_DEPTH: &str = "hookgen_queue_depth";
    /// Age of the oldest delivery in the queue, read with the depth.
    pub const QUEUE_OLDEST_AGE: &str = "hookgen_queue_oldest_age_seconds";
    /// Connections `serve` closed to protect its slots, by `reason`.
    pub const CONNECTIONS_CLOSED: &str = "hookgen_connections_closed_total";
    /// Times a worker found its queue unavailable.
    pub const QUEUE_UNAVAILABLE: &str = "hookgen_queue_unavailable_total";
}

/// `text` with every control character (C0, DEL, C1) and Unicode direction or
/// invisible formatting character escaped, for a log line or a terminal; at most 512
/// characters of it (then `…`).
pub fn printable(text: &str) -> Cow<'_, str> {
    const MAX: usize = 512;
    let plain = |c: char| !(c.is_control() || is_format(c));
    if text.chars().count() <= MAX && text.chars().all(plain) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(MAX * 2));
    for (n, c) in text.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if plain(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Characters that change how the text around them shows without showing themselves.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{061c}')
}

/// Records the answer to one delivery in the metrics.
pub(crate) fn answered(spec: &'static str, outcome: &'static str, status: u16, took: Duration) {
    metrics::counter!(names::DELIVERIES, "spec" => spec, "outcome" => outcome, "status" => status_label(status))
        .increment(1);
    metrics::histogram!(names::DELIVERY_DURATION, "spec" => spec, "outcome" => outcome)
        .record(took.as_secs_f64());
}

/// Records a signature failure's reason.
pub(crate) fn signature_failed(spec: &'static str, reason: &'static str) {
    metrics::counter!(names::SIGNATURE_FAILURES, "spec" => spec, "reason" => reason).increment(1);
}

/// Records the time a handler took.
pub(crate) fn handled(
    spec: &'static str,
    message: &'static str,
    result: &'static str,
    took: Duration,
) {
    metrics::histogram!(names::HANDLER_DURATION, "spec" => spec, "message" => message, "result" => result)
        .record(took.as_secs_f64());
}

/// Records a guard that could not answer.
pub(crate) fn guard_unavailable(spec: &'static str) {
    metrics::counter!(names::GUARD_UNAVAILABLE, "spec" => spec).increment(1);
}

/// Status codes as static labels (metrics labels are cheapest static).
fn status_label(status: u16) -> &'static str {
    match status {
        204 => "204",
        400 => "400",
        401 => "401",
        404 => "404",
        405 => "405",
        408 => "408",
        413 => "413",
        500 => "500",
        503 => "503",
        other if other < 400 => "other",
        other if other < 500 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_direction_characters_never_reach_a_log_line() {
        assert_eq!(printable("plain id-123"), "plain id-123");
        assert_eq!(printable("a\nb\r\u{1b}[2J"), "a\\u{a}b\\u{d}\\u{1b}[2J");
        assert_eq!(
            printable("x\u{202e}y\u{7f}\u{85}"),
            "x\\u{202e}y\\u{7f}\\u{85}"
        );
        // Line and paragraph separators end a line in some log viewers.
        assert_eq!(printable("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        let long = "é".repeat(600);
        let shown = printable(&long);
        assert_eq!(shown.chars().count(), 513);
        assert!(shown.ends_with('…'));
    }
}
