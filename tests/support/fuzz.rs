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
        // Already 3.x.
        Err(d) if d.to_string().contains("already AsyncAPI 3") => return,
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
