//! The `testing` feature's helpers, as a user's tests would use them: every example of
//! every spec, signed by `test_signer`, is accepted by the spec's own receiver service,
//! and every deliberately broken copy is refused with 401.

use webhooks::receiver::ReceiverConfig;
use webhooks::testing::Breakage;

const SECRET: &[u8] = b"test-secret-of-24-bytes";

/// A secret in the scheme's format.
fn secret_for(scheme: &webhooks::SignatureScheme) -> &'static [u8] {
    match scheme.secret_format {
        webhooks::SecretFormat::WhsecBase64 => b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        _ => SECRET,
    }
}

/// What `SignedDelivery::http_request` makes.
type Request = webhooks::receiver::axum::http::Request<
    http_body_util::Full<webhooks::receiver::axum::body::Bytes>,
>;

/// Calls `service` with `request`: the status.
async fn status<S>(service: &mut S, request: Request) -> u16
where
    S: webhooks::receiver::Service<
            Request,
            Response = webhooks::receiver::Response,
            Error = std::convert::Infallible,
        >,
{
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap();
    service.call(request).await.unwrap().status().as_u16()
}

macro_rules! check_module {
    ($module:ident) => {{
        use webhooks::$module as m;
        struct Accepting;
        impl m::Handler for Accepting {}
        let secret = secret_for(&m::SIGNATURE);
        let signer = m::test_signer(secret);
        let mut service = m::service(Accepting, ReceiverConfig::new(secret.to_vec())).unwrap();
        let mut checked = 0;
        for info in m::MESSAGES {
            for index in 0..info.examples.len() {
                let at = format!("{} {} #{index}", stringify!($module), info.name);
                let delivery = signer.example(info.name, index).unwrap().unwrap();
                assert_eq!(
                    status(&mut service, delivery.http_request()).await,
                    204,
                    "{at}"
                );
                let message = m::decode(&delivery.path, &delivery.body).unwrap();
                assert_eq!(message.name(), Some(info.name), "{at}");
                let signed = message.signed(&signer).unwrap();
                assert_eq!(
                    status(&mut service, signed.http_request()).await,
                    204,
                    "{at}"
                );
                for breakage in [
                    Breakage::Signature,
                    Breakage::Body,
                    Breakage::Secret,
                    Breakage::Stale,
                    Breakage::Missing,
                ] {
                    match message.broken(&signer, breakage) {
                        Some(broken) => {
                            let broken = broken.unwrap();
                            assert_ne!(broken, signed, "{at} {breakage:?}");
                            assert_eq!(
                                status(&mut service, broken.http_request()).await,
                                401,
                                "{at} {breakage:?}"
                            );
                        }
                        // Only a scheme without a timestamp cannot be made stale.
                        None => assert!(
                            breakage == Breakage::Stale && m::SIGNATURE.tolerance_seconds.is_none(),
                            "{at} {breakage:?}"
                        ),
                    }
                }
                checked += 1;
            }
        }
        checked
    }};
}

#[tokio::test]
async fn every_example_signed_by_the_helpers_is_accepted_and_every_breakage_refused() {
    let checked = check_module!(airmy)
        + check_module!(flagsmith)
        + check_module!(flyio)
        + check_module!(flymyai)
        + check_module!(openai);
    // Every example of the five specs, each with its five breakages (OpenAI's Standard
    // Webhooks scheme can also be made stale).
    let examples: usize = [
        webhooks::airmy::MESSAGES,
        webhooks::flagsmith::MESSAGES,
        webhooks::flyio::MESSAGES,
        webhooks::flymyai::MESSAGES,
        webhooks::openai::MESSAGES,
    ]
    .iter()
    .flat_map(|messages| messages.iter())
    .map(|info| info.examples.len())
    .sum();
    assert_eq!(checked, examples);
    assert!(checked >= 4, "at least one example per spec: {checked}");
}

/// A body signed by the helper for a scheme that signs neither id nor timestamp carries
/// exactly the module's own signature (the chosen id and timestamp headers of a Standard
/// Webhooks delivery are checked in `runtime/src/testing.rs`).
#[test]
fn a_signed_body_carries_the_modules_own_signature_at_the_chosen_path() {
    let signer = webhooks::flyio::test_signer(SECRET)
        .id("msg_1")
        .timestamp(1_700_000_000);
    let delivery = signer.sign_body("/extensions/events", b"{}").unwrap();
    assert_eq!(delivery.path, "/extensions/events");
    assert_eq!(
        delivery.header(webhooks::flyio::SIGNATURE_HEADER),
        Some(webhooks::flyio::sign(SECRET, b"{}").as_str())
    );
    assert_eq!(delivery.header("content-type"), Some("application/json"));
}
