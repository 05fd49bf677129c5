//! Check: document rules the structure alone cannot state, on the typed model, all
//! collected before lowering starts.
//!
//! Covers what the generator relies on: `info`, unique operation ids, channel
//! addresses a router can match, parameters that match their address template, and
//! signature settings that can be secure.

use std::collections::BTreeMap;

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::document::{Algorithm, Document, Encoding, SecretFormat, SignatureSettings, SignedPart};

/// Runs every document rule; returns errors and warnings.
pub fn check(document: &Document) -> Diagnostics {
    let file = document.file.as_str();
    let mut diagnostics = Diagnostics::default();
    let mut warnings = Vec::new();
    let mut warn =
        |pointer: &str, message: String| warnings.push(Diagnostic::warning(file, pointer, message));
    let mut report =
        |pointer: &str, message: String| diagnostics.push(Diagnostic::at(file, pointer, message));

    match document.root.get("info") {
        Some(info) if info.is_object() => {
            for key in ["title", "version"] {
                if !info.get(key).is_some_and(serde_json::Value::is_string) {
                    report(
                        &child("/info", key),
                        format!("`info.{key}` must be a string"),
                    );
                }
            }
        }
        _ => report("/info", "missing `info` object".into()),
    }

    let mut operation_ids: BTreeMap<&str, &str> = BTreeMap::new();
    for operation in &document.operations {
        if let Some(first) = operation_ids.insert(&operation.id, &operation.at) {
            report(
                &operation.at,
                format!("operation id `{}` is also used at {first}", operation.id),
            );
        }
    }
    for channel in &document.channels {
        let Some(address) = &channel.address else {
            continue;
        };
        match template_syntax(address) {
            Ok(()) => check_parameters(address, channel, &mut report, &mut warn),
            Err(problem) => report(&channel.at, problem),
        }
    }
    let addresses: Vec<(&str, &str)> = document
        .channels
        .iter()
        .filter_map(|c| Some((c.address.as_deref()?, c.at.as_str())))
        .collect();
    let templates: Vec<&str> = addresses.iter().map(|(a, _)| *a).collect();
    for (later, earlier) in shadowed_templates(&templates) {
        if let Some((_, at)) = addresses.iter().find(|(a, _)| *a == later) {
            warn(
                at,
                format!(
                    "no address can reach this channel: `{earlier}`, listed earlier, matches every address it matches"
                ),
            );
        }
    }
    if let Some(signature) = &document.config.signature {
        check_signature(&signature.settings(), "/x-hookgen/signature", &mut report);
    }
    diagnostics.0.extend(warnings);
    diagnostics
}

/// Parameters named in the address must be declared, and declared ones must be used.
fn check_parameters(
    address: &str,
    channel: &crate::document::Channel,
    report: &mut impl FnMut(&str, String),
    warn: &mut impl FnMut(&str, String),
) {
    let used = template_parameters(address);
    for name in &used {
        if !channel.parameters.iter().any(|p| p.name == *name) {
            report(
                &channel.at,
                format!("the address uses `{{{name}}}` but `parameters` does not declare `{name}`"),
            );
        }
    }
    for parameter in &channel.parameters {
        if !used.contains(&parameter.name.as_str()) {
            warn(
                &parameter.at,
                format!(
                    "parameter `{}` does not appear in the address; it is ignored",
                    parameter.name
                ),
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

/// Refuses signature settings that verify less than they appear to, or that no delivery
/// could pass (presets and defaults applied, as generation applies them). The runtime's
/// `SignatureScheme::check` holds a generated scheme to the same rules.
fn check_signature(settings: &SignatureSettings, at: &str, report: &mut impl FnMut(&str, String)) {
    let signed = &settings.signed;
    let signs_timestamp = signed.has(&SignedPart::Timestamp);
    let tolerance = settings.tolerance_seconds;
    if signed.0.iter().filter(|p| **p == SignedPart::Body).count() != 1 {
        report(
            &child(at, "signed"),
            "`signed` must hold `{body}` exactly once".into(),
        );
    }
    if tolerance.is_some() && !signs_timestamp {
        report(
            &child(at, "tolerance-seconds"),
            "a timestamp tolerance needs `{timestamp}` in `signed`: the signature does not cover the timestamp, so an old delivery would replay with a fresh one".into(),
        );
    }
    if tolerance == Some(0) {
        report(
            &child(at, "tolerance-seconds"),
            "a tolerance of 0 s refuses every delivery; give the clock skew allowed".into(),
        );
    }
    if tolerance.is_some_and(|t| t > MAX_TOLERANCE_SECONDS) {
        report(
            &child(at, "tolerance-seconds"),
            format!(
                "a tolerance over {MAX_TOLERANCE_SECONDS} s (an hour) lets a captured delivery replay for that long; no provider needs more for clock skew"
            ),
        );
    }
    if let Some(reason) = template_ambiguity(&signed.0) {
        report(&child(at, "signed"), reason.into());
    }
    if signed.has(&SignedPart::Id) && settings.id_header.is_empty() {
        report(
            &child(at, "signed"),
            "`{id}` is signed but no `id-header` carries it: every delivery would be refused"
                .into(),
        );
    }
    let entry = settings.timestamp_entry.as_str();
    if signs_timestamp {
        match (settings.timestamp_header.is_empty(), entry.is_empty()) {
            (true, true) => report(
                &child(at, "signed"),
                "`{timestamp}` is signed but neither `timestamp-header` nor `timestamp-entry` carries it: every delivery would be refused".into(),
            ),
            (false, false) => report(
                &child(at, "timestamp-entry"),
                "the timestamp comes from `timestamp-header` or `timestamp-entry`, not both"
                    .into(),
            ),
            _ => {}
        }
        if tolerance.is_none() {
            report(
                &child(at, "signed"),
                "a signed timestamp needs `tolerance-seconds`: unchecked, it does not stop replays"
                    .into(),
            );
        }
    } else if !entry.is_empty() {
        report(
            &child(at, "timestamp-entry"),
            "a timestamp entry is read only when `signed` holds `{timestamp}`".into(),
        );
    }
    if !entry.is_empty() {
        if settings.separator.is_none() {
            report(
                &child(at, "timestamp-entry"),
                "a timestamp entry needs a `separator` between the signature header's entries"
                    .into(),
            );
        }
        if settings.prefix.starts_with(entry) {
            report(
                &child(at, "timestamp-entry"),
                "the prefix starts with the timestamp entry, so no signature would be read".into(),
            );
        }
    }
    match (settings.algorithm, settings.secret) {
        (Algorithm::Ed25519, SecretFormat::Ed25519Base64)
        | (Algorithm::HmacSha256, SecretFormat::Bytes | SecretFormat::WhsecBase64) => {}
        (Algorithm::Ed25519, _) => report(
            &child(at, "secret"),
            "`algorithm: ed25519` takes `secret: ed25519-base64` keys".into(),
        ),
        (Algorithm::HmacSha256, _) => report(
            &child(at, "secret"),
            "`secret: ed25519-base64` keys need `algorithm: ed25519`".into(),
        ),
    }
    if settings.header.as_deref() == Some("") {
        report(
            &child(at, "header"),
            "the signature header's name is empty: no request could carry it".into(),
        );
    }
    for (key, text) in [
        ("prefix", settings.prefix.as_str()),
        ("timestamp-entry", settings.timestamp_entry.as_str()),
    ] {
        if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            report(
                &child(at, key),
                "holds a character other than visible ASCII or space, which no header value can carry".into(),
            );
        }
    }
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for (key, name) in [
        ("header", settings.header.as_deref().unwrap_or("")),
        ("id-header", settings.id_header.as_str()),
        ("timestamp-header", settings.timestamp_header.as_str()),
    ] {
        if name.is_empty() {
            continue;
        }
        if !name.bytes().all(is_header_name_byte) {
            report(
                &child(at, key),
                format!("`{name}` is not an HTTP header name"),
            );
        }
        if let Some((other, _)) = headers.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
            report(
                &child(at, key),
                format!("the same header as `{other}`: one header cannot carry both"),
            );
        }
        headers.push((key, name));
    }
    if let Some(c) = settings.separator.filter(|c| settings.prefix.contains(*c)) {
        report(
            &child(at, "prefix"),
            format!("the prefix holds the separator {c:?}, so no signature would ever match"),
        );
    }
    if let Some(c) = settings.separator {
        if !(c == ' ' || c.is_ascii_graphic()) {
            report(
                &child(at, "separator"),
                format!(
                    "{c:?} is not a space or a visible ASCII character, which a header value needs"
                ),
            );
        }
        match settings.encoding {
            Encoding::Hex if c.is_ascii_hexdigit() => report(
                &child(at, "separator"),
                "a hex digit cannot separate hex signatures".into(),
            ),
            Encoding::Base64 if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') => {
                report(
                    &child(at, "separator"),
                    format!("{c:?} is a base64 character: it cannot separate base64 signatures"),
                );
            }
            _ => {}
        }
    }
}

/// The largest timestamp tolerance, as the runtime's `MAX_TOLERANCE_SECONDS`.
const MAX_TOLERANCE_SECONDS: u64 = 3600;

/// Why signed parts could be split more than one way (the runtime's
/// `signature::template_ambiguity`, over the model's parts): two variable parts with no
/// text between them, or a timestamp beside text of digits. A replayer could then move
/// bytes between the parts (`evt_10`+`1700000000` vs `evt_1`+`01700000000`).
fn template_ambiguity(signed: &[SignedPart]) -> Option<&'static str> {
    let parts: Vec<&SignedPart> = signed
        .iter()
        .filter(|p| !matches!(p, SignedPart::Text(t) if t.is_empty()))
        .collect();
    for pair in parts.windows(2) {
        match pair {
            [SignedPart::Text(_), SignedPart::Text(_)] => {}
            [SignedPart::Text(text), SignedPart::Timestamp]
            | [SignedPart::Timestamp, SignedPart::Text(text)]
                if text.bytes().all(|b| b.is_ascii_digit()) =>
            {
                return Some(
                    "`{timestamp}` beside text of digits could be split another way: put a delimiter that is not a digit beside it",
                );
            }
            [SignedPart::Text(_), _] | [_, SignedPart::Text(_)] => {}
            _ => {
                return Some(
                    "two parts of `signed` with no text between them could be split another way (a replayer could move bytes from one to the other): put a delimiter between them",
                );
            }
        }
    }
    None
}

/// A byte of an HTTP header name (an RFC 9110 token).
fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
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
