//! Behaviour of the code generated for the snapshot specs (`codegen/tests/snapshots`),
//! one test per supported AsyncAPI / JSON Schema feature. The README's feature table
//! points here.

use hookgen_corpus::{
    snapshot_additional_properties as additional, snapshot_all_of as all_of,
    snapshot_collisions as collisions, snapshot_enums as enums, snapshot_external_refs as external,
    snapshot_no_channels as no_channels, snapshot_nullable as nullable, snapshot_one_of as one_of,
    snapshot_payload_shapes as shapes, snapshot_recursive as recursive,
    snapshot_recursive_composition as composition, snapshot_scalars as scalars,
    snapshot_traits as traits, snapshot_v3_operations as v3,
};
use serde_json::{Value, json};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: Value) -> T {
    let typed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"));
    assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    typed
}

#[test]
fn tagged_one_of_is_decoded_by_its_tag_never_by_trial() {
    let circle: one_of::Shape = round_trip(json!({"kind": "circle", "radius": 2.0}));
    assert!(matches!(circle, one_of::Shape::Circle(_)));
    let square: one_of::Shape = round_trip(json!({"kind": "square", "side": 3.0}));
    assert!(matches!(square, one_of::Shape::Square(_)));
    // A square's fields under the circle tag is an invalid circle, not a square.
    assert!(
        serde_json::from_value::<one_of::Shape>(json!({"kind": "circle", "side": 3.0})).is_err()
    );
    assert!(serde_json::from_value::<one_of::Shape>(json!({"kind": "hexagon"})).is_err());
}

#[test]
fn discriminator_keyword_uses_schema_names() {
    let cat: one_of::Pet = round_trip(json!({"petType": "Cat", "purrs": true}));
    assert!(matches!(cat, one_of::Pet::Cat(_)));
    let dog: one_of::Pet = round_trip(json!({"petType": "Dog", "barks": true}));
    assert!(matches!(dog, one_of::Pet::Dog(_)));
}

#[test]
fn untagged_any_of_tries_alternatives_in_order() {
    assert_eq!(
        round_trip::<Option<one_of::Scalar>>(json!("x")),
        Some(one_of::Scalar::String("x".into()))
    );
    assert_eq!(
        round_trip::<Option<one_of::Scalar>>(json!(5)),
        Some(one_of::Scalar::Integer(5))
    );
    assert_eq!(round_trip::<Option<one_of::Scalar>>(json!(null)), None);
}

#[test]
fn all_of_parts_are_merged() {
    let order: all_of::Order =
        round_trip(json!({"id": "o1", "created_at": "2026-01-01T00:00:00Z", "total": 9.5}));
    assert_eq!(order.id.as_str(), "o1");
    assert_eq!(order.total.as_f64(), Some(9.5));
    assert!(
        serde_json::from_value::<all_of::Order>(json!({"id": "o1"})).is_err(),
        "total is required"
    );
}

#[test]
fn nullable_keeps_null_apart_from_absent() {
    let p: nullable::ThingsPublishPayload = round_trip(
        json!({"required_nullable": null, "required_plain": "x", "optional_nullable": null}),
    );
    assert_eq!(p.required_nullable, None);
    assert_eq!(p.optional_nullable, Some(None));
    assert_eq!(p.optional_plain, None);
    let p: nullable::ThingsPublishPayload = round_trip(
        json!({"required_nullable": "y", "required_plain": "x", "null_alternative": 1.5, "null_enum": null}),
    );
    assert_eq!(p.null_alternative, Some(serde_json::Number::from_f64(1.5)));
    assert_eq!(p.null_enum, Some(None));
    assert!(
        serde_json::from_value::<nullable::ThingsPublishPayload>(
            json!({"required_nullable": null})
        )
        .is_err()
    );
}

#[test]
fn recursive_schemas_are_boxed() {
    let node: recursive::Node =
        round_trip(json!({"value": 1, "parent": {"value": 0}, "children": [{"value": 2}]}));
    assert_eq!(node.parent.as_ref().map(|p| p.value), Some(0));
    let _: recursive::Ping = round_trip(json!({"pong": {"ping": {"pong": {}}}}));
}

#[test]
fn additional_properties_true_false_schema_and_absent() {
    let open: additional::Open = round_trip(json!({"name": "n", "extra": [1, 2]}));
    assert_eq!(open.additional_properties["extra"], json!([1, 2]));
    assert!(
        serde_json::from_value::<additional::Closed>(json!({"name": "n", "extra": 1})).is_err()
    );
    let typed: additional::Typed = round_trip(json!({"name": "n", "count": 3}));
    assert_eq!(typed.additional_properties["count"], 3);
    assert!(serde_json::from_value::<additional::Typed>(json!({"count": "three"})).is_err());
    let tolerant: additional::Tolerant =
        serde_json::from_value(json!({"name": "n", "extra": 1})).unwrap();
    assert_eq!(
        serde_json::to_value(&tolerant).unwrap(),
        json!({"name": "n"})
    );
    let labels: additional::Labels = round_trip(json!({"a": "b"}));
    assert_eq!(labels["a"], "b");
    let _: additional::Patterned = round_trip(json!({"x-a": "b"}));
}

#[test]
fn string_enums_keep_unknown_values_and_other_enums_keep_their_type() {
    let p: enums::EnumsPublishPayload = round_trip(
        json!({"color": "dark-blue", "version": "v2", "level": 2, "mixed": true, "ratio": 0.5}),
    );
    assert_eq!(p.color, Some(enums::EnumsPublishPayloadColor::DarkBlue));
    let p: enums::EnumsPublishPayload = round_trip(json!({"color": "purple"}));
    assert_eq!(
        p.color,
        Some(enums::EnumsPublishPayloadColor::Unknown("purple".into()))
    );
    assert_eq!(enums::EnumsPublishPayloadColor::from("red").as_str(), "red");
    assert_eq!(
        enums::EnumsPublishPayloadColor::KNOWN,
        ["red", "green", "dark-blue"]
    );
}

#[test]
fn integer_widths_and_formats() {
    let p: scalars::ScalarsPublishPayload = round_trip(
        json!({"small": 7, "big": -9_000_000_000i64, "count": 3, "when": "2026-01-01T00:00:00Z", "id": "6f1c", "pair": ["a", 1]}),
    );
    assert_eq!(p.small, Some(7i32));
    assert!(
        serde_json::from_value::<scalars::ScalarsPublishPayload>(
            json!({"small": 3_000_000_000u64})
        )
        .is_err(),
        "int32"
    );
    assert!(
        serde_json::from_value::<scalars::ScalarsPublishPayload>(json!({"count": -1})).is_err(),
        "minimum 0"
    );
}

#[test]
fn traits_are_merged_into_messages() {
    let info = &traits::MESSAGES[0];
    assert_eq!(
        info.summary,
        Some("A light reading."),
        "the trait's summary wins (2.x merge patch)"
    );
    assert_eq!(
        info.content_type,
        Some("application/cloudevents+json"),
        "a field only the trait gives"
    );
    assert_eq!(
        traits::CHANNELS[0].operations[0].summary,
        Some("A light reading arrives.")
    );
}

#[test]
fn non_object_payloads_and_shape_decoding() {
    assert_eq!(
        shapes::decode("mixed", br#""hi""#).unwrap(),
        shapes::Message::Text("hi".into())
    );
    assert_eq!(
        shapes::decode("mixed", b"5").unwrap(),
        shapes::Message::Count(5)
    );
    assert!(matches!(
        shapes::decode("mixed", b"[]"),
        Err(hookgen_runtime::DecodeError::NoMatch { .. })
    ));
    assert_eq!(
        shapes::decode("empty", b"{}").unwrap().name(),
        Some("Nothing")
    );
    assert_eq!(
        shapes::decode("avro", br#"{"name":"n"}"#).unwrap().name(),
        Some("AvroRecord")
    );
}

#[test]
fn relative_file_references_are_followed() {
    let comment: external::Comment = round_trip(json!({"id": "c1", "author": {"name": "Dana"}}));
    let _: &external::CommentId = &comment.id;
    assert_eq!(
        comment
            .author
            .and_then(|a: external::User| a.name)
            .as_deref(),
        Some("Dana")
    );
}

#[test]
fn names_that_collide_with_rust_stay_distinct() {
    let r: collisions::Result = round_trip(
        json!({"kind": "result", "type": "t", "self": "s", "Self": "S", "super": 1, "crate": true, "fn": "f", "$ref": "r", "1st": "1", "a-b": "x", "a_b": "y", "A B": "z", "": "e"}),
    );
    assert_eq!(
        (r.r#type.as_deref(), r.self_.as_deref(), r.self2.as_deref()),
        (Some("t"), Some("s"), Some("S"))
    );
    assert_eq!(
        (r.a_b.as_deref(), r.a_b2.as_deref(), r.a_b3.as_deref()),
        (Some("x"), Some("y"), Some("z"))
    );
    let message = collisions::decode("self/anything", br#"{"kind":"option"}"#).unwrap();
    assert_eq!(message.name(), Some("unknown"));
    assert!(matches!(
        collisions::decode("self/x", br#"{"kind":"other"}"#).unwrap(),
        collisions::Message::Unknown3(_)
    ));
    let values: Vec<&str> = collisions::String::KNOWN.to_vec();
    assert_eq!(
        values,
        ["a-b", "a_b", "A B", "unknown", "Unknown", "1", "self", ""]
    );
}

#[test]
fn documents_without_channels_have_types_and_no_routes() {
    let _: no_channels::Thing = round_trip(json!({"name": "n"}));
    assert!(no_channels::CHANNELS.is_empty());
    assert!(no_channels::route("/anything").is_none());
}

#[test]
fn recursive_unions_and_self_referencing_aliases_compile_and_decode() {
    let e: recursive::Expr =
        round_trip(json!({"op": "neg", "arg": {"op": "neg", "arg": {"op": "lit", "value": 1.0}}}));
    assert!(matches!(e, recursive::Expr::Neg(_)));
    let _: recursive::LoopA = round_trip(json!({"anything": [1]}));
}

#[test]
#[cfg(not(hookgen_corpus_present))]
fn bindings_and_correlation_ids_are_kept_as_metadata() {
    eprintln!("SKIPPED: no AsyncAPI corpus (../shared/corpus or $HOOKGEN_CORPUS)");
}

/// Two corpus documents' modules (they exist only when the corpus is present).
#[test]
#[cfg(hookgen_corpus_present)]
fn bindings_and_correlation_ids_are_kept_as_metadata() {
    use hookgen_corpus::corpus_spec_examples_streetlights_kafka as kafka;
    let channel = kafka::CHANNELS
        .iter()
        .find(|c| c.address.is_some_and(|a| a.contains("lighting.measured")))
        .unwrap();
    let bindings: Value =
        serde_json::from_str(channel.operations[0].bindings.expect("bindings")).unwrap();
    assert!(bindings.get("kafka").is_some(), "{bindings}");
    use hookgen_corpus::corpus_spec_examples_correlation_id as correlation;
    assert!(correlation::MESSAGES.iter().any(|m| {
        m.correlation_id
            .is_some_and(|c| c.starts_with("$message.header#"))
    }));
}

#[test]
fn a_spec_can_select_the_standard_webhooks_scheme() {
    use hookgen_corpus::snapshot_standard_webhooks as sw;
    assert_eq!(sw::SIGNATURE, hookgen_runtime::STANDARD_WEBHOOKS);
    struct At(i64);
    impl hookgen_runtime::Clock for At {
        fn now_unix(&self) -> i64 {
            self.0
        }
    }
    let request = hookgen_runtime::SignedRequest {
        signature: Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
        timestamp: Some("1614265330"),
        body: br#"{"test": 2432232314}"#,
    };
    assert_eq!(
        sw::verify_request(
            &[b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            &request,
            &At(1_614_265_330)
        ),
        Ok(())
    );
    assert!(
        sw::verify_request(
            &[b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            &request,
            &At(1_614_265_330 + 301)
        )
        .is_err()
    );
}

#[test]
fn schemas_that_reach_themselves_through_composition_are_boxed_types() {
    let node: composition::Node = round_trip(json!({
        "name": "leaf",
        "parent": {"name": "middle", "parent": {"name": "root"}},
        "sibling": {"name": "s", "sibling": "by name"},
        "alias": 7,
        "children": [{"name": "c", "children": []}],
        "pair": [{"name": "a"}, {"name": "b"}],
        "byName": {"n1": {"name": "n"}},
        "conditional": {"name": "x"},
        "some": [{"name": "y"}, 1]
    }));
    let parent = node.parent.expect("parent");
    assert_eq!(parent.parent.expect("grandparent").name, "root");
    assert!(matches!(
        node.sibling.as_deref(),
        Some(composition::NodeSibling::Node(_))
    ));
    let left: composition::Left = round_trip(json!({"right": {"left": {"right": {}}}}));
    assert!(left.right.is_some());
}

#[test]
fn v3_channels_operations_replies_and_servers_are_in_the_routing_table() {
    assert_eq!(v3::SERVERS[0].host, "hooks.example.com");
    assert_eq!(v3::SERVERS[0].pathname, Some("/v1"));
    // A parameter's allowed values are enforced by routing; its default is kept.
    let route = v3::route("/orders/eu").expect("eu is allowed");
    assert_eq!(route.param("region"), Some("eu"));
    assert!(v3::route("/orders/mars").is_none());
    let region = &v3::CHANNELS[0].parameters[0];
    assert_eq!(
        (region.allowed, region.default, region.location),
        (
            &["eu", "us"][..],
            Some("eu"),
            Some("$message.payload#/region")
        )
    );
    // The dynamic reply channel has no address and routes nothing.
    let replies = v3::CHANNELS
        .iter()
        .find(|c| c.address.is_none())
        .expect("dynamic channel");
    assert_eq!(
        replies.description,
        Some("Where the sender asked for acknowledgements.")
    );
    // Operations carry a subset of their channel's messages, and the reply.
    let [receive, send] = v3::CHANNELS[0].operations else {
        panic!("two operations on orders");
    };
    assert_eq!(receive.action, hookgen_runtime::Action::Receive);
    assert_eq!(receive.messages, ["OrderCreated", "OrderCancelled"]);
    let reply = receive.reply.expect("a reply");
    assert_eq!(
        (reply.address, reply.location, reply.messages),
        (None, Some("$message.header#/replyTo"), &["Ack"][..])
    );
    assert_eq!(send.action, hookgen_runtime::Action::Send);
    assert_eq!(send.messages, ["OrderCorrected"]);
    // A Multi Format Schema Object: AsyncAPI schemas are typed, Avro is kept as JSON.
    let cancelled = v3::decode(
        "/orders/us",
        br#"{"type":"order.cancelled","id":"o1","reason":"r"}"#,
    )
    .expect("decodes");
    assert!(
        matches!(cancelled, v3::Message::OrderCancelled(ref p) if p.reason.as_deref() == Some("r"))
    );
    let audit = v3::decode("/audit", br#"{"id":"a1"}"#).expect("decodes");
    assert!(matches!(audit, v3::Message::AuditRecord(ref v) if v["id"] == "a1"));
}
