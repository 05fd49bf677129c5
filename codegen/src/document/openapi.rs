//! OpenAPI 3.1 `webhooks` into the document model: each entry's operation is a message
//! the application receives (its JSON request body the payload, its key the name, its
//! `summary` and `description` the docs), all on one channel whose address
//! `x-hookgen.address` gives (default `/webhooks`). The rest of the document (paths,
//! servers, security) describes the provider's API, not its webhooks, and is not read;
//! only the schemas the webhooks reach are lowered.
//!
//! With `x-hookgen.event-header`, a request header names each delivery's event (GitHub's
//! `X-GitHub-Event`) and each webhook's event is derived here ([`event`]).

use serde_json::Value;

use super::{
    Action, Channel, Document, Example, HeaderParameter, Message, Operation, Reader, Schema, text,
};
use crate::diagnostics::child;

/// The HTTP methods an OpenAPI path item may hold, in the order they are read.
const METHODS: &[&str] = &[
    "post", "put", "patch", "get", "delete", "head", "options", "trace",
];

/// The address of the channel when `x-hookgen.address` does not give one.
pub const DEFAULT_ADDRESS: &str = "/webhooks";

pub(super) fn read(reader: &mut Reader<'_>, document: &mut Document) {
    let root = reader.root();
    let Some(webhooks) = root.get("webhooks") else {
        reader.error(
            "",
            "an OpenAPI document without `webhooks`: it describes no webhooks",
        );
        return;
    };
    let Some(webhooks) = webhooks.as_object() else {
        reader.error(
            "/webhooks",
            "`webhooks` must be a mapping of names to path items",
        );
        return;
    };
    let mut messages = Vec::new();
    for (name, item) in webhooks {
        let at = child("/webhooks", name);
        let Some((item_at, item)) = reader.follow(item, &at) else {
            continue;
        };
        let Some(item) = item.as_object() else {
            reader.error(&at, "a webhook must be a path item (a mapping of methods)");
            continue;
        };
        let operations: Vec<&str> = METHODS
            .iter()
            .copied()
            .filter(|m| item.contains_key(*m))
            .collect();
        match operations.as_slice() {
            [] => reader.error(&at, "a webhook without an operation (`post`)"),
            [method] => {
                let op_at = child(&item_at, method);
                if let Some(index) = message(reader, document, &item[*method], &op_at, name) {
                    messages.push(index);
                }
            }
            several => reader.error(
                &at,
                format!(
                    "a webhook with several operations ({}): which one is delivered?",
                    several.join(", ")
                ),
            ),
        }
    }
    let address = document
        .config
        .address
        .clone()
        .unwrap_or_else(|| DEFAULT_ADDRESS.to_owned());
    document.channels.push(Channel {
        at: "/webhooks".to_owned(),
        key: "webhooks".to_owned(),
        address: Some(address),
        description: String::new(),
        parameters: Vec::new(),
        messages: messages.clone(),
        discriminator: None,
        event_header: document.config.event_header.clone(),
        bindings: None,
    });
    document.operations.push(Operation {
        at: "/webhooks".to_owned(),
        id: "webhooks.receive".to_owned(),
        action: Action::Receive,
        channel: 0,
        summary: String::new(),
        messages,
        bindings: None,
        reply: None,
    });
}

/// One webhook operation as a message: `None` (and a diagnostic) without a JSON body.
fn message(
    reader: &mut Reader<'_>,
    document: &mut Document,
    operation: &Value,
    at: &str,
    name: &str,
) -> Option<usize> {
    let (at, operation) = reader.follow(operation, at)?;
    if !operation.is_object() {
        reader.error(&at, "an operation must be a mapping");
        return None;
    }
    let Some(body) = operation.get("requestBody") else {
        reader.error(
            &at,
            "a webhook operation without a `requestBody`: nothing is delivered",
        );
        return None;
    };
    let (body_at, body) = reader.follow(body, &child(&at, "requestBody"))?;
    let content_at = child(&body_at, "content");
    let Some(content) = body.get("content").and_then(Value::as_object) else {
        reader.error(&content_at, "a request body needs `content`");
        return None;
    };
    let Some((media_type, media)) = content
        .iter()
        .find(|(t, _)| is_json(t))
        .or_else(|| content.iter().next())
    else {
        reader.error(&content_at, "a request body with no media type");
        return None;
    };
    let media_at = child(&content_at, media_type);
    if !is_json(media_type) {
        reader.error(
            &media_at,
            format!("`{media_type}`: Hookgen reads JSON webhook bodies only"),
        );
        return None;
    }
    let payload = media.get("schema").map(|_| Schema {
        at: child(&media_at, "schema"),
        format: None,
    });
    let event = document
        .config
        .event_header
        .is_some()
        .then(|| event(reader, operation, &at, name))
        .flatten();
    let header_parameters = header_parameters(reader, operation, &at);
    let mut examples = examples(media, &media_at);
    if examples.is_empty() {
        if let Some(payload) = &payload {
            examples = schema_examples(reader, &payload.at);
        }
    }
    document.messages.push(Message {
        at: at.clone(),
        key: name.to_owned(),
        title: String::new(),
        summary: text(Some(operation), "summary"),
        description: text(Some(operation), "description"),
        content_type: Some(media_type.clone()),
        payload,
        headers: None,
        correlation_id: None,
        examples,
        discriminator_values: None,
        event,
        header_parameters,
        bindings: None,
    });
    Some(document.messages.len() - 1)
}

/// The operation's header parameters (references followed), in declaration order; the
/// first of two with the same name (ignoring ASCII case) is kept, and the other reported.
fn header_parameters(reader: &mut Reader<'_>, operation: &Value, at: &str) -> Vec<HeaderParameter> {
    let list_at = child(at, "parameters");
    let Some(list) = operation.get("parameters") else {
        return Vec::new();
    };
    let Some(list) = list.as_array() else {
        reader.error(&list_at, "`parameters` must be a list");
        return Vec::new();
    };
    let mut found: Vec<HeaderParameter> = Vec::new();
    for (i, parameter) in list.iter().enumerate() {
        let Some((parameter_at, parameter)) =
            reader.follow(parameter, &child(&list_at, &i.to_string()))
        else {
            continue;
        };
        if parameter.get("in").and_then(Value::as_str) != Some("header") {
            continue;
        }
        let Some(name) = parameter
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            reader.error(&parameter_at, "a header parameter needs a `name`");
            continue;
        };
        if found.iter().any(|p| p.name.eq_ignore_ascii_case(name)) {
            reader.error(
                &parameter_at,
                format!("the header `{name}` is declared twice"),
            );
            continue;
        }
        found.push(HeaderParameter {
            name: name.to_owned(),
            description: text(Some(parameter), "description"),
            required: parameter.get("required").and_then(Value::as_bool) == Some(true),
        });
    }
    found
}

/// The event a webhook's deliveries name in the event header: the operation's
/// `x-hookgen-event`, else its `operationId` up to the first `/` (else the webhook's
/// key), with `-` written `_`. GitHub's `issues/opened` is the `issues` event (its
/// `opened` action is the payload's `action`), `branch-protection-rule/created` the
/// `branch_protection_rule` event, as GitHub's `X-GitHub-Event` names them.
fn event(reader: &mut Reader<'_>, operation: &Value, at: &str, name: &str) -> Option<String> {
    if let Some(stated) = operation.get("x-hookgen-event") {
        let Some(stated) = stated.as_str().filter(|s| !s.is_empty()) else {
            reader.error(
                &child(at, "x-hookgen-event"),
                "`x-hookgen-event` must be a non-empty string",
            );
            return None;
        };
        return Some(stated.to_owned());
    }
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .unwrap_or(name);
    let event = id.split('/').next().unwrap_or(id).replace('-', "_");
    if event.is_empty() {
        reader.error(
            at,
            "no event for the event header: the `operationId` starts with `/`; state it with `x-hookgen-event`",
        );
        return None;
    }
    Some(event)
}

/// The payload schema's own examples, when the media type gives none: JSON Schema's
/// `examples`, OpenAPI's `example`, and OpenAI's `x-oaiMeta.example` (JSON text), which
/// is where OpenAI's document keeps the example of each webhook event.
fn schema_examples(reader: &Reader<'_>, at: &str) -> Vec<Example> {
    let Some(schema) = reader.root().pointer(at) else {
        return Vec::new();
    };
    let Some((at, schema)) = reader.follow(schema, at) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if let Some(list) = schema.get("examples").and_then(Value::as_array) {
        for (i, example) in list.iter().enumerate() {
            found.push(Example {
                at: child(&child(&at, "examples"), &i.to_string()),
                name: None,
                payload: Some(example.clone()),
                headers: None,
            });
        }
    }
    if let Some(example) = schema.get("example") {
        found.push(Example {
            at: child(&at, "example"),
            name: None,
            payload: Some(example.clone()),
            headers: None,
        });
    }
    let meta_at = child(&child(&at, "x-oaiMeta"), "example");
    if let Some(text) = schema.pointer("/x-oaiMeta/example").and_then(Value::as_str) {
        if let Ok(example) = serde_json::from_str::<Value>(text) {
            found.push(Example {
                at: meta_at,
                name: None,
                payload: Some(example),
                headers: None,
            });
        }
    }
    found
}

/// `application/json` and the `+json` types.
fn is_json(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// A media type's `example` and `examples` (their `value`s).
fn examples(media: &Value, at: &str) -> Vec<Example> {
    let mut found = Vec::new();
    if let Some(example) = media.get("example") {
        found.push(Example {
            at: child(at, "example"),
            name: None,
            payload: Some(example.clone()),
            headers: None,
        });
    }
    if let Some(examples) = media.get("examples").and_then(Value::as_object) {
        for (name, example) in examples {
            if let Some(value) = example.get("value") {
                found.push(Example {
                    at: child(&child(at, "examples"), name),
                    name: Some(name.clone()),
                    payload: Some(value.clone()),
                    headers: None,
                });
            }
        }
    }
    found
}
