//! The generated senders against a local server that fails a given number of times:
//! retries on schedule, `Retry-After` honoured, every attempt reported, signatures valid
//! on every attempt, permanent failures not retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use webhooks::airmy;
use webhooks::receiver::axum::{Router, http::StatusCode, response::IntoResponse, serve};
use webhooks::sender::RetryPolicy;

/// A server at `/hooks/airmy` that answers `failure` to the first `failures` requests,
/// then verifies the signature and answers 204 (or 401).
async fn flaky(
    failures: u32,
    failure: StatusCode,
    retry_after: Option<&'static str>,
) -> (String, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&hits);
    let app = Router::new().route(
        "/hooks/airmy",
        webhooks::receiver::axum::routing::post(
            move |headers: webhooks::receiver::axum::http::HeaderMap,
                  body: webhooks::receiver::axum::body::Bytes| {
                let counter = Arc::clone(&counter);
                async move {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    if n < failures {
                        let mut response = failure.into_response();
                        if let Some(seconds) = retry_after {
                            response
                                .headers_mut()
                                .insert("retry-after", seconds.parse().unwrap());
                        }
                        return response;
                    }
                    let signature = headers
                        .get(airmy::SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    match airmy::verify(b"whsec_test-secret-24byte", signature, &body) {
                        Ok(()) => StatusCode::NO_CONTENT.into_response(),
                        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { serve(listener, app).await.unwrap() });
    (format!("http://{address}/hooks/airmy"), hits)
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        backoff: vec![Duration::from_millis(20), Duration::from_millis(40)],
        timeout: Duration::from_secs(5),
        jitter: 0.0,
        ..RetryPolicy::default()
    }
}

fn example() -> airmy::Message {
    let body = webhooks::airmy::MESSAGES[0].examples[0];
    airmy::decode("/hooks/airmy", body.as_bytes()).unwrap()
}

#[test]
fn the_generated_sender_follows_the_documented_airmy_schedule() {
    let policy = RetryPolicy::from_delivery(&airmy::DELIVERY.unwrap());
    assert_eq!(policy.attempts, 3);
    assert_eq!(
        policy.backoff,
        [
            Duration::from_secs(1),
            Duration::from_secs(5),
            Duration::from_secs(30)
        ]
    );
    assert_eq!(policy.timeout, Duration::from_secs(10));
}

#[tokio::test]
async fn retries_until_delivered_and_reports_every_attempt() {
    let (url, hits) = flaky(2, StatusCode::SERVICE_UNAVAILABLE, None).await;
    let sender = webhooks::sender::Sender::new(
        airmy::SIGNATURE,
        b"whsec_test-secret-24byte".to_vec(),
        fast_policy(),
    )
    .unwrap();
    let report = sender.send(&url, &example()).await.unwrap();
    assert!(report.delivered, "{report:?}");
    let statuses: Vec<Option<u16>> = report.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(204)]);
    assert_eq!(report.attempts[1].waited, Duration::from_millis(20));
    assert_eq!(report.attempts[2].waited, Duration::from_millis(40));
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn gives_up_after_the_last_attempt() {
    let (url, hits) = flaky(10, StatusCode::BAD_GATEWAY, None).await;
    let sender = webhooks::sender::Sender::new(
        airmy::SIGNATURE,
        b"whsec_test-secret-24byte".to_vec(),
        fast_policy(),
    )
    .unwrap();
    let report = sender.send(&url, &example()).await.unwrap();
    assert!(!report.delivered);
    assert_eq!(report.attempts.len(), 3);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn client_errors_are_final_unless_asked() {
    let (url, hits) = flaky(1, StatusCode::BAD_REQUEST, None).await;
    let sender = webhooks::sender::Sender::new(
        airmy::SIGNATURE,
        b"whsec_test-secret-24byte".to_vec(),
        fast_policy(),
    )
    .unwrap();
    let report = sender.send(&url, &example()).await.unwrap();
    assert_eq!((report.delivered, report.attempts.len()), (false, 1));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let (url, _) = flaky(1, StatusCode::BAD_REQUEST, None).await;
    let policy = RetryPolicy {
        retry_client_errors: true,
        ..fast_policy()
    };
    let report = webhooks::sender::Sender::new(
        airmy::SIGNATURE,
        b"whsec_test-secret-24byte".to_vec(),
        policy,
    )
    .unwrap()
    .send(&url, &example())
    .await
    .unwrap();
    assert!(report.delivered);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (url, _) = flaky(1, StatusCode::TOO_MANY_REQUESTS, Some("1")).await;
    let sender = webhooks::sender::Sender::new(
        airmy::SIGNATURE,
        b"whsec_test-secret-24byte".to_vec(),
        fast_policy(),
    )
    .unwrap();
    let report = sender.send(&url, &example()).await.unwrap();
    assert!(report.delivered);
    assert_eq!(report.attempts[1].waited, Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    // RFC 9110 allows an HTTP date instead of seconds: two seconds from now.
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    let date: &'static str = Box::leak(date.into_boxed_str());
    let (url, _) = flaky(1, StatusCode::SERVICE_UNAVAILABLE, Some(date)).await;
    let sender = webhooks::sender::Sender::new(
        airmy::SIGNATURE,
        b"whsec_test-secret-24byte".to_vec(),
        fast_policy(),
    )
    .unwrap();
    let report = sender.send(&url, &example()).await.unwrap();
    assert!(report.delivered);
    // Whole seconds: the date is truncated to its second, then counted from the answer.
    let waited = report.attempts[1].waited;
    assert!(
        (Duration::from_secs(1)..=Duration::from_secs(2)).contains(&waited),
        "{waited:?}"
    );
}

#[tokio::test]
async fn connection_failures_are_retried_and_reported() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/airmy", listener.local_addr().unwrap());
    drop(listener);
    let sender = webhooks::sender::Sender::new(
        airmy::SIGNATURE,
        b"whsec_test-secret-24byte".to_vec(),
        fast_policy(),
    )
    .unwrap();
    let report = sender.send(&url, &example()).await.unwrap();
    assert!(!report.delivered);
    assert_eq!(report.attempts.len(), 3);
    assert!(
        report
            .attempts
            .iter()
            .all(|a| a.status.is_none() && a.error.is_some())
    );
}

/// A server whose `/hooks/airmy` redirects to `/internal` with `status`, counting what
/// reaches `/internal` and with which method.
async fn redirecting(status: StatusCode) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use webhooks::receiver::axum::routing::any;
    let reached = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&reached);
    let app = Router::new()
        .route(
            "/hooks/airmy",
            any(move || async move {
                let mut response = status.into_response();
                response
                    .headers_mut()
                    .insert("location", "/internal".parse().unwrap());
                response
            }),
        )
        .route(
            "/internal",
            any(
                move |method: webhooks::receiver::axum::http::Method,
                      headers: webhooks::receiver::axum::http::HeaderMap| {
                    let log = Arc::clone(&log);
                    async move {
                        let signed = headers.contains_key(airmy::SIGNATURE_HEADER);
                        log.lock()
                            .unwrap()
                            .push(format!("{method} signed={signed}"));
                        StatusCode::OK
                    }
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { serve(listener, app).await.unwrap() });
    (format!("http://{address}/hooks/airmy"), reached)
}

#[tokio::test]
async fn redirects_are_never_followed_nor_counted_as_delivered() {
    for status in [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ] {
        let (url, reached) = redirecting(status).await;
        let sender = webhooks::sender::Sender::new(
            airmy::SIGNATURE,
            b"whsec_test-secret-24byte".to_vec(),
            fast_policy(),
        )
        .unwrap();
        let report = sender.send(&url, &example()).await.unwrap();
        assert!(!report.delivered, "{status}: {report:?}");
        // A redirect is the endpoint's configuration: one attempt, not retried.
        assert_eq!(report.attempts.len(), 1, "{status}");
        assert_eq!(report.attempts[0].status, Some(status.as_u16()));
        assert!(reached.lock().unwrap().is_empty(), "{status}: {reached:?}");

        // Even with a client of the user's that follows redirects, what answers from
        // elsewhere does not count.
        let following = sender.clone().with_client(reqwest::Client::new());
        let report = following.send(&url, &example()).await.unwrap();
        assert!(!report.delivered, "{status}: {report:?}");
        assert_eq!(report.attempts.len(), 1, "{status}");
        let error = report.attempts[0].error.as_deref().unwrap_or_default();
        assert!(error.starts_with("redirected"), "{error}");
    }
}

#[test]
fn a_spec_schedule_is_held_to_the_bounds() {
    let reckless = webhooks::DeliveryPolicy {
        attempts: u32::MAX,
        backoff_ms: &[0, u64::MAX],
        timeout_ms: u64::MAX,
        ..airmy::DELIVERY.unwrap()
    };
    let policy = RetryPolicy::from_delivery(&reckless);
    assert_eq!(policy.attempts, webhooks::sender::MAX_ATTEMPTS);
    assert_eq!(
        policy.backoff,
        [webhooks::sender::MIN_WAIT, webhooks::sender::MAX_WAIT]
    );
    assert_eq!(policy.timeout, webhooks::sender::MAX_TIMEOUT);
}
