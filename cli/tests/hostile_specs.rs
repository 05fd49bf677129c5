//! Hostile specs through the `hookgen` binary. Specs and the files they name stay inside
//! their root: a `$ref` cannot read a file outside the reference root (absolute paths,
//! `..`, symlinks; a URL only from the local copy `--ref-map` names, held to its
//! directory), only regular files are read (a FIFO or `/dev/zero` is refused at
//! once, never waited on or read forever), file names and `--name` cannot inject lines
//! into `Cargo.toml` or headers. Signature settings that cannot be secure are refused.
//! `validate` and `generate` give the same verdict on every such document.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `hookgen args` in `cwd`, killed (and the test failed) after 60 s.
fn hookgen(args: &[&str], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookgen"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookgen runs");
    let started = Instant::now();
    while child.try_wait().expect("waiting").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("hookgen {args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A spec whose one payload is `$ref: reference`.
fn spec_referring_to(reference: &str) -> String {
    format!(
        r#"asyncapi: 2.6.0
info: {{title: Refs, version: '1'}}
channels:
  /hooks:
    publish:
      message:
        payload:
          $ref: '{reference}'
"#
    )
}

/// A spec without references to other files.
fn local_spec() -> String {
    spec_referring_to("#/components/schemas/A") + "components:\n  schemas:\n    A: {type: object}\n"
}

/// `dir/specs/spec.yaml` holding `text`; returns its directory.
fn write_spec(dir: &Path, text: &str) -> PathBuf {
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::write(specs.join("spec.yaml"), text).unwrap();
    specs
}

/// `generate --out` and `validate` on `specs/spec.yaml` (with `extra` arguments): both
/// must refuse it with `expect` in their messages and write nothing.
fn assert_both_refuse(dir: &Path, extra: &[&str], expect: &str) {
    let mut generate = vec!["generate", "--out", "out"];
    generate.extend(extra);
    generate.push("specs/spec.yaml");
    let generated = hookgen(&generate, dir);
    let mut validate = vec!["validate"];
    validate.extend(extra);
    validate.push("specs/spec.yaml");
    let validated = hookgen(&validate, dir);
    for (what, output) in [("generate", &generated), ("validate", &validated)] {
        assert_eq!(output.status.code(), Some(1), "{what}: {}", stderr(output));
        assert!(
            stderr(output).contains(expect),
            "{what}: expected `{expect}` in:\n{}",
            stderr(output)
        );
    }
    assert!(!dir.join("out").exists(), "output written despite errors");
}

fn assert_both_accept(dir: &Path, extra: &[&str]) {
    let mut generate = vec!["generate", "--out", "out"];
    generate.extend(extra);
    generate.push("specs/spec.yaml");
    let generated = hookgen(&generate, dir);
    assert!(
        generated.status.success(),
        "generate: {}",
        stderr(&generated)
    );
    let mut validate = vec!["validate"];
    validate.extend(extra);
    validate.push("specs/spec.yaml");
    let validated = hookgen(&validate, dir);
    assert!(
        validated.status.success(),
        "validate: {}",
        stderr(&validated)
    );
}

const SECRET_SCHEMA: &str = "type: object\nproperties:\n  stolen_secret_field: {type: string}\n";

#[test]
fn an_absolute_ref_outside_the_root_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, SECRET_SCHEMA).unwrap();
    write_spec(
        dir.path(),
        &spec_referring_to(&secret.display().to_string()),
    );
    assert_both_refuse(dir.path(), &[], "outside the reference root");
    write_spec(dir.path(), &spec_referring_to("/etc/passwd"));
    assert_both_refuse(dir.path(), &[], "outside the reference root");
}

#[test]
fn a_relative_ref_climbing_out_is_refused_unless_the_root_is_widened() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("common")).unwrap();
    std::fs::write(dir.path().join("common/shared.yaml"), SECRET_SCHEMA).unwrap();
    write_spec(dir.path(), &spec_referring_to("../common/shared.yaml"));
    assert_both_refuse(dir.path(), &[], "outside the reference root");
    assert_both_accept(dir.path(), &["--ref-root", "."]);
    let module = std::fs::read_to_string(dir.path().join("out/src/spec.rs")).unwrap();
    assert!(
        module.contains("stolen_secret_field"),
        "the shared schema was used"
    );
    // Deep climbs stay refused even with a widened root.
    write_spec(
        dir.path(),
        &spec_referring_to("../../../../../../etc/passwd"),
    );
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    assert_both_refuse(
        dir.path(),
        &["--ref-root", "."],
        "outside the reference root",
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_inside_the_root_pointing_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), SECRET_SCHEMA).unwrap();
    let specs = write_spec(dir.path(), &spec_referring_to("link.yaml"));
    std::os::unix::fs::symlink(outside.path().join("secret.yaml"), specs.join("link.yaml"))
        .unwrap();
    assert_both_refuse(dir.path(), &[], "outside the reference root");
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_is_refused_without_waiting_or_reading_forever() {
    let dir = tempfile::tempdir().unwrap();
    let specs = write_spec(dir.path(), &spec_referring_to("pipe.yaml"));
    let made = Command::new("mkfifo").arg(specs.join("pipe.yaml")).status();
    if made.is_ok_and(|s| s.success()) {
        // Named where the `$ref` is written: the spec, its line and pointer.
        assert_both_refuse(dir.path(), &[], "`$ref: pipe.yaml` reaches");
        assert_both_refuse(dir.path(), &[], "which is a FIFO");
        assert_both_refuse(dir.path(), &[], "--> specs/spec.yaml:");
    } else {
        eprintln!("SKIPPED the FIFO case: mkfifo is not available");
    }
    write_spec(dir.path(), &spec_referring_to("/dev/zero"));
    assert_both_refuse(dir.path(), &["--ref-root", "/"], "which is a device");
    assert_both_refuse(dir.path(), &["--ref-root", "/"], "--> specs/spec.yaml:");
    // A directory, too.
    write_spec(dir.path(), &spec_referring_to("."));
    assert_both_refuse(dir.path(), &[], "which is a directory");
    assert_both_refuse(dir.path(), &[], "--> specs/spec.yaml:");
    // The spec itself, too.
    let outcome = hookgen(&["validate", "/dev/zero"], dir.path());
    assert_eq!(outcome.status.code(), Some(1), "{}", stderr(&outcome));
    assert!(
        stderr(&outcome).contains("not a regular file"),
        "{}",
        stderr(&outcome)
    );
}

#[cfg(unix)]
#[test]
fn a_file_name_with_a_new_line_cannot_inject_toml_or_code() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x\n[target.'cfg(all())'.dependencies]\nevil = \"1\"\n.yaml";
    std::fs::write(dir.path().join(name), local_spec()).unwrap();
    let output = hookgen(&["generate", "--out", "out", name], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let cargo = std::fs::read_to_string(dir.path().join("out/Cargo.toml")).unwrap();
    assert!(!cargo.contains("\n[target"), "{cargo}");
    assert!(!cargo.lines().any(|l| l.starts_with("evil")), "{cargo}");
    assert_eq!(
        cargo.lines().take_while(|l| l.starts_with('#')).count(),
        2,
        "{cargo}"
    );
    for file in ["src/lib.rs", "README.md"] {
        let text = std::fs::read_to_string(dir.path().join("out").join(file)).unwrap();
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with("[target") || l.starts_with("evil")),
            "{file}:\n{text}"
        );
    }
}

#[test]
fn package_names_follow_cargo_rules() {
    let dir = tempfile::tempdir().unwrap();
    write_spec(dir.path(), &local_spec());
    for bad in [
        "",
        "evil\"\n[dependencies]\nx = \"1",
        "1abc",
        "a b",
        "fn",
        "std",
        &"a".repeat(65),
        "ünï",
    ] {
        let output = hookgen(
            &["generate", "--out", "out", "--name", bad, "specs/spec.yaml"],
            dir.path(),
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "--name {bad:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("package name"),
            "{}",
            stderr(&output)
        );
        assert!(
            !dir.path().join("out").exists(),
            "--name {bad:?} wrote output"
        );
    }
    let output = hookgen(
        &[
            "generate",
            "--out",
            "out",
            "--name",
            "my-hooks_2",
            "specs/spec.yaml",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn validate_and_generate_agree_on_every_hostile_document() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(root.join("fuzz/seeds/generate"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    inputs.push(root.join("codegen/tests/snapshots/hostile-text.yaml"));
    inputs.push(root.join("codegen/tests/snapshots/generated-names.yaml"));
    inputs.sort();
    assert!(inputs.len() > 10, "hostile seeds missing");
    let mut disagreements = Vec::new();
    for input in &inputs {
        let dir = tempfile::tempdir().unwrap();
        let path = input.display().to_string();
        let generated = hookgen(&["generate", "--out", "out", &path], dir.path());
        let validated = hookgen(&["validate", &path], dir.path());
        let (g, v) = (generated.status.code(), validated.status.code());
        assert!(
            g == Some(0) || g == Some(1),
            "{path}: generate exited {g:?}"
        );
        if g != v {
            disagreements.push(format!(
                "{path}: generate {g:?}, validate {v:?}\n{}\n{}",
                stderr(&generated),
                stderr(&validated)
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n\n"));
}

/// A spec with `signature` as its `x-hookgen.signature` mapping (YAML flow style).
fn spec_signed(signature: &str) -> String {
    format!("{}x-hookgen:\n  signature: {signature}\n", local_spec())
}

#[test]
fn signature_settings_that_cannot_be_secure_are_refused() {
    let cases = [
        // The MAC does not cover the timestamp: an old delivery replays with a fresh one.
        (
            "{header: X-Sig, timestamp-header: X-Ts, tolerance-seconds: 300}",
            "needs `{timestamp}` in `signed`",
        ),
        (
            "{scheme: standard-webhooks, signed: body}",
            "needs `{timestamp}` in `signed`",
        ),
        (
            "{scheme: stripe, signed: '{body}'}",
            "needs `{timestamp}` in `signed`",
        ),
        // Signed id and timestamp with no headers: every delivery refused.
        (
            "{header: X-Sig, signed: id.timestamp.body, tolerance-seconds: 60}",
            "no `id-header` carries it",
        ),
        (
            "{scheme: standard-webhooks, timestamp-header: ''}",
            "neither `timestamp-header` nor `timestamp-entry` carries it",
        ),
        ("{scheme: slack, timestamp-entry: 't='}", "not both"),
        (
            "{header: X-Sig, signed: '{timestamp}.{body}', timestamp-entry: 't=', tolerance-seconds: 60}",
            "needs a `separator`",
        ),
        (
            "{scheme: stripe, prefix: 't=v1='}",
            "the prefix starts with the timestamp entry",
        ),
        // The body unsigned, or signed twice; a part the template does not know.
        ("{header: X-Sig, signed: 'x'}", "`{body}` exactly once"),
        (
            "{header: X-Sig, signed: '{body}{body}'}",
            "`{body}` exactly once",
        ),
        (
            "{header: X-Sig, signed: '{nonce}.{body}'}",
            "unknown part `{nonce}`",
        ),
        // Keys of one algorithm for another.
        (
            "{scheme: standard-webhooks, algorithm: ed25519}",
            "takes `secret: ed25519-base64` keys",
        ),
        (
            "{header: X-Sig, secret: ed25519-base64}",
            "need `algorithm: ed25519`",
        ),
        // A signed timestamp nobody checks does not stop replays.
        (
            "{header: X-Sig, signed: id.timestamp.body, id-header: X-Id, timestamp-header: X-Ts}",
            "needs `tolerance-seconds`",
        ),
        (
            "{scheme: standard-webhooks, tolerance-seconds: 0}",
            "tolerance of 0 s",
        ),
        ("{header: 'X-Sig: injected'}", "not an HTTP header name"),
        (
            "{scheme: standard-webhooks, id-header: webhook-signature}",
            "the same header as `header`",
        ),
        (
            "{header: X-Sig, prefix: 'v1,', separator: ','}",
            "the prefix holds the separator",
        ),
        // Second round: settings that can never verify, or verify more than they say.
        ("{header: ''}", "the signature header's name is empty"),
        (
            "{scheme: standard-webhooks, separator: '='}",
            "is a base64 character",
        ),
        (
            "{scheme: standard-webhooks, separator: 'A'}",
            "is a base64 character",
        ),
        ("{scheme: stripe, separator: \"\\t\"}", "visible ASCII"),
        ("{header: X-Sig, prefix: \"v1\\n\"}", "visible ASCII"),
        (
            "{scheme: standard-webhooks, tolerance-seconds: 18446744073709551615}",
            "a tolerance over 3600 s",
        ),
        (
            "{scheme: standard-webhooks, tolerance-seconds: 3601}",
            "a tolerance over 3600 s",
        ),
        // Parts that could be split another way: a replayer re-splits id and timestamp.
        (
            "{scheme: standard-webhooks, signed: '{id}{timestamp}{body}'}",
            "could be split another way",
        ),
        (
            "{scheme: standard-webhooks, signed: '{id}.{timestamp}{body}'}",
            "could be split another way",
        ),
        (
            "{scheme: standard-webhooks, signed: '{id}.{timestamp}1{body}'}",
            "beside text of digits",
        ),
    ];
    for (signature, expect) in cases {
        let dir = tempfile::tempdir().unwrap();
        write_spec(dir.path(), &spec_signed(signature));
        assert_both_refuse(dir.path(), &[], expect);
    }
    // The presets and plain schemes stay accepted.
    for signature in [
        "{scheme: standard-webhooks}",
        "{scheme: standard-webhooks-v1a}",
        "{scheme: stripe}",
        "{scheme: github}",
        "{scheme: slack}",
        "{scheme: shopify}",
        "{header: X-Sig, signed: 'v0:{timestamp}:{body}', timestamp-header: X-Ts, tolerance-seconds: 60}",
        "{header: X-Sig}",
        "{header: X-Sig, signed: id.timestamp.body, id-header: X-Id, timestamp-header: X-Ts, tolerance-seconds: 60}",
        "{scheme: standard-webhooks, tolerance-seconds: 3600}",
        "{scheme: standard-webhooks, signed: 'v1:{timestamp}:{id}:{body}'}",
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_spec(dir.path(), &spec_signed(signature));
        assert_both_accept(dir.path(), &[]);
    }
}

#[test]
fn a_delivery_schedule_beyond_the_bounds_is_refused() {
    for (delivery, at, expect) in [
        (
            "{attempts: 4294967295}",
            "/x-hookgen/delivery/attempts",
            "from 1 to 50",
        ),
        (
            "{attempts: 0}",
            "/x-hookgen/delivery/attempts",
            "from 1 to 50",
        ),
        (
            "{backoff-seconds: [1, 0]}",
            "/x-hookgen/delivery/backoff-seconds/1",
            "from 1 to 86400",
        ),
        (
            "{timeout-seconds: 31536000}",
            "/x-hookgen/delivery/timeout-seconds",
            "from 1 to 300",
        ),
        (
            "{timeout-seconds: 0}",
            "/x-hookgen/delivery/timeout-seconds",
            "from 1 to 300",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = spec_signed("{header: X-Sig}").replacen(
            "x-hookgen:",
            &format!("x-hookgen:\n  delivery: {delivery}"),
            1,
        );
        write_spec(dir.path(), &spec);
        assert_both_refuse(dir.path(), &[], expect);
        assert_both_refuse(dir.path(), &[], at);
    }
}

#[test]
fn a_quoted_line_break_cannot_fake_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    write_spec(
        dir.path(),
        &spec_signed("{header: \"X-Sig\\nerror: all is well\\n  --> elsewhere.yaml\\u001b[2J\"}"),
    );
    let output = hookgen(&["validate", "specs/spec.yaml"], dir.path());
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("not an HTTP header name"), "{err}");
    assert!(
        !err.lines().any(|l| l.starts_with("error: all is well")),
        "{err}"
    );
    assert!(
        !err.lines().any(|l| l.starts_with("  --> elsewhere")),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "{err}");
}

#[test]
fn a_url_is_read_only_from_the_local_copy_a_ref_map_names_and_never_escapes_it() {
    let dir = tempfile::tempdir().unwrap();
    let copies = dir.path().join("copies");
    std::fs::create_dir_all(copies.join("v1")).unwrap();
    std::fs::write(copies.join("v1/event.yaml"), SECRET_SCHEMA).unwrap();
    std::fs::write(dir.path().join("outside.yaml"), SECRET_SCHEMA).unwrap();
    let url = "https://schemas.example.com/v1/event.yaml";
    write_spec(dir.path(), &spec_referring_to(url));
    assert_both_refuse(dir.path(), &[], "--ref-map URL_PREFIX=DIR");
    let map = format!("https://schemas.example.com/={}", copies.display());
    assert_both_accept(dir.path(), &["--ref-map", &map]);
    let module = std::fs::read_to_string(dir.path().join("out/src/spec.rs")).unwrap();
    assert!(
        module.contains("stolen_secret_field"),
        "the local copy was used"
    );
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    // `..` in the rest of the URL cannot leave the mapped directory.
    write_spec(
        dir.path(),
        &spec_referring_to("https://schemas.example.com/../outside.yaml"),
    );
    assert_both_refuse(
        dir.path(),
        &["--ref-map", &map],
        "outside the reference root",
    );
    // A prefix that does not match is still a remote reference.
    write_spec(
        dir.path(),
        &spec_referring_to("https://other.example.com/v1/event.yaml"),
    );
    assert_both_refuse(dir.path(), &["--ref-map", &map], "is a remote reference");
}

#[test]
fn a_url_where_hookgen_never_reads_is_kept_as_written() {
    let dir = tempfile::tempdir().unwrap();
    write_spec(
        dir.path(),
        r#"asyncapi: 3.0.0
info: {title: Avro, version: '1'}
channels:
  events:
    address: /events
    messages:
      event:
        bindings:
          kafka:
            key: {$ref: 'https://schemas.example.com/key.avsc'}
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema: {$ref: 'https://schemas.example.com/event.avsc'}
"#,
    );
    assert_both_accept(dir.path(), &[]);
    let module = std::fs::read_to_string(dir.path().join("out/src/spec.rs")).unwrap();
    assert!(module.contains("application/vnd.apache.avro"), "{module}");
    // The same URL as a JSON Schema payload is read, so it is refused.
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    write_spec(
        dir.path(),
        "asyncapi: 3.0.0\ninfo: {title: J, version: '1'}\nchannels:\n  events:\n    address: /events\n    messages:\n      event:\n        payload: {$ref: 'https://schemas.example.com/event.json'}\n",
    );
    assert_both_refuse(dir.path(), &[], "is a remote reference");
}

#[cfg(unix)]
#[test]
fn an_overlay_linked_from_outside_the_reference_root_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(
        &secret,
        "info: {description: stolen text from outside the root}\n",
    )
    .unwrap();
    let specs = write_spec(dir.path(), &local_spec());
    std::os::unix::fs::symlink(&secret, specs.join("spec.overlay.yaml")).unwrap();
    assert_both_refuse(dir.path(), &[], "the overlay is a link to");
    assert_both_refuse(dir.path(), &[], "outside the reference root");
}

#[test]
fn generate_out_never_replaces_what_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    write_spec(dir.path(), &local_spec());
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("src")).unwrap();
    // A user's own crate in the directory: refused, untouched.
    std::fs::write(out.join("Cargo.toml"), "[package]\nname = \"mine\"\n").unwrap();
    std::fs::write(out.join("src/lib.rs"), "// mine\n").unwrap();
    for args in [
        &["generate", "--out", "out", "specs/spec.yaml"][..],
        &["generate", "--out", "out", "--force", "specs/spec.yaml"][..],
    ] {
        let output = hookgen(args, dir.path());
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert!(err.contains("Hookgen did not generate"), "{err}");
        assert!(
            err.contains("Cargo.toml") && err.contains("src/lib.rs"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(out.join("Cargo.toml")).unwrap(),
        "[package]\nname = \"mine\"\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("src/lib.rs")).unwrap(),
        "// mine\n"
    );
    // A directory with other files: refused unless --force, which adds the crate beside them.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine\n").unwrap();
    let refused = hookgen(
        &["generate", "--out", "other", "specs/spec.yaml"],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert!(!other.join("Cargo.toml").exists());
    let forced = hookgen(
        &["generate", "--out", "other", "--force", "specs/spec.yaml"],
        dir.path(),
    );
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(other.join("Cargo.toml").exists());
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "mine\n"
    );
    // Its own crate is regenerated in place without --force.
    let again = hookgen(
        &["generate", "--out", "other", "specs/spec.yaml"],
        dir.path(),
    );
    assert!(again.status.success(), "{}", stderr(&again));
}

#[test]
fn a_security_requirement_naming_an_undeclared_scheme_is_refused_by_both_commands() {
    // Found by the `generate` fuzzer: the 2.x document generated while its 3.0
    // conversion (a `$ref` to the scheme) was refused.
    let dir = tempfile::tempdir().unwrap();
    let spec = "asyncapi: 2.6.0\ninfo: {title: T, version: '1'}\nchannels:\n  /hooks:\n    subscribe:\n      security:\n        - petstore_auth: [read]\n      message:\n        payload: {type: object}\ncomponents:\n  securitySchemes:\n    pet2store_auth: {type: httpApiKey, name: X-Key, in: header}\n";
    write_spec(dir.path(), spec);
    assert_both_refuse(
        dir.path(),
        &[],
        "names `petstore_auth`, which `components.securitySchemes` does not declare",
    );
}

#[test]
fn a_channel_item_referring_to_a_message_is_refused_by_both_commands() {
    // Found by the `generate` fuzzer: read as a channel, it generated, while its 3.0
    // conversion was refused (a message's fields in a Channel Object).
    let dir = tempfile::tempdir().unwrap();
    let spec = "asyncapi: 2.6.0\ninfo: {title: T, version: '1'}\nchannels:\n  sns/x:\n    $ref: '#/components/messages/M'\ncomponents:\n  messages:\n    M:\n      name: M\n      contentType: application/json\n      payload: {type: object}\n";
    write_spec(dir.path(), spec);
    assert_both_refuse(
        dir.path(),
        &[],
        "reaches an object that is not a Channel Item Object (it has `name`, `contentType`, `payload`)",
    );
}
