//! AsyncAPI 2.0–2.6 into the document model: a channel per address, its `publish`
//! (the application receives) and `subscribe` (the application sends) as operations.

use serde_json::Value;

use super::{
    Action, Channel, Document, Operation, Parameter, ParameterValues, Reader, Server, channel_ids,
    operation_id, split_url, text,
};
use crate::diagnostics::child;

pub(super) fn read<'a>(reader: &mut Reader<'a>, document: &mut Document) {
    let root = reader.root();
    if let Some(servers) = root.get("servers").and_then(Value::as_object) {
        for (name, server) in servers {
            let Some((_, server)) = reader.follow(server, &child("/servers", name)) else {
                continue;
            };
            let (host, pathname) = split_url(&text(Some(server), "url"));
            document.servers.push(Server {
                name: name.clone(),
                host,
                pathname,
                protocol: text(Some(server), "protocol"),
                description: text(Some(server), "description"),
            });
        }
    }
    let Some(items) = root.get("channels").and_then(Value::as_object) else {
        return;
    };
    let ids = channel_ids(items.keys().map(String::as_str));
    for ((address, item), channel_id) in items.iter().zip(ids) {
        let at = child("/channels", address);
        let Some((_, item)) = reader.follow(item, &at) else {
            continue;
        };
        let channel = document.channels.len();
        let parameters = parameters(reader, item, &at);
        let discriminator = reader.discriminator(item, &at);
        document.channels.push(Channel {
            at: at.clone(),
            key: address.clone(),
            address: Some(address.clone()),
            description: text(Some(item), "description"),
            parameters,
            messages: Vec::new(),
            discriminator,
            event_header: None,
            bindings: reader.bindings(item.get("bindings"), &at),
        });
        for (keyword, action) in [("publish", Action::Receive), ("subscribe", Action::Send)] {
            let Some(op) = item.get(keyword).filter(|op| op.is_object()) else {
                continue;
            };
            let op_at = child(&at, keyword);
            let id = operation_id(
                op.get("operationId").and_then(Value::as_str),
                &channel_id,
                keyword,
            );
            let mut messages = Vec::new();
            if let Some(message) = op.get("message") {
                let msg_at = child(&op_at, "message");
                match message.get("oneOf").and_then(Value::as_array) {
                    Some(list) => {
                        for (i, m) in list.iter().enumerate() {
                            let m_at = child(&child(&msg_at, "oneOf"), &i.to_string());
                            messages.extend(reader.message(
                                document,
                                m,
                                &m_at,
                                &format!("{id} {i}"),
                            ));
                        }
                    }
                    None => messages.extend(reader.message(document, message, &msg_at, &id)),
                }
            } else {
                reader.error(&op_at, "the operation has no `message`");
            }
            for index in &messages {
                if !document.channels[channel].messages.contains(index) {
                    document.channels[channel].messages.push(*index);
                }
            }
            document.operations.push(Operation {
                at: op_at.clone(),
                id,
                action,
                channel,
                summary: text(Some(op), "summary"),
                messages,
                bindings: reader.bindings(op.get("bindings"), &op_at),
                reply: None,
            });
        }
    }
}

/// The parameters a channel declares; enum, default and examples come from their schema.
fn parameters<'a>(reader: &mut Reader<'a>, item: &'a Value, at: &str) -> Vec<Parameter> {
    let Some(declared) = item.get("parameters").and_then(Value::as_object) else {
        return Vec::new();
    };
    let parameters_at = child(at, "parameters");
    declared
        .iter()
        .filter_map(|(name, parameter)| {
            let p_at = child(&parameters_at, name);
            let (p_at, parameter) = reader.follow(parameter, &p_at)?;
            let values = parameter
                .get("schema")
                .and_then(|s| reader.follow(s, &child(&p_at, "schema")))
                .map(|(_, schema)| ParameterValues::of_schema(schema));
            let (allowed, default, examples) = values
                .map(|v| (v.allowed, v.default, v.examples))
                .unwrap_or_default();
            Some(Parameter {
                name: name.clone(),
                description: text(Some(parameter), "description"),
                allowed: allowed.unwrap_or_default(),
                default,
                examples: examples.unwrap_or_default(),
                location: parameter
                    .get("location")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                at: p_at,
            })
        })
        .collect()
}
