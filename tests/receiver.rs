//! The generated axum receivers, over real HTTP on loopback: every answer the receiver
//! promises (204, 401, 404, 400, 413, 405, 500), typed dispatch, unknown events and
//! secret rotation.

use std::sync::{Arc, Mutex};

use webhooks::flyio;
use webhooks::receiver::ReceiverConfig;

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl flyio::Handler for Recorder {
    async fn resource_created(
        &self,
        delivery: &webhooks::receiver::DeliveryContext,
        payload: flyio::ProviderWebhookPayload,
    ) -> Result<(), webhooks::receiver::HandlerError> {
        if payload.resource_id == "res_fail" {
            return Err("storage is down".into());
        }
        let provider = delivery.route().param("provider_name").unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push(format!("created {} for {provider}", payload.resource_id));
        Ok(())
    }

    async fn machine_started(
        &self,
        _: &webhooks::receiver::DeliveryContext,
        payload: flyio::CloudEventPayload,
    ) -> Result<(), webhooks::receiver::HandlerError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("started {}", payload.id));
        Ok(())
    }

    async fn unknown(
        &self,
        _: &webhooks::receiver::DeliveryContext,
        message: webhooks::UnknownMessage,
    ) -> Result<(), webhooks::receiver::HandlerError> {
        self.0.lock().unwrap().push(format!(
            "unknown {}",
            message.discriminator.unwrap_or_default()
        ));
        Ok(())
    }
}

/// Serves `router` on a free loopback port until the test ends; returns its base URL.
async fn serve(router: axum_router::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum_router::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

mod axum_router {
    pub use webhooks::receiver::axum::{Router, serve};
}

async fn post(url: &str, signature: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut request = reqwest::Client::new().post(url).body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header(flyio::SIGNATURE_HEADER, signature);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn receiver_answers_every_case_over_http() {
    let recorder = Recorder::default();
    let config = ReceiverConfig::new(b"the-new-secret-24-bytes".to_vec())
        .with_secret(b"the-old-secret-24-bytes".to_vec())
        .with_max_body_bytes(1024);
    let base = serve(flyio::router(recorder.clone(), config).unwrap()).await;
    let created = br#"{"action":"resource.created","resource_id":"res_1","config":{"URL":"x"}}"#;

    let url = format!("{base}/api/hooks/extensions/acme");
    assert_eq!(
        post(
            &url,
            Some(&flyio::sign(b"the-new-secret-24-bytes", created)),
            created
        )
        .await
        .0,
        204
    );
    // Rotation: the old secret still verifies.
    assert_eq!(
        post(
            &url,
            Some(&flyio::sign(b"the-old-secret-24-bytes", created)),
            created
        )
        .await
        .0,
        204
    );

    // Every signature failure gets the same 401.
    let wrong = flyio::sign(b"another-secret-24-bytes", created);
    let tampered = br#"{"action":"resource.created","resource_id":"res_2","config":{"URL":"x"}}"#;
    for (signature, body) in [
        (Some(wrong.as_str()), &created[..]),
        (None, &created[..]),
        (Some("zz"), &created[..]),
        (
            Some(&flyio::sign(b"the-new-secret-24-bytes", created)),
            &tampered[..],
        ),
    ] {
        assert_eq!(
            post(&url, signature, body).await,
            (401, "invalid signature".to_owned())
        );
    }

    let events = format!("{base}/extensions/events");
    let started =
        br#"{"specversion":"1.0","type":"io.fly.machine.started","source":"s","id":"evt_1"}"#;
    assert_eq!(
        post(
            &events,
            Some(&flyio::sign(b"the-new-secret-24-bytes", started)),
            started
        )
        .await
        .0,
        204
    );
    let rebooted =
        br#"{"specversion":"1.0","type":"io.fly.machine.rebooted","source":"s","id":"evt_2"}"#;
    assert_eq!(
        post(
            &events,
            Some(&flyio::sign(b"the-new-secret-24-bytes", rebooted)),
            rebooted
        )
        .await
        .0,
        204
    );

    let not_json = b"{not json";
    assert_eq!(
        post(
            &events,
            Some(&flyio::sign(b"the-new-secret-24-bytes", not_json)),
            not_json
        )
        .await
        .0,
        400
    );
    assert_eq!(
        post(
            &format!("{base}/nowhere"),
            Some(&flyio::sign(b"the-new-secret-24-bytes", started)),
            started
        )
        .await
        .0,
        404
    );
    let big = vec![b' '; 2048];
    assert_eq!(
        post(
            &events,
            Some(&flyio::sign(b"the-new-secret-24-bytes", &big)),
            &big
        )
        .await
        .0,
        413
    );
    let failing = br#"{"action":"resource.created","resource_id":"res_fail"}"#;
    assert_eq!(
        post(
            &url,
            Some(&flyio::sign(b"the-new-secret-24-bytes", failing)),
            failing
        )
        .await
        .0,
        500
    );
    let get = reqwest::Client::new().get(&events).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);

    assert_eq!(
        *recorder.0.lock().unwrap(),
        [
            "created res_1 for acme",
            "created res_1 for acme",
            "started evt_1",
            "unknown io.fly.machine.rebooted"
        ]
    );
}

#[tokio::test]
async fn a_receiver_with_a_weak_secret_is_refused_before_it_serves() {
    // A secret read from an environment variable that is set but empty.
    let empty = std::env::var("HOOKGEN_TEST_SURELY_UNSET").unwrap_or_default();
    let refused = |config: ReceiverConfig| flyio::router(Recorder::default(), config).err();
    let weak = |entry, reason| Some(webhooks::SignatureError::WeakSecret { entry, reason });
    assert_eq!(
        refused(ReceiverConfig::new(empty.clone())),
        weak(0, "it is empty")
    );
    // A weak entry anywhere in a rotation list, named by its place.
    let good = b"receiver-secret-24-bytes".to_vec();
    for (secret, reason) in [
        (" ", "it is shorter than 16 bytes"),
        ("\n", "it is shorter than 16 bytes"),
        ("\0", "it is shorter than 16 bytes"),
        ("k", "it is shorter than 16 bytes"),
        ("                ", "it is one byte repeated"),
        (
            " \t \t \t \t \t \t \t \t",
            "it is only whitespace and control characters",
        ),
    ] {
        assert_eq!(
            refused(ReceiverConfig::new(good.clone()).with_secret(secret)),
            weak(1, reason),
            "{secret:?}"
        );
        assert_eq!(
            refused(ReceiverConfig::new(secret).with_secret(good.clone())),
            weak(0, reason),
            "{secret:?}"
        );
        // And the sender.
        assert_eq!(webhooks::airmy::sender(secret).err(), weak(0, reason));
    }
    let mut none = ReceiverConfig::new(good);
    none.secrets.clear();
    assert_eq!(refused(none), Some(webhooks::SignatureError::NoSecret));
}

#[tokio::test]
async fn repeated_signature_headers_are_refused_for_single_signature_schemes() {
    let base = serve(
        flyio::router(
            Recorder::default(),
            ReceiverConfig::new(b"receiver-secret-24-bytes".to_vec()),
        )
        .unwrap(),
    )
    .await;
    let body =
        br#"{"specversion":"1.0","type":"io.fly.machine.started","source":"s","id":"evt_1"}"#;
    let good = flyio::sign(b"receiver-secret-24-bytes", body);
    let response = reqwest::Client::new()
        .post(format!("{base}/extensions/events"))
        .header(flyio::SIGNATURE_HEADER, "0".repeat(64))
        .header(flyio::SIGNATURE_HEADER, good.as_str())
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[test]
fn repeated_headers_are_joined_where_the_scheme_takes_several_signatures() {
    use webhooks::receiver::axum::http::HeaderMap;
    let mut headers = HeaderMap::new();
    headers.append("webhook-signature", "v1,a".parse().unwrap());
    headers.append("webhook-signature", "v1,b".parse().unwrap());
    let joined = webhooks::receiver::signature_header(&webhooks::STANDARD_WEBHOOKS, &headers);
    assert_eq!(joined, Ok(Some("v1,a v1,b".to_owned())));
    assert_eq!(
        webhooks::receiver::signature_header(&flyio::SIGNATURE, &headers),
        Ok(None)
    );
}

/// Serves `router` with `receiver::serve` and `limits` on a free loopback port.
async fn serve_limited(
    router: axum_router::Router,
    limits: webhooks::receiver::ServerLimits,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(webhooks::receiver::serve(listener, router, limits));
    address
}

/// Reads what the server sends until it closes the connection or `within` passes;
/// `None` on the deadline.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    within: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt as _;
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut received)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&received).into_owned())
}

fn short_limits() -> webhooks::receiver::ServerLimits {
    webhooks::receiver::ServerLimits {
        header_read_timeout: std::time::Duration::from_millis(300),
        max_connections: 2,
        max_connections_per_address: None,
        shed_below_free: 0,
    }
}

fn slow_config() -> ReceiverConfig {
    ReceiverConfig::new(b"receiver-secret-24-bytes".to_vec())
        .with_read_timeout(std::time::Duration::from_millis(300))
}

#[tokio::test]
async fn a_client_stalling_mid_body_gets_408() {
    use tokio::io::AsyncWriteExt as _;
    let router = flyio::router(Recorder::default(), slow_config()).unwrap();
    let address = serve_limited(router, short_limits()).await;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"POST /extensions/events HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{\"partial\":")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let answer = read_until_closed(&mut stream, std::time::Duration::from_secs(5)).await;
    let answer = answer.expect("the receiver answers within its deadline");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "answered before the deadline"
    );
}

#[tokio::test]
async fn a_client_stalling_mid_headers_is_disconnected() {
    use tokio::io::AsyncWriteExt as _;
    let router = flyio::router(Recorder::default(), slow_config()).unwrap();
    let address = serve_limited(router, short_limits()).await;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"POST /extensions/events HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, std::time::Duration::from_secs(5)).await;
    assert!(
        answer.is_some(),
        "a stalled client held the connection open past the header deadline"
    );
}

#[tokio::test]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    use tokio::io::AsyncWriteExt as _;
    let router = flyio::router(Recorder::default(), slow_config()).unwrap();
    let address = serve_limited(router, short_limits()).await;
    // Two stalled clients take both slots until the header deadline frees them.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"POST /extensions/events HTTP/1.1\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let body =
        br#"{"specversion":"1.0","type":"io.fly.machine.started","source":"s","id":"evt_1"}"#;
    let (status, _) = post(
        &format!("http://{address}/extensions/events"),
        Some(&flyio::sign(b"receiver-secret-24-bytes", body)),
        body,
    )
    .await;
    assert_eq!(status, 204);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(150),
        "served at once ({waited:?}): the connection limit did not hold"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let router = flyio::router(Recorder::default(), slow_config()).unwrap();
    let address = serve_limited(router, short_limits()).await;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // A complete request (the answer does not matter), then silence.
    stream
        .write_all(b"POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 404");
    let closed = read_until_closed(&mut stream, std::time::Duration::from_secs(5)).await;
    assert!(
        closed.is_some(),
        "an idle keep-alive connection held its slot"
    );
}

/// A signed Fly.io delivery, written by hand on `stream` (HTTP/1.1, keep-alive).
async fn deliver_on(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let body =
        br#"{"specversion":"1.0","type":"io.fly.machine.started","source":"s","id":"evt_1"}"#;
    let request = format!(
        "POST /extensions/events HTTP/1.1\r\nHost: a\r\n{}: {}\r\nContent-Length: {}\r\n\r\n",
        flyio::SIGNATURE_HEADER,
        flyio::sign(b"receiver-secret-24-bytes", body),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut status = [0u8; 12];
    stream.read_exact(&mut status).await.unwrap();
    String::from_utf8_lossy(&status).into_owned()
}

#[tokio::test]
async fn idle_keep_alive_connections_give_way_to_waiting_deliveries() {
    // Eight slots, the header deadline far off: cheap clients that keep their connection
    // alive between tiny requests would hold every slot until it passes.
    let address = serve_crowded().await;
    let mut idle = Vec::new();
    for _ in 0..8 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        assert_eq!(deliver_on(&mut stream).await, "HTTP/1.1 204");
        idle.push(stream);
    }
    // A real delivery gets a slot within a second, not after the 30 s deadline.
    assert_delivered_within(address, std::time::Duration::from_secs(2)).await;
    // The idle connections were let go.
    let mut closed = 0;
    for stream in &mut idle {
        if read_until_closed(stream, std::time::Duration::from_millis(500))
            .await
            .is_some()
        {
            closed += 1;
        }
    }
    assert!(closed >= 6, "only {closed} idle connections were closed");
}

#[tokio::test]
async fn one_address_cannot_take_more_than_its_share_of_connections() {
    let limits = webhooks::receiver::ServerLimits {
        max_connections_per_address: Some(2),
        ..short_limits()
    };
    let limits = webhooks::receiver::ServerLimits {
        max_connections: 16,
        header_read_timeout: std::time::Duration::from_secs(30),
        ..limits
    };
    let router = flyio::router(Recorder::default(), slow_config()).unwrap();
    let address = serve_limited(router, limits).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        assert_eq!(deliver_on(&mut stream).await, "HTTP/1.1 204");
        held.push(stream);
    }
    // The third is closed at once, without an answer.
    let mut third = tokio::net::TcpStream::connect(address).await.unwrap();
    let closed = read_until_closed(&mut third, std::time::Duration::from_secs(2)).await;
    assert_eq!(closed.as_deref(), Some(""));
    // Once one of the two goes, the address may connect again.
    drop(held.pop());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut again = tokio::net::TcpStream::connect(address).await.unwrap();
    assert_eq!(deliver_on(&mut again).await, "HTTP/1.1 204");
}

#[tokio::test]
async fn stalled_bodies_hold_at_most_the_body_budget() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    // A 64 KiB budget, 1 MiB bodies: the first stalled client holds 92 KiB (60 KiB of
    // it against the budget, past its 32 KiB allowance); the next cannot take more than
    // what is left, and is answered 503 rather than read; a small delivery still passes.
    let config = slow_config()
        .with_read_timeout(std::time::Duration::from_secs(2))
        .with_body_budget(64 * 1024);
    let budget = config.body_budget.clone();
    let router = flyio::router(Recorder::default(), config).unwrap();
    let address = serve_limited(
        router,
        webhooks::receiver::ServerLimits {
            max_connections: 16,
            ..short_limits()
        },
    )
    .await;
    let head = "POST /extensions/events HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n";
    let mut first = tokio::net::TcpStream::connect(address).await.unwrap();
    first.write_all(head.as_bytes()).await.unwrap();
    first.write_all(&[b' '; 92 * 1024]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(budget.in_use(), 60 * 1024);
    let mut second = tokio::net::TcpStream::connect(address).await.unwrap();
    second.write_all(head.as_bytes()).await.unwrap();
    let _ = second.write_all(&[b' '; 92 * 1024]).await;
    let mut status = [0u8; 12];
    second.read_exact(&mut status).await.unwrap();
    assert_eq!(&status, b"HTTP/1.1 503");
    assert!(budget.in_use() <= budget.capacity());
    let mut small = tokio::net::TcpStream::connect(address).await.unwrap();
    assert_eq!(deliver_on(&mut small).await, "HTTP/1.1 204");
    // When the stalled body times out, its bytes return to the budget.
    let closed = read_until_closed(&mut first, std::time::Duration::from_secs(5)).await;
    assert!(closed.is_some_and(|answer| answer.starts_with("HTTP/1.1 408")));
    assert_eq!(budget.in_use(), 0);
}

#[tokio::test]
async fn clients_stalling_in_their_headers_give_way_when_slots_run_short() {
    use tokio::io::AsyncWriteExt as _;
    // Eight slots, the header deadline far off, every slot taken by a client sending its
    // headers a byte at a time: a real delivery gets a slot within seconds.
    let address = serve_crowded().await;
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"POST /extensions/events HTTP/1.1\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    assert_delivered_within(address, std::time::Duration::from_secs(5)).await;
}

/// A receiver under `serve` with eight slots, shedding below two free, and a header
/// deadline far off (30 s), so that only shedding can free a slot in time.
async fn serve_crowded() -> std::net::SocketAddr {
    let limits = webhooks::receiver::ServerLimits {
        header_read_timeout: std::time::Duration::from_secs(30),
        max_connections: 8,
        max_connections_per_address: None,
        shed_below_free: 2,
    };
    let router = flyio::router(Recorder::default(), slow_config()).unwrap();
    serve_limited(router, limits).await
}

/// A signed delivery posted on a new connection to `address` is answered 204 within
/// `within` (the slots it waited for were given up).
async fn assert_delivered_within(address: std::net::SocketAddr, within: std::time::Duration) {
    let started = std::time::Instant::now();
    let body =
        br#"{"specversion":"1.0","type":"io.fly.machine.started","source":"s","id":"evt_2"}"#;
    let delivered = tokio::time::timeout(
        2 * within,
        post(
            &format!("http://{address}/extensions/events"),
            Some(&flyio::sign(b"receiver-secret-24-bytes", body)),
            body,
        ),
    )
    .await;
    assert_eq!(delivered.map(|(status, _)| status).ok(), Some(204));
    let waited = started.elapsed();
    assert!(waited < within, "waited {waited:?} for a slot");
}
