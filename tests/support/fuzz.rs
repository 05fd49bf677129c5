//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*`), kept here so that the stable
//! test suite replays every seed and every past crash through the same code
//! (`tests/fuzz_replay.rs`). Each function panics exactly when it finds a bug.

use std::path::PathBuf;

use hookgen_runtime::{Channel, DecodeError, MessageInfo};

/// Spec bytes → load → resolve → check → generate: never a panic; an error names the file.
///
/// The bytes are written to a file (JSON when they start with `{`, else YAML) so the
/// whole pipeline runs, bundling of relative `$ref`s included.
pub fn generate(data: &[u8]) {
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::tempdir().expect("temporary directory");
    }
    let json = data
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let name = if json { "fuzz.json" } else { "fuzz.yaml" };
    let path: PathBuf = DIR.with(|d| d.path().join(name));
    std::fs::write(&path, data).expect("writing the input");
    let spec = hookgen::SpecFile::discover(&path, name.to_owned());
    let generated = hookgen::generate(&hookgen::Settings::default(), std::slice::from_ref(&spec));
    let validated = hookgen::validate(&spec);
    assert_eq!(
        generated.is_err(),
        validated.has_errors(),
        "generate and validate disagree:\n{validated}"
    );
    if generated.is_ok() {
        same_module_from_the_3_0_form(&spec, DIR.with(|d| d.path().join("converted.json")));
    }
    match generated {
        Ok(files) => {
            assert!(
                files.iter().any(|f| f.path.ends_with("src/lib.rs")),
                "generated a crate without src/lib.rs"
            );
            let problems = crate::docs::problems(&files);
            assert!(
                problems.is_empty(),
                "spec text escaped: {}",
                problems.join("\n")
            );
        }
        Err(diagnostics) => {
            assert!(!diagnostics.0.is_empty(), "failed without a diagnostic");
            let text = diagnostics.to_string();
            assert!(
                text.contains(name),
                "a diagnostic does not name the file: {text}"
            );
        }
    }
}

/// A 2.x document that generates converts to 3.0, and the conversion generates the
/// same module: the two front ends agree.
fn same_module_from_the_3_0_form(spec: &hookgen::SpecFile, converted_path: PathBuf) {
    let Ok(original) = hookgen::__private::compile(spec) else {
        panic!("generate succeeded but compile failed");
    };
    let converted = match hookgen::convert_to_v3(spec) {
        Ok(converted) => converted,
        // Already 3.x, or OpenAPI: nothing to convert.
        Err(d)
            if d.to_string().contains("already AsyncAPI 3")
                || d.to_string().contains("an OpenAPI document") =>
        {
            return;
        }
        Err(d) => panic!("a document that generates does not convert:\n{d}"),
    };
    std::fs::write(
        &converted_path,
        serde_json::to_vec(&converted).expect("serializes"),
    )
    .expect("writing the conversion");
    let file = hookgen::SpecFile::discover(&converted_path, spec.display.clone())
        .with_module(spec.module_name());
    let mut v3 = hookgen::__private::compile(&file)
        .unwrap_or_else(|d| panic!("the 3.0 conversion does not generate:\n{d}\n{converted}"));
    v3.sources = original.sources.clone();
    assert!(
        hookgen::__private::emit::rust::spec_module(&original)
            == hookgen::__private::emit::rust::spec_module(&v3),
        "the 3.0 conversion generates another module:\n{converted}"
    );
}

/// Any text through the doc renderer (`hookgen::__private::escape::rustdoc`): the result holds no
/// runnable code block, raw HTML, script link or hidden character, as rustdoc's parser
/// (and plain CommonMark) read it, and is already unindented as rustdoc unindents.
pub fn doc_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let out = hookgen::__private::escape::rustdoc(&text);
    assert!(
        !out.chars().any(crate::docs::hidden),
        "hidden character in {out:?}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        crate::docs::unindent(&lines),
        out,
        "not unindented: {out:?}"
    );
    for options in [
        crate::docs::rustdoc_options(),
        pulldown_cmark::Options::empty(),
    ] {
        if let Some(problem) = crate::docs::runnable_or_raw(&out, options) {
            panic!("{problem} in {out:?}");
        }
    }
    // Wrapped for reading the source (narrow, to wrap often), it renders the same.
    let wrapped = hookgen::__private::escape::wrap_markdown(&out, 16);
    for options in [
        crate::docs::rustdoc_options(),
        pulldown_cmark::Options::empty(),
    ] {
        assert_eq!(
            rendered(&wrapped, options),
            rendered(&out, options),
            "wrapping changed what renders: {out:?} became {wrapped:?}"
        );
    }
}

/// What Markdown renders as, whitespace collapsed: block and inline structure, text.
fn rendered(markdown: &str, options: pulldown_cmark::Options) -> String {
    use pulldown_cmark::Event;
    let mut out = String::new();
    for event in pulldown_cmark::Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            other => out.push_str(&format!(" {other:?} ")),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A spec module's `verify`.
pub type Verify = fn(&[u8], &str, &[u8]) -> Result<(), hookgen_runtime::SignatureError>;

/// The receiving side of one generated spec module.
pub struct Receiver {
    /// The module name.
    pub name: &'static str,
    /// `CHANNELS`.
    pub channels: &'static [Channel],
    /// `MESSAGES`.
    pub messages: &'static [MessageInfo],
    /// `sign`.
    pub sign: fn(&[u8], &[u8]) -> String,
    /// `verify`.
    pub verify: Verify,
    /// `decode`, re-serializing and comparing what it decodes (see [`receive`]).
    pub decode_round_trip: fn(&str, &[u8]) -> Result<(), DecodeError>,
    /// `route`, reporting the matched template.
    pub route: fn(&str) -> Option<&'static str>,
}

macro_rules! receiver {
    ($module:ident) => {
        Receiver {
            name: stringify!($module),
            channels: webhooks::$module::CHANNELS,
            messages: webhooks::$module::MESSAGES,
            sign: webhooks::$module::sign,
            verify: webhooks::$module::verify,
            decode_round_trip: |address, body| {
                let message = webhooks::$module::decode(address, body)?;
                let again = serde_json::to_vec(&message).expect("a decoded message serializes");
                let second = webhooks::$module::decode(address, &again).unwrap_or_else(|e| {
                    panic!(
                        "{} decoded {:?} but not its own serialization {}: {e}",
                        stringify!($module),
                        message,
                        String::from_utf8_lossy(&again)
                    )
                });
                assert_eq!(
                    second, message,
                    "decode → serialize → decode changed the message"
                );
                Ok(())
            },
            route: |address| webhooks::$module::route(address).map(|r| r.template()),
        }
    };
}

/// Every spec module of the generated crate.
pub fn receivers() -> [Receiver; 4] {
    [
        receiver!(airmy),
        receiver!(flagsmith),
        receiver!(flyio),
        receiver!(flymyai),
    ]
}

/// The secret the receive target signs and verifies with.
pub const SECRET: &[u8] = b"hookgen-fuzz-secret";

/// Raw body + header → `verify`, `route` and `decode` of one spec module.
///
/// Input layout: one selector byte (low 2 bits: the spec; bit 7: sign the body properly
/// instead of using the given header; the rest: which channel), then the header (or an
/// address) up to the first newline, then the body. Checked: nothing panics; a made-up
/// header verifies only if it is the real signature; a properly signed body verifies;
/// a body `decode` accepts serializes to one that decodes to the same message.
pub fn receive(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let receivers = receivers();
    let receiver = &receivers[usize::from(selector & 3)];
    let (header, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let header = String::from_utf8_lossy(header);
    let genuine = (receiver.sign)(SECRET, body);
    if selector & 0x80 != 0 {
        assert_eq!(
            (receiver.verify)(SECRET, &genuine, body),
            Ok(()),
            "{}: a properly signed body does not verify",
            receiver.name
        );
    } else if (receiver.verify)(SECRET, &header, body).is_ok() {
        assert!(
            header.trim().eq_ignore_ascii_case(&genuine),
            "{}: the made-up header {header:?} verified",
            receiver.name
        );
    }
    let _ = (receiver.route)(&header);
    let channel = &receiver.channels[usize::from(selector >> 2) % receiver.channels.len()];
    let Some(template) = channel.address else {
        return;
    };
    let address = concrete(template);
    assert_eq!(
        (receiver.route)(&address),
        Some(template),
        "{}: a concrete address of a channel does not route to it",
        receiver.name
    );
    let _ = (receiver.decode_round_trip)(&address, body);
}

/// `template` with every `{param}` replaced by a value.
pub fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        out.push_str("p1");
        rest = rest[open..]
            .find('}')
            .map_or("", |close| &rest[open + close + 1..]);
    }
    out.push_str(rest);
    out
}

/// Seed inputs for [`receive`]: every example of every spec, properly signed and not,
/// on every channel of its spec, named `<spec>-<message>-<n>`.
pub fn receive_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (spec_index, receiver) in receivers().iter().enumerate() {
        for (channel_index, _) in receiver.channels.iter().enumerate().take(32) {
            for info in receiver.messages {
                for (n, example) in info.examples.iter().enumerate() {
                    let body = example.as_bytes();
                    let selector = (spec_index | (channel_index << 2)) as u8;
                    for signed in [false, true] {
                        let mut seed = vec![if signed { selector | 0x80 } else { selector }];
                        seed.extend((receiver.sign)(SECRET, body).as_bytes());
                        seed.push(b'\n');
                        seed.extend(body);
                        seeds.push((
                            format!(
                                "{}-{}-c{channel_index}-{n}{}",
                                receiver.name,
                                info.name,
                                if signed { "-signed" } else { "" }
                            ),
                            seed,
                        ));
                    }
                }
            }
        }
    }
    seeds
}

/// The schemes the `signature` target runs over, each with a secret it signs with and
/// verifies with: every preset as the generator makes it (from its snapshot spec), and
/// the providers' hex scheme.
pub fn signature_schemes() -> &'static [(
    &'static str,
    hookgen_runtime::SignatureScheme,
    &'static [u8],
)] {
    static SCHEMES: std::sync::OnceLock<
        Vec<(
            &'static str,
            hookgen_runtime::SignatureScheme,
            &'static [u8],
        )>,
    > = std::sync::OnceLock::new();
    SCHEMES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let preset = |name: &'static str| {
            let path = root.join(format!("codegen/tests/snapshots/{name}.yaml"));
            let file = hookgen::SpecFile::discover(&path, format!("{name}.yaml"));
            // The compiled spec only: an `Inspector` would leak its routing templates.
            let spec = hookgen::__private::compile(&file).expect("a preset spec");
            let scheme = hookgen_cli::runtime_scheme(spec.signature.as_ref().expect("a scheme"));
            let secret: &'static [u8] = match scheme.secret_format {
                hookgen_runtime::SecretFormat::Bytes => b"a fuzz secret, 24 bytes.",
                hookgen_runtime::SecretFormat::WhsecBase64 => {
                    b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                }
                hookgen_runtime::SecretFormat::Ed25519Base64 => {
                    b"whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
                }
            };
            (name, scheme, secret)
        };
        vec![
            preset("standard-webhooks"),
            preset("standard-webhooks-v1a"),
            preset("stripe"),
            preset("github"),
            preset("slack"),
            preset("shopify"),
            (
                "hex-body",
                hookgen_runtime::signature::hex_body("X-Signature"),
                b"a fuzz secret, 24 bytes.",
            ),
        ]
    })
}

/// Signature header, id, timestamp and body → `verify_request` and `replay_key` of one
/// scheme.
///
/// Input layout: one selector byte (low bits: the scheme; bit 7: sign properly instead of
/// using the given header), then the header, the id and the timestamp, each up to a
/// newline, then the body. Checked: nothing panics; a properly signed request verifies
/// (at its own time); a made-up header verifies only if one of its entries is the real
/// signature of that id, timestamp and body (no MAC or Ed25519 forgery, whatever the
/// header's shape); a verified request has a replay key.
pub fn signature(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let schemes = signature_schemes();
    let (name, scheme, secret) = schemes[usize::from(selector & 0x7f) % schemes.len()];
    let mut fields = rest.splitn(4, |b| *b == b'\n');
    let header = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let id = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let timestamp = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let body = fields.next().unwrap_or_default();
    // The timestamp the scheme reads: its header's, or its entry in the signature header.
    let signed_timestamp = match (scheme.timestamp_entry, scheme.separator) {
        ("", _) | (_, None) => timestamp.clone(),
        (entry, Some(separator)) => header
            .split(separator)
            .map(str::trim)
            .find_map(|e| e.strip_prefix(entry))
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    let parsed = signed_timestamp.trim().parse::<i64>().ok();
    struct At(i64);
    impl hookgen_runtime::Clock for At {
        fn now_unix(&self) -> i64 {
            self.0
        }
    }
    let clock = At(parsed.unwrap_or(0));
    // The real signature of this id, timestamp and body (any timestamp, for a scheme that
    // signs none).
    let signs_timestamp = scheme.signs(hookgen_runtime::SignedPart::Timestamp);
    let genuine = match parsed {
        Some(t) => scheme.sign_message(secret, &id, t, body).ok(),
        None if !signs_timestamp => scheme.sign_message(secret, &id, 0, body).ok(),
        None => None,
    };
    let signature = if selector & 0x80 != 0 {
        match &genuine {
            Some(genuine) => genuine.clone(),
            None => return,
        }
    } else {
        header
    };
    let request = hookgen_runtime::SignedRequest {
        signature: Some(&signature),
        id: Some(&id),
        timestamp: Some(&timestamp),
        body,
    };
    let verified = scheme.verify_request(&[secret], &request, &clock);
    if selector & 0x80 != 0 {
        // A timestamp is read strictly: digits only, no sign, no leading zero.
        let canonical =
            !signs_timestamp || parsed.is_some_and(|t| t >= 0 && t.to_string() == signed_timestamp);
        let id_needed = scheme.signs(hookgen_runtime::SignedPart::Id);
        if canonical && (!id_needed || (!id.is_empty() && delimited(&scheme, &id))) {
            assert_eq!(
                verified,
                Ok(()),
                "{name}: a properly signed request does not verify"
            );
        }
    } else if verified.is_ok() {
        // The real signature's entry (after a timestamp entry, for schemes with one).
        let genuine = genuine.unwrap_or_else(|| panic!("{name}: verified without a timestamp"));
        let real = match (scheme.timestamp_entry, scheme.separator) {
            ("", _) | (_, None) => genuine.as_str(),
            (_, Some(separator)) => genuine.rsplit(separator).next().unwrap_or_default(),
        };
        let entries: Vec<&str> = match scheme.separator {
            Some(separator) => signature.split(separator).map(str::trim).collect(),
            None => vec![signature.trim()],
        };
        assert!(
            entries.iter().any(|entry| entry.eq_ignore_ascii_case(real)),
            "{name}: the made-up header {signature:?} verified"
        );
    }
    if verified.is_ok() {
        assert!(
            scheme.replay_key(name, secret, &request).is_ok(),
            "{name}: no replay key"
        );
    } else {
        let _ = scheme.replay_key(name, secret, &request);
    }
}

/// Whether `id` holds none of the fixed texts beside `{id}` in what `scheme` signs (an id
/// that holds one could be split another way, and is refused).
fn delimited(scheme: &hookgen_runtime::SignatureScheme, id: &str) -> bool {
    use hookgen_runtime::SignedPart;
    let parts: Vec<&SignedPart> = scheme
        .signed
        .iter()
        .filter(|p| !matches!(p, SignedPart::Text("")))
        .collect();
    parts.iter().enumerate().all(|(i, part)| {
        **part != SignedPart::Id
            || [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .filter_map(|j| match parts.get(j) {
                    Some(SignedPart::Text(text)) => Some(*text),
                    _ => None,
                })
                .all(|text| !id.contains(text))
    })
}

/// Seed inputs for [`signature`]: for each scheme, a properly signed request and the same
/// request with its real header, named `<scheme>[-signed]`.
pub fn signature_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (index, (name, scheme, secret)) in signature_schemes().iter().enumerate() {
        let body = br#"{"id":"evt_1","type":"test"}"#;
        let header = scheme
            .sign_message(secret, "msg_1", 1_700_000_000, body)
            .expect("signs");
        for signed in [false, true] {
            let mut seed = vec![if signed {
                index as u8 | 0x80
            } else {
                index as u8
            }];
            seed.extend(header.as_bytes());
            seed.extend(b"\nmsg_1\n1700000000\n");
            seed.extend(body);
            seeds.push((
                format!("{name}{}", if signed { "-signed" } else { "" }),
                seed,
            ));
        }
    }
    seeds
}
