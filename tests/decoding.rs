//! Decoding and routing beyond the spec examples: unknown events are kept, the
//! discriminator rules hold on every channel shape, and bad bodies fail with the reason.

use serde_json::json;
use webhooks::{DecodeError, airmy, flagsmith, flyio, flymyai};

#[test]
fn unknown_cloudevent_type_is_kept_whole() {
    let body = br#"{"specversion":"1.0","type":"io.fly.machine.rebooted","source":"https://api.fly.io","id":"evt_9","data":{"x":1}}"#;
    match flyio::decode("/extensions/events", body).unwrap() {
        flyio::Message::Unknown(unknown) => {
            assert_eq!(unknown.channel, "/extensions/events");
            assert_eq!(
                unknown.discriminator.as_deref(),
                Some("io.fly.machine.rebooted")
            );
            assert_eq!(unknown.payload["data"], json!({"x": 1}));
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn every_cloudevent_type_picks_its_variant() {
    for (ty, name) in [
        ("io.fly.machine.started", "MachineStarted"),
        ("io.fly.machine.stopped", "MachineStopped"),
        ("io.fly.machine.destroyed", "MachineDestroyed"),
        ("io.fly.account.changed", "AccountChanged"),
    ] {
        let body = json!({"specversion": "1.0", "type": ty, "source": "s", "id": "1"}).to_string();
        let message = flyio::decode("/extensions/events", body.as_bytes()).unwrap();
        assert_eq!(message.name(), Some(name), "{ty}");
    }
}

#[test]
fn shared_payload_messages_are_told_apart_by_action_and_params_are_extracted() {
    let route = flyio::route("/api/hooks/extensions/upstash-redis").unwrap();
    assert_eq!(route.template(), "/api/hooks/extensions/{provider_name}");
    assert_eq!(route.param("provider_name"), Some("upstash-redis"));
    for (action, name) in [
        ("resource.created", "ResourceCreated"),
        ("resource.updated", "ResourceUpdated"),
        ("resource.deleted", "ResourceDeleted"),
    ] {
        let body = json!({"action": action, "resource_id": "res_1"}).to_string();
        let message =
            flyio::decode("/api/hooks/extensions/upstash-redis", body.as_bytes()).unwrap();
        assert_eq!(message.name(), Some(name));
    }
    let body = br#"{"action":"resource.suspended","resource_id":"res_1"}"#;
    assert!(matches!(
        flyio::decode("/api/hooks/extensions/p", body).unwrap(),
        flyio::Message::Unknown(_)
    ));
}

#[test]
fn missing_discriminator_on_a_shared_channel_is_an_error() {
    let err = airmy::decode("/hooks/airmy", br#"{"id":"evt_1","data":{}}"#).unwrap_err();
    assert!(
        matches!(err, DecodeError::MissingDiscriminator { field: "type" }),
        "{err}"
    );
}

#[test]
fn single_message_channel_rules() {
    // The field absent: still the channel's one message.
    let message = flagsmith::decode("/environment-webhook", br#"{"data":[]}"#).unwrap();
    assert_eq!(message.name(), Some("EnvironmentWebhookEvent"));
    // A value the schema does not list: kept as unknown.
    let body = br#"{"data":[],"event_type":"FLAG_DELETED"}"#;
    match flagsmith::decode("/environment-webhook", body).unwrap() {
        flagsmith::Message::Unknown(u) => {
            assert_eq!(u.discriminator.as_deref(), Some("FLAG_DELETED"))
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    // Every listed value of a multi-value enum selects the message.
    for ty in ["FLAG_UPDATED", "FLAG_DELETED", "AUDIT_LOG_CREATED"] {
        let body = json!({"event_type": ty, "data": {"id": 1}}).to_string();
        let message = flagsmith::decode("/organisation-webhook", body.as_bytes()).unwrap();
        assert_eq!(message.name(), Some("OrganisationWebhookEvent"));
    }
}

/// Flagsmith's channels decode the payload first and read `event_type` from it; when
/// the body is not that payload, the scan of the body decides exactly as before.
#[test]
fn payload_first_channels_answer_as_the_scan_does() {
    let org = "/organisation-webhook";
    // An unlisted value on a body of another shape: still an unknown event, kept whole.
    let body = br#"{"data":"not an audit record","event_type":"FLAG_RENAMED"}"#;
    match flagsmith::decode(org, body).unwrap() {
        flagsmith::Message::Unknown(u) => {
            assert_eq!(u.discriminator.as_deref(), Some("FLAG_RENAMED"));
            assert_eq!(u.payload["data"], "not an audit record");
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    // A listed value on a body that is not the message: the message's error.
    let body = br#"{"data":"not an audit record","event_type":"FLAG_UPDATED"}"#;
    assert!(matches!(
        flagsmith::decode(org, body),
        Err(DecodeError::InvalidPayload { .. })
    ));
    // Not a string: as absent for the scan, then refused by the payload's own type.
    let body = br#"{"data":{"id":1},"event_type":7}"#;
    assert!(matches!(
        flagsmith::decode(org, body),
        Err(DecodeError::InvalidPayload { .. })
    ));
    // Not JSON at all: said so, whichever path reads it first.
    assert!(matches!(
        flagsmith::decode(org, br#"{"event_type":"FLAG_UPDATED","data":"#),
        Err(DecodeError::NotJson(_))
    ));
}

#[test]
fn unknown_enum_values_are_kept_not_rejected() {
    let body = br#"{"event_type":"FLAG_UPDATED","data":{"related_object_type":"WEBHOOK","environment":null}}"#;
    let flagsmith::Message::OrganisationWebhookEvent(event) =
        flagsmith::decode("/organisation-webhook", body).unwrap()
    else {
        panic!("wrong variant");
    };
    let data = event.data.as_ref().unwrap();
    assert_eq!(
        data.related_object_type,
        Some(Some(flagsmith::AuditLogEntryRelatedObjectType::Unknown(
            "WEBHOOK".into()
        )))
    );
    // `null` and absent stay distinct through a round trip.
    assert_eq!(data.environment, Some(None));
    assert_eq!(data.project, None);
    let back = serde_json::to_value(&event).unwrap();
    assert_eq!(
        back,
        serde_json::from_slice::<serde_json::Value>(body).unwrap()
    );
}

#[test]
fn bad_bodies_fail_with_the_reason() {
    assert!(matches!(
        flymyai::decode("/webhooks/flymy", b"not json"),
        Err(DecodeError::NotJson(_))
    ));
    assert!(matches!(
        flymyai::decode("/webhooks/flymy", b"[1,2]"),
        Err(DecodeError::NotJson(_))
    ));
    assert!(matches!(
        flymyai::decode("/elsewhere", b"{}"),
        Err(DecodeError::UnknownChannel(_))
    ));
    let body = br#"{"event":"run.completed","timestamp":"t","data":{"run_id":"r","agent_id":"a","status":"done","duration_ms":"slow"}}"#;
    match flymyai::decode("/webhooks/flymy", body) {
        Err(DecodeError::InvalidPayload { message, path, .. }) => {
            assert_eq!(
                (message, path.as_str()),
                ("RunCompleted", "data.duration_ms")
            );
        }
        other => panic!("expected InvalidPayload, got {other:?}"),
    }
}

#[test]
fn undocumented_fields_are_kept_where_the_spec_allows_them() {
    let body = br#"{"id":"evt_1","type":"run.completed","created_at":"t","data":{"id":"run_1","region":"eu","cost":{"usd":0.25}}}"#;
    let airmy::Message::RunCompleted(event) = airmy::decode("/hooks/airmy", body).unwrap() else {
        panic!("wrong variant");
    };
    assert_eq!(event.data.additional_properties["region"], json!("eu"));
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        serde_json::from_slice::<serde_json::Value>(body).unwrap()
    );
}

#[test]
fn routing_tables_describe_direction() {
    let ops: Vec<(&str, &str, &str)> = flyio::CHANNELS
        .iter()
        .flat_map(|c| c.operations.iter().map(|o| (o.id, o.sender, o.receiver)))
        .collect();
    assert_eq!(
        ops,
        [
            ("receiveProviderWebhook", "extension provider", "Fly.io"),
            ("receiveFlyioMachineEvent", "Fly.io", "extension provider"),
        ]
    );
    assert_eq!(
        airmy::DELIVERY.map(|d| (d.attempts, d.backoff_ms, d.timeout_ms)),
        Some((3, &[1000, 5000, 30000][..], 10000))
    );
    assert_eq!(
        flagsmith::DELIVERY.map(|d| (d.attempts, d.backoff_ms)),
        Some((3, &[2000, 4000][..]))
    );
    assert!(flyio::DELIVERY.is_none());
}

proptest::proptest! {
    /// Regression (found by `tests/properties.rs`): without serde_json's `float_roundtrip`
    /// a float in a field kept as JSON came back one unit in the last place off.
    #[test]
    fn floats_in_open_fields_decode_exactly(x in proptest::num::f64::NORMAL) {
        let body = format!(
            r#"{{"id":"e","type":"test","created_at":"2026-01-01T00:00:00Z","data":{{"x":{x:e}}}}}"#
        );
        let message = airmy::decode("/hooks/airmy", body.as_bytes()).unwrap();
        let decoded = serde_json::to_value(&message).unwrap()["data"]["x"].as_f64();
        proptest::prop_assert_eq!(decoded, Some(x), "{}", body);
    }
}

/// Regression (found by the `receive` fuzz target): a body naming its discriminator twice
/// was kept as `Unknown` by its first value while the kept JSON held the last, so the
/// stored event re-decoded as another message. Such a body is now refused.
#[test]
fn a_discriminator_given_twice_with_different_values_is_refused() {
    let body = br#"{"id":"e","type":"run.unlisted","type":"run.failed","created_at":"2026-01-01T00:00:00Z","data":{}}"#;
    match airmy::decode("/hooks/airmy", body) {
        Err(DecodeError::DuplicateDiscriminator { field: "type" }) => {}
        other => panic!("expected DuplicateDiscriminator, got {other:?}"),
    }
    // The same value twice is still one value; a known value twice is refused by serde.
    let same = br#"{"id":"e","type":"run.unlisted","type":"run.unlisted","created_at":"2026-01-01T00:00:00Z","data":{}}"#;
    assert!(matches!(
        airmy::decode("/hooks/airmy", same),
        Ok(airmy::Message::Unknown(_))
    ));
    let known = br#"{"id":"e","type":"run.failed","type":"run.unlisted","created_at":"2026-01-01T00:00:00Z","data":{"id":"r","agent_id":"a","status":"failed","error":{}}}"#;
    assert!(airmy::decode("/hooks/airmy", known).is_err());
}

/// Numbers Rust cannot keep exactly are refused with the byte where they start, not
/// silently rounded: the promise is that a decoded payload serializes back to what was
/// sent. Both the typed path (a known event) and the unknown-event path are covered.
#[test]
fn numbers_beyond_64_bits_or_f64_are_refused_not_rounded() {
    let body = |x: &str, kind: &str| {
        format!(
            r#"{{"id":"e","type":"{kind}","created_at":"2026-01-01T00:00:00Z","data":{{"x":{x},"s":"12345678901234567890123"}}}}"#
        )
    };
    for kind in ["test", "run.unlisted"] {
        for inexact in [
            "12345678901234567890123",
            "18446744073709551616",
            "-9223372036854775809",
            "0.1000000000000000000001",
            "1e400",
            "123456789012345678.5",
        ] {
            let sent = body(inexact, kind);
            match airmy::decode("/hooks/airmy", sent.as_bytes()) {
                Err(DecodeError::InexactNumber { offset, number }) => {
                    assert_eq!(number, inexact);
                    assert_eq!(&sent[offset..offset + inexact.len()], inexact);
                }
                other => panic!("{kind} {inexact}: expected InexactNumber, got {other:?}"),
            }
        }
        for exact in [
            "18446744073709551615",
            "-9223372036854775808",
            "1.50",
            "1e2",
            "-0.0",
            "0.1",
            "5e-324",
            "1.7976931348623157e308",
            "0.30000000000000004",
        ] {
            let sent = body(exact, kind);
            let message = airmy::decode("/hooks/airmy", sent.as_bytes())
                .unwrap_or_else(|e| panic!("{kind} {exact}: {e}"));
            let kept = &serde_json::to_value(&message).unwrap()["data"]["x"];
            let original: serde_json::Value = serde_json::from_str(exact).unwrap();
            assert_eq!(kept, &original, "{kind} {exact}");
        }
    }
}
