//! Signatures of every spec module: sign/verify round trip, rejection of every kind of
//! tampering, and vectors computed independently with Python's `hmac` exactly as each
//! provider's docs do (`hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()`).

use webhooks::SignatureError;

type Sign = fn(&[u8], &[u8]) -> String;
type Verify = fn(&[u8], &str, &[u8]) -> Result<(), SignatureError>;

/// Every spec module: (name, header constant, sign, verify).
const MODULES: &[(&str, &str, Sign, Verify)] = &[
    (
        "flyio",
        webhooks::flyio::SIGNATURE_HEADER,
        webhooks::flyio::sign,
        webhooks::flyio::verify,
    ),
    (
        "flagsmith",
        webhooks::flagsmith::SIGNATURE_HEADER,
        webhooks::flagsmith::sign,
        webhooks::flagsmith::verify,
    ),
    (
        "airmy",
        webhooks::airmy::SIGNATURE_HEADER,
        webhooks::airmy::sign,
        webhooks::airmy::verify,
    ),
    (
        "flymyai",
        webhooks::flymyai::SIGNATURE_HEADER,
        webhooks::flymyai::sign,
        webhooks::flymyai::verify,
    ),
];

const SECRET: &[u8] = b"whsec_s3cr3t-of-24-bytes";
const BODY: &[u8] = br#"{"type":"run.completed","data":{"id":"run_1"}}"#;

#[test]
fn an_empty_key_verifies_nothing_in_any_module() {
    for (name, _, sign, verify) in MODULES {
        // What an attacker computes with an empty key.
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"").unwrap();
        mac.update(BODY);
        let forged = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            verify(b"", &forged, BODY),
            Err(SignatureError::WeakSecret {
                entry: 0,
                reason: "it is empty"
            }),
            "{name}"
        );
        assert_eq!(
            verify(b"", &sign(b"", BODY), BODY),
            Err(SignatureError::WeakSecret {
                entry: 0,
                reason: "it is empty"
            }),
            "{name}"
        );
        assert!(
            sign(b"", BODY).is_empty(),
            "{name}: signed with an empty key"
        );
    }
}

#[test]
fn headers_are_the_specs_headers() {
    let headers: Vec<&str> = MODULES.iter().map(|m| m.1).collect();
    assert_eq!(
        headers,
        [
            "X-Fly-Signature",
            "X-Flagsmith-Signature",
            "X-AIRMY-Signature",
            "X-FlyMyAI-Signature"
        ]
    );
}

#[test]
fn sign_then_verify_succeeds_and_is_lowercase_hex() {
    for (name, _, sign, verify) in MODULES {
        let sig = sign(SECRET, BODY);
        assert_eq!(sig.len(), 64, "{name}");
        assert!(
            sig.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{name}: {sig}"
        );
        assert_eq!(verify(SECRET, &sig, BODY), Ok(()), "{name}");
    }
}

#[test]
fn any_flipped_bit_of_the_body_fails() {
    for (name, _, sign, verify) in MODULES {
        let sig = sign(SECRET, BODY);
        for byte in 0..BODY.len() {
            for bit in 0..8 {
                let mut body = BODY.to_vec();
                body[byte] ^= 1 << bit;
                assert_eq!(
                    verify(SECRET, &sig, &body),
                    Err(SignatureError::Mismatch),
                    "{name}: byte {byte} bit {bit}"
                );
            }
        }
    }
}

#[test]
fn any_flipped_bit_of_the_signature_fails() {
    for (name, _, sign, verify) in MODULES {
        let sig = sign(SECRET, BODY);
        for byte in 0..sig.len() {
            for bit in 0..8 {
                let mut tampered = sig.clone().into_bytes();
                tampered[byte] ^= 1 << bit;
                let Ok(tampered) = String::from_utf8(tampered) else {
                    continue;
                };
                // Flipping the case bit of a hex letter spells the same value.
                if tampered.eq_ignore_ascii_case(&sig) {
                    continue;
                }
                assert!(
                    verify(SECRET, &tampered, BODY).is_err(),
                    "{name}: byte {byte} bit {bit}"
                );
            }
        }
    }
}

#[test]
fn wrong_secret_empty_and_truncated_headers_fail() {
    for (name, _, sign, verify) in MODULES {
        let sig = sign(SECRET, BODY);
        assert_eq!(
            verify(b"whsec_other-secret-24byt", &sig, BODY),
            Err(SignatureError::Mismatch),
            "{name}"
        );
        assert_eq!(
            verify(b"", &sig, BODY),
            Err(SignatureError::WeakSecret {
                entry: 0,
                reason: "it is empty"
            }),
            "{name}"
        );
        assert_eq!(
            verify(SECRET, "", BODY),
            Err(SignatureError::Missing),
            "{name}"
        );
        assert_eq!(
            verify(SECRET, "   ", BODY),
            Err(SignatureError::Missing),
            "{name}"
        );
        for len in [1, 2, 32, 62, 63] {
            assert!(
                verify(SECRET, &sig[..len], BODY).is_err(),
                "{name}: truncated to {len}"
            );
        }
        assert!(
            verify(SECRET, &format!("{sig}{sig}"), BODY).is_err(),
            "{name}: doubled"
        );
        assert!(
            verify(SECRET, &format!("sha256={sig}"), BODY).is_err(),
            "{name}: foreign prefix"
        );
        let not_hex: String = sig
            .chars()
            .map(|c| if c == 'a' { 'g' } else { c })
            .collect();
        if not_hex != sig {
            assert!(
                matches!(
                    verify(SECRET, &not_hex, BODY),
                    Err(SignatureError::Malformed(_))
                ),
                "{name}"
            );
        }
    }
}

/// Python: `json.dumps(payload, sort_keys=True)`, as Flagsmith posts it, then
/// `hmac.new(b"flagsmith-secret", body.encode(), hashlib.sha256).hexdigest()`.
#[test]
fn flagsmith_python_sort_keys_body_verifies_over_raw_bytes() {
    let body = r#"{"data": [{"enabled": true, "environment": 7, "feature": {"created_date": "2026-01-05T09:30:00Z", "default_enabled": false, "description": null, "id": 11, "initial_value": null, "name": "new_checkout", "type": "STANDARD"}, "feature_segment": null, "feature_state_value": "blue", "id": 42, "identity": 1234}], "event_type": "FLAG_UPDATED", "timestamp": "2026-03-22T14:30:00Z"}"#;
    let header = "5149e32fc0754073ef42cddca9658f2f0b418cccba0a16d736f720d7238f9b00";
    assert_eq!(
        webhooks::flagsmith::sign(b"flagsmith-secret", body.as_bytes()),
        header
    );
    assert_eq!(
        webhooks::flagsmith::verify(b"flagsmith-secret", header, body.as_bytes()),
        Ok(())
    );

    // The same JSON re-serialized by serde (no spaces) is different bytes: it must not verify.
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    let reserialized = serde_json::to_vec(&value).unwrap();
    assert_ne!(reserialized, body.as_bytes());
    assert_eq!(
        webhooks::flagsmith::verify(b"flagsmith-secret", header, &reserialized),
        Err(SignatureError::Mismatch)
    );

    // And the raw bytes decode into the typed message.
    let message = webhooks::flagsmith::decode("/environment-webhook", body.as_bytes()).unwrap();
    assert_eq!(message.name(), Some("EnvironmentWebhookEvent"));
}

#[test]
fn provider_vectors_computed_with_python() {
    let airmy = r#"{"id":"evt_01HXYZ","type":"run.completed","created_at":"2026-03-22T14:30:00Z","data":{"id":"run_01HXYZ123","agent_id":"ag_01HXYZ","status":"completed","output":{"result":"..."},"latency_ms":48,"tokens_used":1247}}"#;
    let sig = "af0d4caea892437407c7dfb773e70523825f6f6912228e97b15d0e7f4f45678c";
    assert_eq!(
        webhooks::airmy::verify(b"whsec_test-secret-24byte", sig, airmy.as_bytes()),
        Ok(())
    );
    assert_eq!(
        webhooks::airmy::sign(b"whsec_test-secret-24byte", airmy.as_bytes()),
        sig
    );

    let flymyai = r#"{"event":"run.failed","timestamp":"2025-01-15T10:00:15Z","data":{"run_id":"run_xyz790","agent_id":"agent_abc123","status":"error","error":{"type":"tool_error","message":"web_search returned no results for query"}}}"#;
    let sig = "a0bf93a15c53b7c53f6dd1e57764fc9961d90ddc2a88387f61f9f84b382ea034";
    assert_eq!(
        webhooks::flymyai::verify(b"your-webhook-secret", sig, flymyai.as_bytes()),
        Ok(())
    );

    let flyio = r#"{"action":"resource.deleted","resource_id":"res_abc123"}"#;
    let sig = "e899f01e5c5bb332ce9e24b85567b1482402b4befc4247361b154c105d3a1640";
    assert_eq!(
        webhooks::flyio::verify(b"fly-webhook-secret-2026", sig, flyio.as_bytes()),
        Ok(())
    );
    assert_eq!(
        webhooks::flyio::verify(
            b"fly-webhook-secret-2026",
            &sig.to_uppercase(),
            flyio.as_bytes()
        ),
        Ok(())
    );
}

/// A preset's scheme as the generator makes it: from the snapshot spec that selects it.
fn preset(name: &str) -> hookgen_runtime::SignatureScheme {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("codegen/tests/snapshots/{name}.yaml"));
    let file = hookgen::SpecFile::discover(&path, format!("{name}.yaml"));
    let spec = hookgen::__private::compile(&file).expect("the snapshot spec loads");
    hookgen_cli::runtime_scheme(spec.signature.as_ref().expect("a signature scheme"))
}

/// Each preset against its provider's published example, or against values computed
/// independently (`scripts/signature-vectors.py`: Python's `hmac` and `cryptography`)
/// where the provider publishes none.
#[test]
fn each_preset_verifies_its_published_or_independent_vector() {
    use hookgen_runtime::SignedRequest;
    let check =
        |scheme: &hookgen_runtime::SignatureScheme,
         secret: &[u8],
         request: SignedRequest<'_>,
         now: i64| scheme.verify_request(&[secret], &request, &FixedClock(now));

    // GitHub's documentation: "It's a Secret to Everybody" over "Hello, World!".
    let github = preset("github");
    let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(github.header, "X-Hub-Signature-256");
    assert_eq!(
        github.sign(b"It's a Secret to Everybody", b"Hello, World!"),
        expected
    );
    assert_eq!(
        github.verify(b"It's a Secret to Everybody", expected, b"Hello, World!"),
        Ok(())
    );

    // Slack's documentation: its worked example, at the time it was signed.
    let slack = preset("slack");
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let secret = b"8f742231b10e8888abcd99yyyzzz85a5";
    let expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    let request = SignedRequest {
        signature: Some(expected),
        id: None,
        timestamp: Some("1531420618"),
        body: body.as_bytes(),
    };
    assert_eq!(slack.timestamp_header, "X-Slack-Request-Timestamp");
    assert_eq!(check(&slack, secret, request, 1_531_420_618 + 60), Ok(()));
    assert_eq!(
        slack.sign_message(secret, "", 1_531_420_618, body.as_bytes()),
        Ok(expected.to_owned())
    );
    assert!(matches!(
        check(&slack, secret, request, 1_531_420_618 + 301),
        Err(SignatureError::OutsideTolerance { .. })
    ));

    // Stripe: computed independently (Stripe publishes no secret with its example).
    let stripe = preset("stripe");
    let body = br#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded"}"#;
    let secret = b"whsec_7kQa1zFQ3oV8b1bcN2Nf3Rxv";
    let expected =
        "t=1492774577,v1=091186dfbc5fb0209ca9264a4b11d9559ce00b71209557b4b66ca0a5fb43cf6f";
    assert_eq!(
        stripe.sign_message(secret, "", 1_492_774_577, body),
        Ok(expected.to_owned())
    );
    let at = |signature| SignedRequest {
        signature: Some(signature),
        id: None,
        timestamp: None,
        body,
    };
    assert_eq!(check(&stripe, secret, at(expected), 1_492_774_600), Ok(()));
    // Several `v1` values (a rolled secret) and a `v0` test-mode value, in any order.
    let several = "v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39,t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v1=091186dfbc5fb0209ca9264a4b11d9559ce00b71209557b4b66ca0a5fb43cf6f";
    assert_eq!(check(&stripe, secret, at(several), 1_492_774_600), Ok(()));
    // The timestamp is signed: moving it breaks the signature; dropping it is refused.
    let moved = expected.replace("t=1492774577", "t=1492774600");
    assert_eq!(
        check(&stripe, secret, at(&moved), 1_492_774_600),
        Err(SignatureError::Mismatch)
    );
    let dropped = &expected["t=1492774577,".len()..];
    assert_eq!(
        check(&stripe, secret, at(dropped), 1_492_774_600),
        Err(SignatureError::Malformed("no timestamp entry"))
    );
    assert!(matches!(
        check(&stripe, secret, at(expected), 1_492_774_577 + 301),
        Err(SignatureError::OutsideTolerance { .. })
    ));

    // Shopify: computed independently.
    let shopify = preset("shopify");
    let body = br#"{"id":820982911946154508,"email":"jon@example.com","closed_at":null}"#;
    let expected = "hTabssipYwlxWmpDvgWnHGzxIMm80f5wSaLiIDXUBpc=";
    assert_eq!(shopify.sign(b"shpss_5e4c7ad8b2f0a1d3", body), expected);
    assert_eq!(
        shopify.verify(b"shpss_5e4c7ad8b2f0a1d3", expected, body),
        Ok(())
    );

    // Standard Webhooks v1a: the reference libraries' signing vector, and a second
    // message signed by Python's `cryptography`, verified with the `whpk_` public key.
    let v1a = preset("standard-webhooks-v1a");
    assert_eq!(v1a, hookgen_runtime::STANDARD_WEBHOOKS_V1A);
    let secret_key = b"whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
    let public_key = b"whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=";
    for (id, timestamp, body, expected) in [
        (
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            &br#"{"test": 2432232314}"#[..],
            "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
        ),
        (
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            1_674_087_231,
            &br#"{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}"#[..],
            "v1a,D1IWilxvllz7FK+EupPTVSh7cvU4GQDyOBpRW4rtuo+N7fpqCiM19uMWo9++KsT7lEdvbEqe81bIGGzmYcEfBw==",
        ),
    ] {
        assert_eq!(v1a.sign_message(secret_key, id, timestamp, body), Ok(expected.to_owned()));
        let ts = timestamp.to_string();
        let request = SignedRequest {
            signature: Some(expected),
            id: Some(id),
            timestamp: Some(&ts),
            body,
        };
        for key in [&public_key[..], &public_key[5..], &secret_key[..]] {
            assert_eq!(check(&v1a, key, request, timestamp), Ok(()), "{id}");
        }
        // An HMAC `v1` entry beside it is another scheme's: skipped, not an error.
        let both = format!("v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= {expected}");
        let request = SignedRequest { signature: Some(&both), ..request };
        assert_eq!(check(&v1a, public_key, request, timestamp), Ok(()));
        let tampered = SignedRequest { id: Some("msg_other"), ..request };
        assert_eq!(check(&v1a, public_key, tampered, timestamp), Err(SignatureError::Mismatch));
    }
    // A public key verifies but cannot sign.
    assert!(matches!(
        v1a.sign_message(public_key, "msg", 1, b"{}"),
        Err(SignatureError::InvalidSecret { .. })
    ));
}

/// The schemes the properties run over: the four providers', Standard Webhooks, and a
/// base64 scheme with a prefix and several signatures per header.
fn schemes() -> &'static [(&'static str, hookgen_runtime::SignatureScheme)] {
    use hookgen_runtime::{Encoding, SignatureScheme};
    static SCHEMES: std::sync::OnceLock<Vec<(&str, SignatureScheme)>> = std::sync::OnceLock::new();
    SCHEMES.get_or_init(|| {
        vec![
            ("flyio", webhooks::flyio::SIGNATURE),
            ("flagsmith", webhooks::flagsmith::SIGNATURE),
            ("airmy", webhooks::airmy::SIGNATURE),
            ("flymyai", webhooks::flymyai::SIGNATURE),
            ("standard-webhooks", hookgen_runtime::STANDARD_WEBHOOKS),
            ("standard-webhooks-v1a", preset("standard-webhooks-v1a")),
            ("stripe", preset("stripe")),
            ("github", preset("github")),
            ("slack", preset("slack")),
            ("shopify", preset("shopify")),
            (
                "base64 sha256= prefix, comma separated",
                SignatureScheme {
                    encoding: Encoding::Base64,
                    prefix: "sha256=",
                    separator: Some(','),
                    ..hookgen_runtime::signature::hex_body("X-Signature")
                },
            ),
        ]
    })
}

/// A secret in `scheme`'s format made of `raw` (a 32-byte seed from it for Ed25519:
/// the secret key signs and, through its public key, verifies).
fn secret_for(scheme: &hookgen_runtime::SignatureScheme, raw: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    use hookgen_runtime::SecretFormat;
    match scheme.secret_format {
        SecretFormat::Bytes => raw.to_vec(),
        SecretFormat::WhsecBase64 => format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
        .into_bytes(),
        SecretFormat::Ed25519Base64 => {
            let mut seed = [0u8; 32];
            seed.iter_mut()
                .zip(raw.iter().cycle())
                .for_each(|(s, r)| *s = *r);
            format!(
                "whsk_{}",
                base64::engine::general_purpose::STANDARD.encode(seed)
            )
            .into_bytes()
        }
    }
}

struct FixedClock(i64);

impl hookgen_runtime::Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}

fn flip(bytes: &[u8], at: proptest::sample::Index, bit: u8) -> Vec<u8> {
    let mut flipped = bytes.to_vec();
    let i = at.index(flipped.len());
    flipped[i] ^= 1 << bit;
    flipped
}

/// A hex digit that only changed case (`a` ↔ `A`) is the same signature.
fn is_hex_case_change(before: &[u8], after: &[u8]) -> bool {
    before
        .iter()
        .zip(after)
        .all(|(a, b)| a == b || (a.is_ascii_hexdigit() && a.eq_ignore_ascii_case(b)))
}

proptest::proptest! {
    /// For every scheme (each preset and each spec's), `sign_delivery` gives every header
    /// a delivery needs: what it signed verifies at its own time, and, for a scheme with
    /// a tolerance, no longer one tolerance (and a second) later or earlier.
    #[test]
    fn a_signed_delivery_verifies_at_its_time_and_not_one_tolerance_later(
        raw_secret in proptest::strategy::Strategy::prop_filter(
            proptest::collection::vec(proptest::prelude::any::<u8>(), 16..48),
            "a strong key",
            |s| s.iter().any(|b| *b > b' ' && *b != 0x7f) && s.iter().any(|b| *b != s[0]),
        ),
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        id in "msg_[a-zA-Z0-9]{1,24}",
        timestamp in 1_000_000_000i64..4_000_000_000,
    ) {
        let spec_schemes = [
            ("openai", webhooks::openai::SIGNATURE),
            ("github module", webhooks::github::SIGNATURE),
        ];
        for &(name, scheme) in schemes().iter().chain(&spec_schemes) {
            let secret = secret_for(&scheme, &raw_secret);
            let signed = scheme.sign_delivery(&secret, &id, timestamp, &body).unwrap();
            proptest::prop_assert!(signed.get(scheme.header).is_some(), "{}", name);
            let request = signed.request(&scheme, &body);
            proptest::prop_assert_eq!(
                scheme.verify_request(&[&secret], &request, &FixedClock(timestamp)),
                Ok(()),
                "{}", name
            );
            if let Some(tolerance) = scheme.tolerance_seconds {
                let tolerance = i64::try_from(tolerance).unwrap();
                for later in [timestamp + tolerance + 1, timestamp - tolerance - 1] {
                    let result = scheme.verify_request(&[&secret], &request, &FixedClock(later));
                    proptest::prop_assert!(
                        matches!(result, Err(SignatureError::OutsideTolerance { .. })),
                        "{}: {:?} one tolerance away", name, result
                    );
                }
            }
        }
    }

    /// For random secrets, bodies, ids and timestamps: `verify(sign(b))` holds under every
    /// scheme, and flipping any one bit of the body, the header text, the MAC or the secret fails.
    #[test]
    fn sign_verifies_and_every_bit_matters(
        raw_secret in proptest::strategy::Strategy::prop_filter(
            proptest::collection::vec(proptest::prelude::any::<u8>(), 16..80),
            "a strong key",
            |s| s.iter().any(|b| *b > b' ' && *b != 0x7f) && s.iter().any(|b| *b != s[0]),
        ),
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..300),
        id in "[a-zA-Z0-9_]{1,24}",
        timestamp in 0i64..4_000_000_000,
        at in proptest::prelude::any::<proptest::sample::Index>(),
        bit in 0u8..8,
    ) {
        use base64::Engine as _;
        use hookgen_runtime::{Encoding, SignedRequest};
        let clock = FixedClock(timestamp);
        let ts = timestamp.to_string();
        for &(name, scheme) in schemes() {
            let secret = secret_for(&scheme, &raw_secret);
            let header = scheme.sign_message(&secret, &id, timestamp, &body).unwrap();
            let check = |secret: &[u8], header: &str, body: &[u8]| {
                let request = SignedRequest {
                    signature: Some(header),
                    id: Some(&id),
                    timestamp: Some(&ts),
                    body,
                };
                scheme.verify_request(&[secret], &request, &clock)
            };
            proptest::prop_assert_eq!(check(&secret, &header, &body), Ok(()), "{}", name);

            let body2 = flip(&body, at, bit);
            proptest::prop_assert!(check(&secret, &header, &body2).is_err(), "{}: flipped body verified", name);

            let secret2 = flip(&secret, at, bit);
            proptest::prop_assert!(check(&secret2, &header, &body).is_err(), "{}: flipped secret verified", name);

            // The signature entry, after the timestamp entry of a scheme that has one.
            let (stamp, entry) = match (scheme.timestamp_entry, scheme.separator) {
                ("", _) | (_, None) => ("", header.as_str()),
                (_, Some(separator)) => {
                    let at = header.find(separator).unwrap() + separator.len_utf8();
                    header.split_at(at)
                }
            };
            let encoded_at = stamp.len() + scheme.prefix.len();
            let encoded = &entry[scheme.prefix.len()..];

            let header2 = flip(header.as_bytes(), at, bit);
            if let Ok(header2) = std::str::from_utf8(&header2) {
                // A hex digit's case is the same MAC; a prefix's case is not the prefix.
                let same_mac = scheme.encoding == Encoding::Hex
                    && header.as_bytes()[..encoded_at] == header2.as_bytes()[..encoded_at]
                    && is_hex_case_change(header.as_bytes(), header2.as_bytes());
                proptest::prop_assert_eq!(
                    check(&secret, header2, &body).is_ok(),
                    same_mac,
                    "{}: header {} → {}", name, header, header2
                );
            }

            let mac = match scheme.encoding {
                Encoding::Hex => hex::decode(encoded).unwrap(),
                Encoding::Base64 => base64::engine::general_purpose::STANDARD.decode(encoded).unwrap(),
            };
            let mac2 = flip(&mac, at, bit);
            let header3 = format!(
                "{stamp}{}{}",
                scheme.prefix,
                match scheme.encoding {
                    Encoding::Hex => hex::encode(&mac2),
                    Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&mac2),
                }
            );
            proptest::prop_assert_eq!(check(&secret, &header3, &body), Err(webhooks::SignatureError::Mismatch), "{}", name);
        }
    }
}

/// OpenAI signs the Standard Webhooks way (its overlay says so, its document does not):
/// the generated module's scheme is the preset, and the Standard Webhooks reference
/// vector verifies through it.
#[test]
fn openai_verifies_the_standard_webhooks_vector() {
    use hookgen_runtime::SignedRequest;
    assert_eq!(
        webhooks::openai::SIGNATURE,
        hookgen_runtime::STANDARD_WEBHOOKS
    );
    let secret: &[u8] = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let request = SignedRequest {
        signature: Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
        timestamp: Some("1614265330"),
        body: br#"{"test": 2432232314}"#,
    };
    let at_the_time = FixedClock(1_614_265_330);
    assert_eq!(
        webhooks::openai::verify_request(&[secret], &request, &at_the_time),
        Ok(())
    );
    let tampered = SignedRequest {
        id: Some("msg_other"),
        ..request
    };
    assert_eq!(
        webhooks::openai::verify_request(&[secret], &tampered, &at_the_time),
        Err(SignatureError::Mismatch)
    );
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        max_global_rejects: 100_000,
        ..proptest::test_runner::Config::default()
    })]

    /// A template of signed parts that passes the checks can be read only one way: a
    /// signature over (id, timestamp, body) never verifies once a replayer re-splits the
    /// same bytes (a byte moved across the id/timestamp boundary, a leading zero, the
    /// delimiter moved into the id), which it would for a template like
    /// `{id}{timestamp}{body}`.
    #[test]
    fn an_accepted_template_cannot_be_re_split(
        parts in proptest::collection::vec(0usize..7, 1..6),
        id in "[a-z_]{1,6}[0-9]{1,3}",
        timestamp in 10i64..100_000,
        resplit in 0usize..4,
    ) {
        use hookgen_runtime::{SignatureScheme, SignedPart, SignedRequest};
        let texts = [".", ":", "v0:", "1", "a.b"];
        let mut signed: Vec<SignedPart> = parts
            .iter()
            .map(|p| match p {
                0 => SignedPart::Id,
                1 => SignedPart::Timestamp,
                n => SignedPart::Text(texts[n - 2]),
            })
            .collect();
        signed.push(SignedPart::Body);
        let signed: &'static [SignedPart] = Box::leak(signed.into_boxed_slice());
        let tolerance = signed.contains(&SignedPart::Timestamp).then_some(300);
        let scheme = SignatureScheme {
            signed,
            tolerance_seconds: tolerance,
            ..webhooks::STANDARD_WEBHOOKS
        };
        proptest::prop_assume!(scheme.check().is_ok());
        struct At(i64);
        impl hookgen_runtime::Clock for At {
            fn now_unix(&self) -> i64 {
                self.0
            }
        }
        let secret: &[u8] = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = b"{}";
        let header = scheme.sign_message(secret, &id, timestamp, body).unwrap();
        let ts = timestamp.to_string();
        let (other_id, other_ts) = match resplit {
            // The id's last digit moved to the timestamp's front, and back.
            0 => (id[..id.len() - 1].to_owned(), format!("{}{ts}", &id[id.len() - 1..])),
            1 => (format!("{id}{}", &ts[..1]), ts[1..].to_owned()),
            // The same instant with a leading zero.
            2 => (id.clone(), format!("0{ts}")),
            // A delimiter of the template moved into the id.
            _ => (format!("{id}."), ts.clone()),
        };
        let replayed = SignedRequest {
            signature: Some(&header),
            id: Some(&other_id),
            timestamp: Some(&other_ts),
            body,
        };
        let verified = scheme.verify_request(&[secret], &replayed, &At(timestamp)).is_ok();
        let id_read = scheme.signs(SignedPart::Id) && other_id != id;
        let ts_read = scheme.signs(SignedPart::Timestamp) && other_ts != ts;
        proptest::prop_assert!(
            !(verified && (id_read || ts_read)),
            "{signed:?}: {id}/{ts} re-split as {other_id}/{other_ts} verifies"
        );
    }
}

/// The generated `sign_delivery` signs with a fresh id and the current time: what it
/// returns verifies now, for a scheme that signs a timestamp (where a body-only `sign`
/// would sign timestamp 0, and so is not generated).
#[test]
fn a_module_signs_a_delivery_with_every_header_its_scheme_needs() {
    use webhooks::openai;
    let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = br#"{"type":"batch.completed"}"#;
    let signed = openai::sign_delivery(secret, body).unwrap();
    let names: Vec<&str> = signed.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
    );
    let request = signed.request(&openai::SIGNATURE, body);
    openai::verify_request(&[secret], &request, &hookgen_runtime::SystemClock).unwrap();
    // Two deliveries never share an id.
    let other = openai::sign_delivery(secret, body).unwrap();
    assert_ne!(signed.get("webhook-id"), other.get("webhook-id"));
}
