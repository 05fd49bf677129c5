//! AsyncAPI 3.0 and 3.1 into the document model: channels keyed by id with an address
//! (absent or `null`: a dynamic channel) and a map of messages; operations at the top
//! with `action`, a `channel` reference, a subset of that channel's messages, and
//! `reply`.

use serde_json::Value;

use super::{
    Action, Channel, Document, Operation, Parameter, Reader, Reply, Server, text, value_text,
};
use crate::diagnostics::child;

pub(super) fn read<'a>(reader: &mut Reader<'a>, document: &mut Document) {
    let root = reader.root();
    if let Some(servers) = root.get("servers").and_then(Value::as_object) {
        for (name, server) in servers {
            let Some((_, server)) = reader.follow(server, &child("/servers", name)) else {
                continue;
            };
            document.servers.push(Server {
                name: name.clone(),
                host: text(Some(server), "host"),
                pathname: text(Some(server), "pathname"),
                protocol: text(Some(server), "protocol"),
                description: text(Some(server), "description"),
            });
        }
    }
    // Where each channel is defined (references followed), to find operations' channels.
    let mut channel_at = Vec::new();
    if let Some(channels) = root.get("channels").and_then(Value::as_object) {
        for (id, channel) in channels {
            let at = child("/channels", id);
            let Some((defined_at, channel)) = reader.follow(channel, &at) else {
                continue;
            };
            let Some(map) = channel.as_object() else {
                continue;
            };
            let mut messages = Vec::new();
            if let Some(list) = map.get("messages").and_then(Value::as_object) {
                let messages_at = child(&defined_at, "messages");
                for (key, message) in list {
                    if let Some(index) =
                        reader.message(document, message, &child(&messages_at, key), key)
                    {
                        if !messages.contains(&index) {
                            messages.push(index);
                        }
                    }
                }
            }
            let parameters = parameters(reader, channel, &defined_at);
            let discriminator = reader.discriminator(channel, &defined_at);
            document.channels.push(Channel {
                at: at.clone(),
                key: id.clone(),
                address: map
                    .get("address")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                description: text(Some(channel), "description"),
                parameters,
                messages,
                discriminator,
                event_header: None,
                bindings: reader.bindings(map.get("bindings"), &defined_at),
            });
            channel_at.push(defined_at);
        }
    }
    let Some(operations) = root.get("operations").and_then(Value::as_object) else {
        return;
    };
    for (id, operation) in operations {
        let at = child("/operations", id);
        let Some((defined_at, op)) = reader.follow(operation, &at) else {
            continue;
        };
        if !op.is_object() {
            continue;
        }
        let action = match op.get("action").and_then(Value::as_str) {
            Some("send") => Action::Send,
            Some("receive") => Action::Receive,
            // The structure check reports a missing action; this, a wrong one.
            Some(other) => {
                reader.error(
                    &child(&defined_at, "action"),
                    format!("`action` must be `send` or `receive`, not `{other}`"),
                );
                continue;
            }
            None => continue,
        };
        let Some(channel) = channel_of(reader, op, &defined_at, &channel_at) else {
            continue;
        };
        let messages = match op.get("messages") {
            Some(list) => subset(
                reader,
                document,
                list,
                &child(&defined_at, "messages"),
                channel,
            ),
            // Without `messages`, the operation carries every message of its channel.
            None => document.channels[channel].messages.clone(),
        };
        let reply = op.get("reply").and_then(|r| {
            reply(
                reader,
                document,
                r,
                &child(&defined_at, "reply"),
                &channel_at,
            )
        });
        document.operations.push(Operation {
            at: defined_at.clone(),
            id: id.clone(),
            action,
            channel,
            summary: text(Some(op), "summary"),
            messages,
            bindings: reader.bindings(op.get("bindings"), &defined_at),
            reply,
        });
    }
}

/// The channel an operation or reply's `channel` reference names, as an index.
fn channel_of<'a>(
    reader: &mut Reader<'a>,
    holder: &'a Value,
    at: &str,
    channel_at: &[String],
) -> Option<usize> {
    let reference = holder.get("channel")?;
    let (target, _) = reader.follow(reference, &child(at, "channel"))?;
    let found = channel_at.iter().position(|c| *c == target);
    if found.is_none() {
        reader.error(
            &child(at, "channel"),
            format!("`channel` must name a channel of the root `channels`, not `{target}`"),
        );
    }
    found
}

/// The messages a list of references names, each one of the channel's.
fn subset<'a>(
    reader: &mut Reader<'a>,
    document: &mut Document,
    list: &'a Value,
    at: &str,
    channel: usize,
) -> Vec<usize> {
    let mut messages = Vec::new();
    for (i, reference) in list.as_array().into_iter().flatten().enumerate() {
        let item_at = child(at, &i.to_string());
        let Some(index) = reader.message(document, reference, &item_at, "") else {
            continue;
        };
        if !document.channels[channel].messages.contains(&index) {
            let message = &document.messages[index];
            reader.error(
                &item_at,
                format!(
                    "message `{}` is not one of the messages of channel `{}`",
                    message.key, document.channels[channel].key
                ),
            );
        } else if !messages.contains(&index) {
            messages.push(index);
        }
    }
    messages
}

fn reply<'a>(
    reader: &mut Reader<'a>,
    document: &mut Document,
    value: &'a Value,
    at: &str,
    channel_at: &[String],
) -> Option<Reply> {
    let (at, reply) = reader.follow(value, at)?;
    let channel = channel_of(reader, reply, &at, channel_at);
    let location = reply
        .get("address")
        .and_then(|a| reader.follow(a, &child(&at, "address")))
        .and_then(|(_, a)| a.get("location"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let messages = match (reply.get("messages"), channel) {
        (Some(list), Some(channel)) => {
            subset(reader, document, list, &child(&at, "messages"), channel)
        }
        (None, Some(channel)) => document.channels[channel].messages.clone(),
        _ => Vec::new(),
    };
    Some(Reply {
        channel,
        location,
        messages,
    })
}

fn parameters<'a>(reader: &mut Reader<'a>, channel: &'a Value, at: &str) -> Vec<Parameter> {
    let Some(declared) = channel.get("parameters").and_then(Value::as_object) else {
        return Vec::new();
    };
    let parameters_at = child(at, "parameters");
    declared
        .iter()
        .filter_map(|(name, parameter)| {
            let (p_at, parameter) = reader.follow(parameter, &child(&parameters_at, name))?;
            let list = |key: &str| -> Vec<String> {
                parameter
                    .get(key)
                    .and_then(Value::as_array)
                    .map(|values| values.iter().map(value_text).collect())
                    .unwrap_or_default()
            };
            Some(Parameter {
                name: name.clone(),
                description: text(Some(parameter), "description"),
                allowed: list("enum"),
                default: parameter.get("default").map(value_text),
                examples: list("examples"),
                location: parameter
                    .get("location")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                at: p_at,
            })
        })
        .collect()
}
