//! The developer commands that talk HTTP: `listen` (a local receiver for a spec) and
//! `send-test` (posts the spec's signed examples). Binary-only: the library stays pure.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use hookgen_cli::inspect::{Identified, Inspector};
use hookgen_runtime::receiver::axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use hookgen_runtime::receiver::{
    BodyLimits, DEFAULT_READ_TIMEOUT, Refusal, ServerLimits, serve, verified_body,
};
use hookgen_runtime::{SignatureScheme, SystemClock};

/// Serves every channel of the spec at its address on `127.0.0.1:port` until killed,
/// printing each delivery and answering as a real endpoint would.
pub fn listen(
    inspector: Inspector,
    scheme: SignatureScheme,
    secret: Vec<u8>,
    port: u16,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
        let address = listener.local_addr()?;
        println!("listening on http://{address} for {} ({} channels):", shown(&inspector.spec.title), inspector.spec.channels.len());
        for channel in inspector.spec.channels.iter().filter_map(|c| c.address.as_deref()) {
            println!("  POST http://{address}{}", shown(channel));
        }
        let state = Arc::new((inspector, scheme, secret));
        let app = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Body| {
            let state = Arc::clone(&state);
            async move { receive(&state.0, state.1, &state.2, method, uri, headers, body).await }
        });
        // Slow or stalled clients are cut off like in a generated receiver.
        serve(listener, app, ServerLimits::default()).await.context("serving")
    })
}

async fn receive(
    inspector: &Inspector,
    scheme: SignatureScheme,
    secret: &[u8],
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = shown(uri.path());
    let answer = |status: StatusCode, line: String| {
        println!("{} {path}: {}", status.as_u16(), shown(&line));
        (status, line).into_response()
    };
    if method != Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed".into());
    }
    let Some((channel, params)) = inspector.route(uri.path()) else {
        return answer(StatusCode::NOT_FOUND, "no channel at this address".into());
    };
    let secrets = [secret];
    let limits = BodyLimits {
        max_bytes: 1024 * 1024,
        read_timeout: DEFAULT_READ_TIMEOUT,
    };
    let verified = verified_body(&scheme, &secrets, &SystemClock, limits, &headers, body);
    let body = match verified.await {
        Ok(body) => body,
        Err(Refusal::TooLarge) => {
            return answer(StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB".into());
        }
        Err(Refusal::TimedOut) => {
            return answer(
                StatusCode::REQUEST_TIMEOUT,
                "body not received in time".into(),
            );
        }
        Err(Refusal::Unreadable) => {
            return answer(StatusCode::BAD_REQUEST, "body could not be read".into());
        }
        Err(Refusal::Unauthorized(reason)) => {
            println!("401 {path}: rejected ({})", shown(&reason.to_string()));
            return Refusal::Unauthorized(reason).into_response();
        }
        Err(other) => {
            println!("503 {path}: {other:?}");
            return other.into_response();
        }
    };
    let json: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(json) => json,
        Err(e) => return answer(StatusCode::BAD_REQUEST, format!("not JSON: {e}")),
    };
    let name = match inspector.identify(channel, &headers, &json) {
        Ok(Identified::Message(name)) => name,
        Ok(Identified::Unknown {
            event,
            discriminator,
        }) => {
            let named: Vec<String> = event.into_iter().chain(discriminator).collect();
            format!("unknown event ({})", named.join(" "))
        }
        Err(e) => return answer(StatusCode::BAD_REQUEST, e),
    };
    let params: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", shown(k), shown(v)))
        .collect();
    // JSON escapes C0 controls but not DEL, C1 controls or direction overrides.
    let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
    let pretty: Vec<String> = pretty.lines().map(shown).collect();
    println!(
        "204 {path}: {} {}\n{}",
        shown(&name),
        params.join(" "),
        pretty.join("\n")
    );
    StatusCode::NO_CONTENT.into_response()
}

/// `base` (a URL without a path) with the spec's channel `address` as its path: joined as
/// parsed parts, never as text, so an address cannot name another host (`@evil:80/x`,
/// `.evil.example/x`, `//evil/x`), port or scheme. `None` when the address is not a
/// path (it must start with one `/`).
fn target_url(base: &reqwest::Url, address: &str) -> Option<String> {
    if !address.starts_with('/') || address.starts_with("//") {
        return None;
    }
    let mut target = base.clone();
    target.set_path(address);
    target.set_query(None);
    target.set_fragment(None);
    let same_origin = target.scheme() == base.scheme()
        && target.host() == base.host()
        && target.port() == base.port()
        && target.username() == base.username();
    same_origin.then(|| target.to_string())
}

/// Untrusted text (from a request or a spec) as printed: no escape sequences, one line.
fn shown(text: &str) -> String {
    hookgen::__private::escape::terminal(text)
}

/// Posts each example (or those of `message`) signed to `url` (plus the channel address
/// when `url` has no path); returns how many were not accepted.
pub fn send_test(
    inspector: &Inspector,
    scheme: SignatureScheme,
    secret: Vec<u8>,
    url: &str,
    choice: &TestChoice<'_>,
) -> Result<usize> {
    let examples = match &choice.body {
        Some(body) => vec![own_body(inspector, choice, body.clone())?],
        None => spec_examples(inspector, choice.message)?,
    };
    let base =
        reqwest::Url::parse(url).with_context(|| format!("--url {} is not a URL", shown(url)))?;
    if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
        anyhow::bail!("--url {} is not an http(s) URL with a host", shown(url));
    }
    let has_path = base.path() != "/";
    let policy = hookgen_runtime::sender::RetryPolicy {
        attempts: 1,
        ..Default::default()
    };
    let sender = hookgen_runtime::sender::Sender::new(scheme, secret, policy)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let mut failures = 0;
    for TestDelivery {
        name,
        address,
        payload,
        event,
    } in examples
    {
        let target = if has_path {
            base.to_string()
        } else {
            match target_url(&base, &address) {
                Some(target) => target,
                None => {
                    println!(
                        "{} → refused: its channel address {} is not a path, so it cannot go under --url",
                        shown(&name),
                        shown(&address)
                    );
                    failures += 1;
                    continue;
                }
            }
        };
        let headers: Vec<(&str, &str)> = event
            .as_ref()
            .map(|(header, value)| (header.as_str(), value.as_str()))
            .into_iter()
            .collect();
        let report = runtime.block_on(sender.send_with_headers(&target, &payload, &headers))?;
        let outcome =
            report
                .attempts
                .last()
                .map_or_else(String::new, |a| match (a.status, &a.error) {
                    (Some(status), _) => status.to_string(),
                    (None, Some(error)) => error.clone(),
                    (None, None) => String::new(),
                });
        println!("{} → {}: {}", shown(&name), shown(&target), shown(&outcome));
        failures += usize::from(!report.delivered);
    }
    Ok(failures)
}

/// What `send-test` sends: the spec's examples (of one message, or the first of each),
/// or a body of the developer's own, with the event it names on a channel that takes
/// its events from a header.
pub struct TestChoice<'a> {
    /// Only this message (`--message`).
    pub message: Option<&'a str>,
    /// The event header's value (`--event`), for a body of one's own.
    pub event: Option<&'a str>,
    /// A body of one's own (`--body FILE`).
    pub body: Option<serde_json::Value>,
}

/// One delivery `send-test` posts.
struct TestDelivery {
    /// What it is, as shown.
    name: String,
    /// A concrete address of its channel.
    address: String,
    /// The payload.
    payload: serde_json::Value,
    /// The event header and its value, on a channel that has one.
    event: Option<(String, String)>,
}

/// The first example of each message of the spec (or of `message`).
fn spec_examples(inspector: &Inspector, message: Option<&str>) -> Result<Vec<TestDelivery>> {
    let mut examples: Vec<TestDelivery> = Vec::new();
    for (name, address, payload) in inspector.examples() {
        if message.is_none_or(|m| m == name) && !examples.iter().any(|e| e.name == name) {
            let index = inspector.spec.messages.iter().position(|m| m.key == name);
            let event = index
                .and_then(|i| inspector.spec.event_header_of(i))
                .map(|(h, v)| (h.to_owned(), v.to_owned()));
            examples.push(TestDelivery {
                name,
                address,
                payload,
                event,
            });
        }
    }
    if !examples.is_empty() {
        return Ok(examples);
    }
    let names: Vec<&str> = inspector
        .spec
        .messages
        .iter()
        .filter(|m| !m.examples.is_empty())
        .map(|m| m.key.as_str())
        .collect();
    match message {
        _ if names.is_empty() => anyhow::bail!(
            "the spec has no examples to send; send a body of your own with --body FILE (and --event NAME where a header names the event)"
        ),
        Some(message) => anyhow::bail!(
            "no example for message `{}`; messages with examples: {} (or send your own with --body FILE)",
            shown(message),
            shown(&names.join(", "))
        ),
        None => anyhow::bail!("no message example has a channel address to post to"),
    }
}

/// A body of the developer's own, posted where `--message` or `--event` says.
fn own_body(
    inspector: &Inspector,
    choice: &TestChoice<'_>,
    payload: serde_json::Value,
) -> Result<TestDelivery> {
    let spec = &inspector.spec;
    let message = match choice.message {
        Some(name) => Some(
            spec.messages
                .iter()
                .position(|m| m.key == name)
                .with_context(|| format!("no message `{}` in the spec", shown(name)))?,
        ),
        None => None,
    };
    let channel = spec
        .channels
        .iter()
        .filter(|c| message.is_none_or(|m| c.messages.contains(&m)))
        .filter(|c| choice.event.is_none() || c.event_header.is_some())
        .find(|c| c.sample_address().is_some())
        .context("no channel of the spec can take this body (with an address, and an event header for --event)")?;
    let address = channel.sample_address().unwrap_or_default();
    let event = match (&channel.event_header, choice.event, message) {
        (Some(header), Some(event), _) => Some((header.clone(), event.to_owned())),
        (Some(header), None, Some(m)) => spec.messages[m]
            .event
            .clone()
            .map(|event| (header.clone(), event)),
        (Some(header), None, None) => anyhow::bail!(
            "this channel names its events in `{}`: say which with --event NAME",
            shown(header)
        ),
        (None, _, _) => None,
    };
    let name = match (&event, choice.message) {
        (_, Some(name)) => name.to_owned(),
        (Some((_, event)), None) => format!("--body as `{event}`"),
        (None, None) => "--body".to_owned(),
    };
    Ok(TestDelivery {
        name,
        address,
        payload,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::target_url;

    #[test]
    fn an_address_is_a_path_under_the_base_and_never_another_host() {
        let base = reqwest::Url::parse("http://127.0.0.1:18201").unwrap();
        assert_eq!(
            target_url(&base, "/hooks/airmy").as_deref(),
            Some("http://127.0.0.1:18201/hooks/airmy")
        );
        // Characters a path cannot hold are encoded, never read as a query or fragment.
        assert_eq!(
            target_url(&base, "/a?b#c").as_deref(),
            Some("http://127.0.0.1:18201/a%3Fb%23c")
        );
        for hostile in [
            "@127.0.0.1:18202/collected",
            "/\\evil.example/x",
            "/%2F%2Fevil.example",
            ".localtest.me:18202/x",
            "//evil.example/x",
            "evil.example/x",
            ":18202/x",
            "",
        ] {
            let target = target_url(&base, hostile);
            assert!(
                target.is_none()
                    || target
                        .as_deref()
                        .is_some_and(|t| t.starts_with("http://127.0.0.1:18201/")),
                "{hostile}: {target:?}"
            );
        }
    }

    proptest::proptest! {
        /// Whatever a spec writes as an address, the target is the base's scheme, host
        /// and port with a path, or nothing.
        #[test]
        fn no_address_leaves_the_base(address in "[/@.:?#%a-z0-9\\\\ ]{0,24}") {
            let base = reqwest::Url::parse("http://127.0.0.1:18201").unwrap();
            if let Some(target) = target_url(&base, &address) {
                let parsed = reqwest::Url::parse(&target).unwrap();
                proptest::prop_assert_eq!(parsed.host_str(), Some("127.0.0.1"));
                proptest::prop_assert_eq!(parsed.port(), Some(18201));
                proptest::prop_assert_eq!(parsed.scheme(), "http");
                proptest::prop_assert_eq!((parsed.query(), parsed.fragment()), (None, None));
            }
        }
    }
}
