//! GitHub's real payload examples (`../shared/corpus/openapi/github/examples.json`, from
//! `@octokit/webhooks-examples`; set `HOOKGEN_CORPUS` to read another corpus) through
//! the generated `github` module as a receiver meets them: each is signed as GitHub signs
//! it, verified, decoded by its `X-GitHub-Event` header and `action` into its specific
//! message, and serialized back to the JSON it was.
//!
//! The examples are older than GitHub's schema: some lack fields the schema now
//! requires (the overlay's `x-hookgen.receive.optional` relaxes those it names), some
//! carry fields the schema no longer describes (decoded, but dropped by the types, so
//! the round trip is not exact). Every example that is not decoded into its message, or
//! does not round-trip exactly, is listed in `tests/github_examples.expected` with its
//! reason; the test fails when that list and what happens differ, in either direction,
//! so a regression and an improvement are both seen.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use webhooks::github;

/// Signs, verifies and decodes one example: `Err` unless it becomes its own message;
/// then how its round trip differs, if it does.
fn decode(event: &str, action: Option<&str>, example: &Value) -> Result<Option<String>, String> {
    let body = serde_json::to_vec(example).map_err(|e| e.to_string())?;
    let secret = b"It's a Secret to Everybody";
    let signature = github::sign(secret, &body);
    let headers = [
        ("X-GitHub-Event", event),
        ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("X-Hub-Signature-256", signature.as_str()),
    ];
    github::verify(secret, &signature, &body).map_err(|e| format!("signature: {e}"))?;
    let message =
        github::decode_request("/github", &headers, &body).map_err(|e| format!("decode: {e}"))?;
    let Some(info) = message.info() else {
        return Err("decoded as an unknown event".to_owned());
    };
    if info.headers != [("X-GitHub-Event", event)] {
        return Err(format!("decoded as `{}`, another event", info.name));
    }
    // A message that fixes no action (`repository_dispatch` carries the sender's own)
    // takes any.
    if let Some(action) = action.filter(|_| !info.discriminator_values.is_empty()) {
        if !info.discriminator_values.contains(&action) {
            return Err(format!("decoded as `{}`, another action", info.name));
        }
    }
    let back = serde_json::to_value(&message).map_err(|e| e.to_string())?;
    Ok(difference(example, &back, String::new())
        .map(|difference| format!("`{}` round trip: {difference}", info.name)))
}

/// The first place where `sent` and `back` differ, as a JSON pointer and what happened.
fn difference(sent: &Value, back: &Value, at: String) -> Option<String> {
    match (sent, back) {
        (Value::Object(sent), Value::Object(back)) => sent
            .iter()
            .find_map(|(key, value)| match back.get(key) {
                None => Some(format!("`{at}/{key}` dropped")),
                Some(other) => difference(value, other, format!("{at}/{key}")),
            })
            .or_else(|| {
                back.keys()
                    .find(|key| !sent.contains_key(*key))
                    .map(|key| format!("`{at}/{key}` added"))
            }),
        (Value::Array(sent), Value::Array(back)) if sent.len() == back.len() => sent
            .iter()
            .zip(back)
            .enumerate()
            .find_map(|(i, (a, b))| difference(a, b, format!("{at}/{i}"))),
        _ if sent == back => None,
        _ => Some(format!("`{at}` changed from {sent} to {back}")),
    }
}

#[test]
fn the_declared_request_headers_are_typed() {
    let headers = [
        ("user-agent", "GitHub-Hookshot/123abc"),
        ("x-github-hook-id", "12312312"),
        ("x-github-event", "issues"),
        ("x-github-hook-installation-target-id", "123123"),
        ("x-github-hook-installation-target-type", "repository"),
        ("x-github-delivery", "0b989ba4-242f-11e5-81e1-c7b6966d2516"),
        ("x-hub-signature-256", "sha256=6dcb09b5"),
    ];
    let typed = github::WebhookHeaders::from_request(&headers).expect("all declared");
    assert_eq!(
        typed.x_git_hub_delivery,
        "0b989ba4-242f-11e5-81e1-c7b6966d2516"
    );
    assert_eq!(typed.x_github_event, "issues");
    // Every one is required: without the delivery id the request's headers do not fit.
    let missing = github::WebhookHeaders::from_request(&headers[..6].to_vec());
    assert!(matches!(
        missing,
        Err(hookgen_runtime::DecodeError::InvalidHeaders(_))
    ));
}

#[test]
fn github_examples_decode_into_their_messages() {
    let corpus = hookgen_conformance::corpus_dir();
    let path = corpus.join("openapi/github/examples.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIPPED: no GitHub examples at {} (set HOOKGEN_CORPUS)",
            path.display()
        );
        return;
    };
    let events: Vec<Value> = serde_json::from_str(&text).expect("examples.json is JSON");
    let mut failures = BTreeMap::new();
    let (mut total, mut decoded) = (0, 0);
    for entry in &events {
        let event = entry["name"].as_str().expect("each entry names its event");
        let examples = entry["examples"].as_array().map_or(&[][..], Vec::as_slice);
        for (n, example) in examples.iter().enumerate() {
            total += 1;
            let action = example.get("action").and_then(Value::as_str);
            let label = format!("{event}#{n} ({})", action.unwrap_or("-"));
            match decode(event, action, example) {
                Ok(None) => decoded += 1,
                Ok(Some(difference)) => {
                    decoded += 1;
                    failures.insert(label, format!("decoded; {difference}"));
                }
                Err(reason) => {
                    failures.insert(label, format!("NOT DECODED: {reason}"));
                }
            }
        }
    }
    let exact = total - failures.len();
    eprintln!(
        "GitHub examples: {decoded} of {total} decoded into their messages, {exact} of them exactly round-tripped"
    );
    let seen: String = failures
        .iter()
        .map(|(label, reason)| format!("{label}: {reason}\n"))
        .collect();
    let expected_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/github_examples.expected");
    if std::env::var_os("HOOKGEN_BLESS").is_some() {
        std::fs::write(&expected_path, &seen).expect("writing the expected failures");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    assert!(
        seen == expected,
        "the GitHub examples that fail changed ({decoded} of {total} decoded); \
         rerun with HOOKGEN_BLESS=1 and review the diff of {}:\n{seen}",
        expected_path.display()
    );
}

/// Real GitHub payloads the shared examples leave out (`scripts/github-heldout.sh`
/// fetches `@octokit/webhooks-examples` and keeps only those, in the same format, at
/// `$HOOKGEN_GITHUB_HELDOUT`): each is signed, posted to a receiver built from the
/// generated module (its `layer()` over a handler service that records what it gets),
/// and must reach the application, as its own typed message or as an undecodable
/// delivery with its reason; at least 97 % as their own message.
#[tokio::test]
async fn held_out_github_payloads_all_reach_the_application() {
    use webhooks::receiver::{Delivery, HandlerError, Layer as _, ReceiverConfig, Service as _};
    let Some(path) = std::env::var_os("HOOKGEN_GITHUB_HELDOUT") else {
        eprintln!("SKIPPED: no held-out GitHub payloads (run scripts/github-heldout.sh)");
        return;
    };
    /// What reached the handler: the message's event and actions, or why not typed.
    type Seen = Result<(String, Vec<String>), String>;
    #[derive(Clone, Default)]
    struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<Seen>>>);
    impl webhooks::receiver::Service<Delivery<github::Message>> for Recorder {
        type Response = ();
        type Error = HandlerError;
        type Future = std::future::Ready<Result<(), HandlerError>>;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), HandlerError>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, delivery: Delivery<github::Message>) -> Self::Future {
            let seen = match &delivery.message {
                Ok(message) => match message.info() {
                    Some(info) => Ok((
                        info.headers.first().map_or("", |(_, v)| *v).to_owned(),
                        info.discriminator_values
                            .iter()
                            .map(|v| (*v).to_owned())
                            .collect(),
                    )),
                    None => Err("unknown event".to_owned()),
                },
                Err(error) => Err(error.to_string()),
            };
            self.0.lock().unwrap().push(seen);
            std::future::ready(Ok(()))
        }
    }
    let text = std::fs::read_to_string(&path).expect("the held-out payloads");
    let events: Vec<Value> = serde_json::from_str(&text).expect("JSON");
    let secret = b"It's a Secret to Everybody";
    let recorder = Recorder::default();
    let layer = github::layer(ReceiverConfig::new(secret.to_vec())).unwrap();
    let mut service = layer.layer(recorder.clone());
    let (mut total, mut own, mut undecodable) = (0, 0, Vec::new());
    // Events the document does not describe at all (GitHub Enterprise Server's own)
    // arrive as unknown events, as they must: no type exists to decode them into.
    let mut unlisted = 0;
    let listed = |event: &str| {
        github::MESSAGES
            .iter()
            .any(|m| m.headers.iter().any(|(_, value)| *value == event))
    };
    for entry in &events {
        let event = entry["name"].as_str().expect("each entry names its event");
        for example in entry["examples"].as_array().into_iter().flatten() {
            total += 1;
            let action = example.get("action").and_then(Value::as_str);
            let body = serde_json::to_vec(example).unwrap();
            let request = webhooks::receiver::axum::http::Request::post("/github")
                .header("X-GitHub-Event", event)
                .header("X-GitHub-Delivery", format!("heldout-{total}"))
                .header("X-Hub-Signature-256", github::sign(secret, &body))
                .body(http_body_util::Full::new(
                    webhooks::receiver::axum::body::Bytes::from(body),
                ))
                .unwrap();
            let response = service.call(request).await.unwrap();
            assert_eq!(response.status(), 204, "{event} {action:?}");
            let seen = recorder
                .0
                .lock()
                .unwrap()
                .pop()
                .expect("reached the handler");
            match seen {
                Ok((named, actions))
                    if named == event
                        && (actions.is_empty()
                            || action.is_some_and(|a| actions.iter().any(|x| x == a))) =>
                {
                    own += 1
                }
                Ok((named, _)) => {
                    undecodable.push(format!("{event} {action:?}: decoded as {named}"))
                }
                Err(reason) if !listed(event) => {
                    unlisted += 1;
                    undecodable.push(format!(
                        "{event} {action:?}: {reason} (not in the document)"
                    ));
                }
                Err(reason) => undecodable.push(format!("{event} {action:?}: {reason}")),
            }
        }
    }
    let figure = 100.0 * own as f64 / (total - unlisted) as f64;
    eprintln!(
        "held-out GitHub payloads: {total} posted, {total} reached the handler; {unlisted} of events the document does not describe (unknown events); of the {} others, {own} ({figure:.1} %) as their own message; the rest:\n{}",
        total - unlisted,
        undecodable.join("\n")
    );
    assert!(
        figure >= 97.0,
        "{figure:.1} % decoded into their own message"
    );
}
