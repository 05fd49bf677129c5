//! Check: document-level rules, all collected before lowering starts.
//!
//! Covers what the generator relies on: a supported `asyncapi` version, `info`, every
//! `$ref` resolvable, unique `operationId`s, channel parameters that match their
//! address template, and well-formed `x-hookgen` extensions.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::resolve::{Resolver, check_refs};

/// The AsyncAPI versions the generator reads.
pub const SUPPORTED_VERSIONS: &[&str] = &[
    "2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0",
];

/// Runs every document-level check.
pub fn check(resolver: &Resolver<'_>) -> Diagnostics {
    let doc = resolver.root();
    let file = resolver.file();
    let mut diagnostics = Diagnostics::default();
    let mut warnings = Vec::new();
    let mut warn =
        |pointer: &str, message: String| warnings.push(Diagnostic::warning(file, pointer, message));
    let mut report =
        |pointer: &str, message: String| diagnostics.push(Diagnostic::at(file, pointer, message));

    match doc.get("asyncapi") {
        Some(Value::String(v)) if SUPPORTED_VERSIONS.contains(&v.as_str()) => {}
        Some(Value::String(v)) => report(
            "/asyncapi",
            format!(
                "unsupported AsyncAPI version `{v}`; supported: {}",
                SUPPORTED_VERSIONS.join(", ")
            ),
        ),
        Some(_) => report(
            "/asyncapi",
            "`asyncapi` must be a version string such as \"2.6.0\"".into(),
        ),
        None => report(
            "",
            "missing `asyncapi` version field; is this an AsyncAPI document?".into(),
        ),
    }
    match doc.get("info") {
        Some(info) if info.is_object() => {
            for key in ["title", "version"] {
                if !info.get(key).is_some_and(Value::is_string) {
                    report(
                        &child("/info", key),
                        format!("`info.{key}` must be a string"),
                    );
                }
            }
        }
        _ => report("/info", "missing `info` object".into()),
    }

    let mut operation_ids: BTreeMap<&str, String> = BTreeMap::new();
    if let Some(channels) = doc.get("channels") {
        let Some(channels) = channels.as_object() else {
            report(
                "/channels",
                "`channels` must be a mapping of addresses".into(),
            );
            return finish(diagnostics, resolver);
        };
        for (address, item) in channels {
            let at = child("/channels", address);
            let Ok((_, item)) = resolver.follow(item, &at) else {
                continue;
            };
            match template_syntax(address) {
                Ok(()) => check_parameters(address, item, &at, &mut report, &mut warn),
                Err(problem) => report(&at, problem),
            }
            for action in ["publish", "subscribe"] {
                let Some(op) = item.get(action) else { continue };
                let op_at = child(&at, action);
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    if let Some(first) = operation_ids.insert(id, op_at.clone()) {
                        report(
                            &child(&op_at, "operationId"),
                            format!("operationId `{id}` is also used at {first}"),
                        );
                    }
                }
                if op.get("message").is_none() {
                    report(&op_at, "the operation has no `message`".into());
                }
            }
            if let Some(d) = item.get("x-hookgen-discriminator") {
                if !d.is_string() {
                    report(
                        &child(&at, "x-hookgen-discriminator"),
                        "must be the name of a payload field".into(),
                    );
                }
            }
        }
    }
    if let Some(channels) = doc.get("channels").and_then(Value::as_object) {
        let addresses: Vec<&str> = channels.keys().map(String::as_str).collect();
        for (later, earlier) in shadowed_templates(&addresses) {
            warn(
                &child("/channels", later),
                format!(
                    "no address can reach this channel: `{earlier}`, listed earlier, matches every address it matches"
                ),
            );
        }
    }
    check_extension(doc.get("x-hookgen"), &mut report);
    diagnostics.0.extend(warnings);
    finish(diagnostics, resolver)
}

fn finish(mut diagnostics: Diagnostics, resolver: &Resolver<'_>) -> Diagnostics {
    diagnostics.0.extend(check_refs(resolver).0);
    diagnostics
}

/// Parameters named in the address must be declared, and declared ones must be used.
fn check_parameters(
    address: &str,
    item: &Value,
    at: &str,
    report: &mut impl FnMut(&str, String),
    warn: &mut impl FnMut(&str, String),
) {
    let used = template_parameters(address);
    let declared: Vec<&str> = item
        .get("parameters")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for name in &used {
        if !declared.contains(name) {
            report(
                at,
                format!("the address uses `{{{name}}}` but `parameters` does not declare `{name}`"),
            );
        }
    }
    for name in &declared {
        if !used.contains(name) {
            warn(
                &child(&child(at, "parameters"), name),
                format!("parameter `{name}` does not appear in the address; it is ignored"),
            );
        }
    }
}

/// An address template the router can match: braces balanced and not nested, every
/// parameter named, no two parameters side by side (`{a}{b}`: where would one end?),
/// no name used twice.
fn template_syntax(address: &str) -> Result<(), String> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = address;
    let mut after_parameter = false;
    while let Some(at) = rest.find(['{', '}']) {
        if rest[at..].starts_with('}') {
            return Err("the address has a `}` without its `{`".into());
        }
        if at == 0 && after_parameter {
            return Err(
                "two parameters side by side (`{a}{b}`): put literal text between them".into(),
            );
        }
        let inside = &rest[at + 1..];
        let close = inside
            .find(['{', '}'])
            .filter(|c| inside[*c..].starts_with('}'))
            .ok_or("the address has a `{` without its `}`")?;
        let name = &inside[..close];
        if name.is_empty() {
            return Err("the address has a parameter without a name (`{}`)".into());
        }
        if names.contains(&name) {
            return Err(format!("the address uses `{{{name}}}` twice"));
        }
        names.push(name);
        rest = &inside[close + 1..];
        after_parameter = true;
    }
    Ok(())
}

/// Templates no address can reach, each with the earlier template that takes all its
/// addresses: both have parameters (a template without any wins over them), the same
/// number of segments, and each segment of the earlier one is the same pattern or a
/// lone parameter (which takes any non-empty segment). Sound, not complete: what it
/// reports is truly unreachable.
fn shadowed_templates<'a>(addresses: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    // `{name}` → `{}`: names do not change what a segment matches.
    fn pattern(segment: &str) -> String {
        let mut out = String::new();
        let mut rest = segment;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            out.push_str("{}");
            rest = rest[open..].split_once('}').map_or("", |(_, after)| after);
        }
        out.push_str(rest);
        out
    }
    let templated: Vec<(&str, Vec<String>)> = addresses
        .iter()
        .filter(|a| a.contains('{') && template_syntax(a).is_ok())
        .map(|a| (*a, a.split('/').map(pattern).collect()))
        .collect();
    let covers = |earlier: &[String], later: &[String]| {
        earlier.len() == later.len()
            && earlier
                .iter()
                .zip(later)
                .all(|(e, l)| e == l || (e == "{}" && !l.is_empty()))
    };
    let mut shadowed = Vec::new();
    for (i, (later, later_segments)) in templated.iter().enumerate() {
        if let Some((earlier, _)) = templated[..i]
            .iter()
            .find(|(_, earlier_segments)| covers(earlier_segments, later_segments))
        {
            shadowed.push((*later, *earlier));
        }
    }
    shadowed
}

/// The `{name}`s of an address template, in order.
pub fn template_parameters(address: &str) -> Vec<&str> {
    address
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

fn check_extension(ext: Option<&Value>, report: &mut impl FnMut(&str, String)) {
    let Some(ext) = ext else { return };
    let Some(ext) = ext.as_object() else {
        report("/x-hookgen", "`x-hookgen` must be a mapping".into());
        return;
    };
    for (key, value) in ext {
        let at = child("/x-hookgen", key);
        match key.as_str() {
            "application" | "peer" if value.is_string() => {}
            "signature" => check_signature(value, &at, report),
            "delivery" => check_delivery(value, &at, report),
            "application" | "peer" => report(&at, "must be a string".into()),
            other => report(
                &at,
                format!(
                    "unknown `x-hookgen` key `{other}`; known: application, peer, signature, delivery"
                ),
            ),
        }
    }
}

fn check_signature(value: &Value, at: &str, report: &mut impl FnMut(&str, String)) {
    let Some(map) = value.as_object() else {
        report(at, "must be a mapping".into());
        return;
    };
    for (key, v) in map {
        let key_at = child(at, key);
        let allowed: &[&str] = match key.as_str() {
            "scheme" => &["standard-webhooks"],
            "algorithm" => &["hmac-sha256"],
            "encoding" => &["hex", "base64"],
            "secret" => &["bytes", "whsec-base64"],
            "signed" => &["body", "id.timestamp.body"],
            "header" | "prefix" | "id-header" | "timestamp-header" | "separator" => &[],
            "tolerance-seconds" => {
                if !v.is_u64() {
                    report(&key_at, "must be a whole number of seconds".into());
                }
                continue;
            }
            other => {
                report(
                    &key_at,
                    format!(
                        "unknown signature key `{other}`; known: scheme, header, algorithm, encoding, prefix, secret, signed, id-header, timestamp-header, separator, tolerance-seconds"
                    ),
                );
                continue;
            }
        };
        match v.as_str() {
            None => report(&key_at, "must be a string".into()),
            Some(s) if !allowed.is_empty() && !allowed.contains(&s) => report(
                &key_at,
                format!("`{s}` is not supported; use one of: {}", allowed.join(", ")),
            ),
            Some(s) if key == "separator" && s.chars().count() > 1 => {
                report(&key_at, "must be one character".into())
            }
            Some(_) => {}
        }
    }
    check_signature_consistency(value, at, report);
}

/// Refuses `x-hookgen.signature` combinations that verify less than they appear to
/// (presets and defaults applied, as generation applies them).
fn check_signature_consistency(value: &Value, at: &str, report: &mut impl FnMut(&str, String)) {
    let setting = |key: &str| crate::lower::signature_setting(value, key).unwrap_or_default();
    let signs_id_and_timestamp = setting("signed") == "id.timestamp.body";
    let tolerance = setting("tolerance-seconds");
    if !tolerance.is_empty() && !signs_id_and_timestamp {
        report(
            &child(at, "tolerance-seconds"),
            "a timestamp tolerance needs `signed: id.timestamp.body`: the MAC does not cover the timestamp, so an old delivery would replay with a fresh one".into(),
        );
    }
    if tolerance == "0" {
        report(
            &child(at, "tolerance-seconds"),
            "a tolerance of 0 s refuses every delivery; give the clock skew allowed".into(),
        );
    }
    if signs_id_and_timestamp {
        for key in ["id-header", "timestamp-header"] {
            if setting(key).is_empty() {
                report(
                    &child(at, "signed"),
                    format!(
                        "`signed: id.timestamp.body` needs `{key}`: without it every delivery is refused"
                    ),
                );
            }
        }
        if tolerance.is_empty() {
            report(
                &child(at, "signed"),
                "a signed timestamp needs `tolerance-seconds`: unchecked, it does not stop replays"
                    .into(),
            );
        }
    }
    let mut headers: Vec<(&str, String)> = Vec::new();
    for key in ["header", "id-header", "timestamp-header"] {
        let name = setting(key);
        if name.is_empty() {
            continue;
        }
        if !name.bytes().all(is_header_name_byte) {
            report(
                &child(at, key),
                format!("`{name}` is not an HTTP header name"),
            );
        }
        if let Some((other, _)) = headers.iter().find(|(_, n)| n.eq_ignore_ascii_case(&name)) {
            report(
                &child(at, key),
                format!("the same header as `{other}`: one header cannot carry both"),
            );
        }
        headers.push((key, name));
    }
    let separator = setting("separator");
    let prefix = setting("prefix");
    if let Some(c) = separator.chars().next().filter(|c| prefix.contains(*c)) {
        report(
            &child(at, "prefix"),
            format!("the prefix holds the separator {c:?}, so no signature would ever match"),
        );
    }
}

/// A byte of an HTTP header name (an RFC 9110 token).
fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check_delivery(value: &Value, at: &str, report: &mut impl FnMut(&str, String)) {
    let Some(map) = value.as_object() else {
        report(at, "must be a mapping".into());
        return;
    };
    for (key, v) in map {
        let key_at = child(at, key);
        let ok = match key.as_str() {
            "attempts" => v.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)),
            "timeout-seconds" => v.as_f64().is_some_and(|n| n >= 0.0),
            "backoff-seconds" => v
                .as_array()
                .is_some_and(|a| a.iter().all(|n| n.as_f64().is_some_and(|n| n >= 0.0))),
            "success" | "retry-on" | "notes" => v.is_string(),
            other => {
                report(
                    &key_at,
                    format!(
                        "unknown delivery key `{other}`; known: attempts, backoff-seconds, timeout-seconds, success, retry-on, notes"
                    ),
                );
                continue;
            }
        };
        if !ok {
            report(&key_at, format!("invalid value for `{key}`"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_syntax_refuses_what_a_router_cannot_match() {
        for good in ["/hooks", "/a/{id}", "/a/{id}/b/{name}.json", "v{n}-{m}", ""] {
            assert_eq!(template_syntax(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("/a/{id", "without its `}`"),
            ("/a/id}", "without its `{`"),
            ("/a/{i{d}}", "without its `}`"),
            ("/a/{}", "without a name"),
            ("/a/{x}{y}", "side by side"),
            ("/a/{x}/b/{x}", "twice"),
        ] {
            let problem = template_syntax(bad).expect_err(bad);
            assert!(problem.contains(why), "{bad}: {problem}");
        }
    }

    #[test]
    fn shadowed_templates_are_found_and_only_those() {
        let addresses = [
            "/hooks/{provider}",
            "/hooks/{name}",     // same pattern, other name: shadowed
            "/hooks/fly",        // no parameters: wins over any template
            "/hooks/{p}.json",   // shadowed by the lone parameter
            "/hooks/{a}/events", // one more segment: reachable
            "/{x}/{y}/events",   // covers the one before but comes later: reachable
            "/{x}/{y}/{z}",      // shadowed by `/{x}/{y}/events`? no: `events` is narrower
        ];
        assert_eq!(
            shadowed_templates(&addresses),
            vec![
                ("/hooks/{name}", "/hooks/{provider}"),
                ("/hooks/{p}.json", "/hooks/{provider}"),
            ]
        );
    }
}
