//! Sending webhooks (cargo feature `client`): serialize once, sign the exact bytes, POST
//! with reqwest, and retry on the provider's schedule (or one you choose) with jitter
//! and `Retry-After` honoured, reporting every attempt.
//!
//! Retried: connection errors, timeouts, 5xx, 408 and 429 (and every other non-2xx when
//! [`RetryPolicy::retry_client_errors`] is set, as AIRMY does). For schemes that sign an
//! id and a timestamp (Standard Webhooks), the id stays the same across attempts and each
//! attempt is signed afresh with the current time.

use std::time::{Duration, Instant};

use crate::delivery::DeliveryPolicy;
use crate::signature::{Clock, SignatureScheme, SystemClock};

/// When and how often a delivery is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait before attempt 2, 3, …; the last entry repeats if attempts outnumber it.
    pub backoff: Vec<Duration>,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// Random spread of each wait, as a fraction (0.1 = ±10 %).
    pub jitter: f64,
    /// Wait at least as long as a `Retry-After` (seconds, or an HTTP date) asks, up to this cap.
    pub max_retry_after: Duration,
    /// Retry 4xx answers too (other than 408 and 429, which are always retried).
    pub retry_client_errors: bool,
}

/// The most attempts a spec's schedule may make for one delivery.
pub const MAX_ATTEMPTS: u32 = 50;
/// The shortest wait between attempts a spec's schedule may set.
pub const MIN_WAIT: Duration = Duration::from_secs(1);
/// The longest wait between attempts a spec's schedule may set (a day).
pub const MAX_WAIT: Duration = Duration::from_secs(86_400);
/// The longest time one attempt may take under a spec's schedule.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);

impl RetryPolicy {
    /// The provider's documented schedule, with 10 % jitter, held to the bounds a spec
    /// may set (as `hookgen validate` holds the spec): at most [`MAX_ATTEMPTS`] attempts,
    /// waits from [`MIN_WAIT`] to [`MAX_WAIT`], at most [`MAX_TIMEOUT`] per attempt. A
    /// policy built by hand is the developer's own and is not bounded.
    pub fn from_delivery(policy: &DeliveryPolicy) -> Self {
        Self {
            attempts: policy.attempts.clamp(1, MAX_ATTEMPTS),
            backoff: policy
                .backoff_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms).clamp(MIN_WAIT, MAX_WAIT))
                .collect(),
            timeout: Duration::from_millis(if policy.timeout_ms == 0 {
                10_000
            } else {
                policy.timeout_ms
            })
            .clamp(MIN_WAIT, MAX_TIMEOUT),
            ..Self::default()
        }
    }
}

impl Default for RetryPolicy {
    /// 3 attempts, waits of 1 s and 5 s, 10 s per attempt, 10 % jitter, `Retry-After` up to 60 s.
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: vec![Duration::from_secs(1), Duration::from_secs(5)],
            timeout: Duration::from_secs(10),
            jitter: 0.1,
            max_retry_after: Duration::from_secs(60),
            retry_client_errors: false,
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// How long the sender waited before this attempt.
    pub waited: Duration,
    /// The HTTP status, if a response came.
    pub status: Option<u16>,
    /// What went wrong without a response (connection, timeout).
    pub error: Option<String>,
    /// How long the attempt took.
    pub took: Duration,
}

/// Every attempt of a delivery, and whether one succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The attempts, in order.
    pub attempts: Vec<Attempt>,
    /// A 2xx came back.
    pub delivered: bool,
}

/// Signs and posts webhooks for one spec and one secret.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    scheme: SignatureScheme,
    secret: Vec<u8>,
    policy: RetryPolicy,
}

impl Sender {
    /// A sender for `scheme` signing with `secret`, retrying by `policy`; refused when
    /// the secret is weak or not in the scheme's format, or the scheme is not secure.
    /// It follows no redirect: a webhook is delivered to the endpoint it was sent to, or
    /// not at all (a 3xx is a failed attempt, never retried elsewhere).
    pub fn new(
        scheme: SignatureScheme,
        secret: impl Into<Vec<u8>>,
        policy: RetryPolicy,
    ) -> Result<Self, crate::SignatureError> {
        let secret = secret.into();
        scheme.check()?;
        scheme.check_signing_secret(&secret)?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Ok(Self {
            client,
            scheme,
            secret,
            policy,
        })
    }

    /// Uses `client` (for TLS settings, proxies, …) instead of a default one. Build it
    /// with `redirect(Policy::none())`: an answer that comes from another address than
    /// the one posted to (a redirect the client followed) is never counted as delivered.
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    /// Serializes `message` once and delivers those bytes to `url`.
    pub async fn send<T: serde::Serialize>(
        &self,
        url: &str,
        message: &T,
    ) -> Result<DeliveryReport, serde_json::Error> {
        let body = serde_json::to_vec(message)?;
        Ok(self.send_bytes(url, body).await)
    }

    /// [`send`](Self::send) with extra `headers` on every attempt: those the message's
    /// decoding reads (`message.info()`'s [`MessageInfo::headers`](crate::MessageInfo::headers),
    /// such as GitHub's `X-GitHub-Event`).
    pub async fn send_with_headers<T: serde::Serialize>(
        &self,
        url: &str,
        message: &T,
        headers: &[(&str, &str)],
    ) -> Result<DeliveryReport, serde_json::Error> {
        let body = serde_json::to_vec(message)?;
        Ok(self.send_bytes_with_headers(url, body, headers).await)
    }

    /// Delivers `body` to `url`, signing it, retrying by the policy.
    pub async fn send_bytes(&self, url: &str, body: Vec<u8>) -> DeliveryReport {
        self.send_bytes_with_headers(url, body, &[]).await
    }

    /// [`send_bytes`](Self::send_bytes) with extra `headers` on every attempt (see
    /// [`send_with_headers`](Self::send_with_headers)).
    pub async fn send_bytes_with_headers(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> DeliveryReport {
        let id = format!("msg_{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let mut attempts = Vec::new();
        let mut wait = Duration::ZERO;
        for number in 1..=self.policy.attempts.max(1) {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let started = Instant::now();
            let outcome = self.attempt(url, &id, &body, headers).await;
            let took = started.elapsed();
            let (status, error, retry_after, retryable) = match outcome {
                Ok((status, retry_after)) => (Some(status), None, retry_after, true),
                Err(failure) => (None, Some(failure.reason), None, failure.retryable),
            };
            attempts.push(Attempt {
                number,
                waited: wait,
                status,
                error,
                took,
            });
            let retry = match status {
                Some(s) if (200..300).contains(&s) => {
                    return DeliveryReport {
                        attempts,
                        delivered: true,
                    };
                }
                // A redirect is the endpoint's configuration, not a passing failure.
                Some(s) if (300..400).contains(&s) => false,
                Some(s) => s >= 500 || s == 408 || s == 429 || self.policy.retry_client_errors,
                None => retryable,
            };
            if !retry {
                break;
            }
            wait = self.next_wait(number, retry_after);
        }
        DeliveryReport {
            attempts,
            delivered: false,
        }
    }

    /// One POST: the status and any `Retry-After` (seconds or an HTTP date) as seconds
    /// from now, or what failed.
    async fn attempt(
        &self,
        url: &str,
        id: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<(u16, Option<u64>), Failure> {
        let signed = self
            .scheme
            .sign_delivery(&self.secret, id, SystemClock.now_unix(), body)
            .map_err(|e| Failure::retry(e.to_string()))?;
        let mut request = self
            .client
            .post(url)
            .timeout(self.policy.timeout)
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        for (name, value) in signed.iter() {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| {
            Failure::retry(if e.is_timeout() {
                format!("timed out after {:?}", self.policy.timeout)
            } else {
                format!("request failed: {e}")
            })
        })?;
        // A client that follows redirects (given with `with_client`) answers from where
        // it was sent: that is not the endpoint, and not a delivery.
        if reqwest::Url::parse(url).ok().as_ref() != Some(response.url()) {
            return Err(Failure {
                reason: format!(
                    "redirected to another address, whose answer ({}) does not count",
                    response.status().as_u16()
                ),
                retryable: false,
            });
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after_seconds(v, std::time::SystemTime::now()));
        Ok((response.status().as_u16(), retry_after))
    }

    /// The wait after attempt `number`: the schedule's, spread by the jitter, and at least
    /// what `Retry-After` asked (capped).
    fn next_wait(&self, number: u32, retry_after: Option<u64>) -> Duration {
        let index = usize::try_from(number - 1).unwrap_or(usize::MAX);
        let base = self
            .policy
            .backoff
            .get(index)
            .or(self.policy.backoff.last())
            .copied()
            .unwrap_or_default();
        let spread = self.policy.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + spread * (fastrand::f64() * 2.0 - 1.0);
        let jittered = base.mul_f64(factor.max(0.0));
        match retry_after {
            Some(seconds) => {
                jittered.max(Duration::from_secs(seconds).min(self.policy.max_retry_after))
            }
            None => jittered,
        }
    }
}

/// Why an attempt got no answer from the endpoint, and whether to try again.
struct Failure {
    reason: String,
    retryable: bool,
}

impl Failure {
    /// A passing failure (connection, timeout): retried.
    fn retry(reason: String) -> Self {
        Self {
            reason,
            retryable: true,
        }
    }
}

/// A `Retry-After` value as seconds from `now`: delay-seconds, or an HTTP date (RFC 9110
/// §10.2.3: IMF-fixdate, or the obsolete RFC 850 and asctime forms); a date in the past
/// is 0. `None` for anything else.
fn retry_after_seconds(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).map_or(0, |d| d.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn retry_after_reads_seconds_and_every_http_date_form() {
        // 1994-11-06 08:49:37 UTC, in RFC 9110's three forms.
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777 - 120);
        for value in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(retry_after_seconds(value, now), Some(120), "{value}");
        }
        assert_eq!(retry_after_seconds(" 30 ", now), Some(30));
        // A date already past asks for no wait; nonsense asks for nothing.
        let later = now + Duration::from_secs(1_000);
        assert_eq!(
            retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(0)
        );
        for nonsense in ["", "soon", "-5", "1.5", "Sun, 32 Nov 1994 08:49:37 GMT"] {
            assert_eq!(
                retry_after_seconds(nonsense, SystemTime::now()),
                None,
                "{nonsense}"
            );
        }
    }
}
