//! End to end: `hookgen listen` in the background for each spec, `hookgen send-test` of
//! every example message to it, and tampered or wrongly signed requests rejected.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `hookgen listen` process, killed when dropped; its output lines arrive on `lines`.
struct Listener {
    child: Child,
    base: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hookgen() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookgen"));
    command.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    command
}

fn listen(spec: &str, secret: &str) -> Listener {
    let mut child = hookgen()
        .args(["listen", "--spec", spec, "--secret", secret, "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (sender, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("listen starts");
    let base = first
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    Listener { child, base, lines }
}

/// Collects the listener's output lines for a short while.
fn drain(listener: &Listener) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(line) = listener.lines.recv_timeout(Duration::from_millis(300)) {
        out.push(line);
    }
    out
}

/// A raw HTTP/1.1 POST (no client library, so nothing is normalised); returns the status.
fn raw_post(base: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn every_example_of_every_spec_goes_through_listen() {
    for (spec, messages) in [("flyio", 7), ("flagsmith", 2), ("airmy", 8), ("flymyai", 2)] {
        send_every_example(spec, messages);
    }
}

/// A channel that names its events in a header: `send-test` sends each example with its
/// event header (`X-Repo-Event`), `listen` reads it to identify the message; a request
/// naming another event, or another action of a known event, is kept as unknown, one
/// naming none refused.
#[test]
fn events_named_in_a_header_go_through_listen() {
    let spec = "codegen/tests/snapshots/openapi-webhooks.yaml";
    send_every_example(spec, 3);
    let listener = listen(spec, "e2e-secret-of-20-bytes");
    let body = br#"{"action":"opened","issue":{"number":1,"title":"t","labels":[]}}"#;
    let signature = github_signature("e2e-secret-of-20-bytes", body);
    let signed = ("X-Hub-Signature-256", signature.as_str());
    let unknown = raw_post(
        &listener.base,
        "/hooks",
        &[signed, ("X-Repo-Event", "star")],
        body,
    );
    let unnamed = raw_post(&listener.base, "/hooks", &[signed], body);
    let reopened = br#"{"action":"reopened","issue":{"number":1,"title":"t","labels":[]}}"#;
    let signature = github_signature("e2e-secret-of-20-bytes", reopened);
    let signed = ("X-Hub-Signature-256", signature.as_str());
    let new_action = raw_post(
        &listener.base,
        "/hooks",
        &[signed, ("X-Repo-Event", "issue")],
        reopened,
    );
    let received = drain(&listener);
    assert_eq!(
        (unknown, unnamed, new_action),
        (204, 400, 204),
        "{received:?}"
    );
    for shown in ["unknown event (star)", "unknown event (issue reopened)"] {
        assert!(
            received.iter().any(|l| l.contains(shown)),
            "{shown}: {received:?}"
        );
    }
}

/// `X-Hub-Signature-256: sha256=<hex>` of `body`, computed with `hookgen sign`.
fn github_signature(secret: &str, body: &[u8]) -> String {
    let mut child = hookgen()
        .args([
            "sign",
            "--spec",
            "codegen/tests/snapshots/openapi-webhooks.yaml",
            "--secret",
            secret,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let output = child.wait_with_output().unwrap();
    // Every header the delivery needs, one per line; the signature's is ours.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("X-Hub-Signature-256: "))
        .expect("hookgen sign prints the signature header")
        .to_owned()
}

/// The same with the specs converted to AsyncAPI 3.0 (`hookgen convert --to 3.0`).
#[test]
fn every_example_of_every_spec_in_3_0_form_goes_through_listen() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, messages) in [("flyio", 7), ("flagsmith", 2), ("airmy", 8), ("flymyai", 2)] {
        let output = hookgen()
            .args(["convert", "--to", "3.0", &format!("specs/{spec}.yaml")])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let path = dir.path().join(format!("{spec}.yaml"));
        std::fs::write(&path, &output.stdout).unwrap();
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("asyncapi: 3.0.0"));
        send_every_example(path.to_str().unwrap(), messages);
    }
}

fn send_every_example(spec: &str, messages: usize) {
    {
        let listener = listen(spec, "e2e-secret-of-20-bytes");
        let output = hookgen()
            .args([
                "send-test",
                "--spec",
                spec,
                "--secret",
                "e2e-secret-of-20-bytes",
                "--url",
                &listener.base,
            ])
            .output()
            .unwrap();
        let sent = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{spec}: {sent}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            sent.lines().filter(|l| l.ends_with(": 204")).count(),
            messages,
            "{spec}: {sent}"
        );
        let received = drain(&listener);
        let accepted: Vec<&String> = received.iter().filter(|l| l.starts_with("204 ")).collect();
        assert_eq!(accepted.len(), messages, "{spec}: {received:?}");
        assert!(
            accepted.iter().all(|l| !l.contains("unknown event")),
            "{spec}: {received:?}"
        );
    }
}

#[test]
fn tampered_and_wrongly_signed_requests_are_rejected() {
    let listener = listen("airmy", "e2e-secret-of-20-bytes");
    let body = br#"{"id":"evt_1","type":"test","created_at":"2026-03-22T15:40:00Z","data":{}}"#;
    let sign = airmy_signature;
    let good = sign("e2e-secret-of-20-bytes", body);
    assert_eq!(
        raw_post(
            &listener.base,
            "/hooks/airmy",
            &[("X-AIRMY-Signature", &good)],
            body
        ),
        204
    );
    let tampered = br#"{"id":"evt_1","type":"test","created_at":"2026-03-22T15:40:01Z","data":{}}"#;
    assert_eq!(
        raw_post(
            &listener.base,
            "/hooks/airmy",
            &[("X-AIRMY-Signature", &good)],
            tampered
        ),
        401
    );
    let wrong = sign("another-secret", body);
    assert_eq!(
        raw_post(
            &listener.base,
            "/hooks/airmy",
            &[("X-AIRMY-Signature", &wrong)],
            body
        ),
        401
    );
    assert_eq!(raw_post(&listener.base, "/hooks/airmy", &[], body), 401);
    assert_eq!(
        raw_post(
            &listener.base,
            "/elsewhere",
            &[("X-AIRMY-Signature", &good)],
            body
        ),
        404
    );
    let received = drain(&listener);
    assert_eq!(
        received.iter().filter(|l| l.starts_with("401 ")).count(),
        3,
        "{received:?}"
    );
}

/// The AIRMY signature of `body` under `secret`, from `hookgen sign`.
fn airmy_signature(secret: &str, body: &[u8]) -> String {
    let mut child = hookgen()
        .args(["sign", "--spec", "airmy", "--secret", secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    line.trim().rsplit(' ').next().unwrap().to_owned()
}

#[test]
fn listen_shows_untrusted_strings_escaped() {
    let listener = listen("airmy", "e2e-secret-of-20-bytes");
    // An unlisted event whose type and fields hold terminal escape sequences (CSI, OSC,
    // the C1 CSI, BEL), a carriage return and a direction override.
    let body = br#"{"id":"evt_1","type":"run.\u001b[2J\u009b31m\u202eevil","created_at":"2026-03-22T15:40:00Z","data":{"note":"\u001b]0;pwned\u0007\rfake 204 line"}}"#;
    let signature = airmy_signature("e2e-secret-of-20-bytes", body);
    assert_eq!(
        raw_post(
            &listener.base,
            "/hooks/airmy",
            &[("X-AIRMY-Signature", &signature)],
            body
        ),
        204
    );
    let received = drain(&listener);
    let printed = received.join("\n");
    assert!(printed.contains("unknown event"), "{printed}");
    for c in ['\u{1b}', '\u{9b}', '\u{7}', '\r', '\u{202e}'] {
        assert!(
            !printed.contains(c),
            "{c:?} reached the terminal: {printed:?}"
        );
    }
    assert!(printed.contains("\\u{1b}[2J"), "{printed}");
}

/// A spec without examples (GitHub's carries none): `send-test` says so and how to send
/// a body of one's own; `--body FILE --event NAME` posts it with its event header, and
/// `listen` identifies it.
#[test]
fn send_test_takes_a_body_and_an_event_where_the_spec_has_no_examples() {
    let none = hookgen()
        .args([
            "send-test",
            "--spec",
            "specs/github.json",
            "--secret",
            "e2e-secret-of-20-bytes",
            "--url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&none.stderr);
    assert!(!none.status.success());
    assert!(
        said.contains("the spec has no examples to send") && said.contains("--body FILE"),
        "{said}"
    );

    let spec = "codegen/tests/snapshots/openapi-webhooks.yaml";
    let listener = listen(spec, "e2e-secret-of-20-bytes");
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("payload.json");
    std::fs::write(
        &body,
        br#"{"action":"opened","issue":{"number":7,"title":"t","labels":[]}}"#,
    )
    .unwrap();
    let sent = hookgen()
        .args([
            "send-test",
            "--spec",
            spec,
            "--secret",
            "e2e-secret-of-20-bytes",
            "--url",
            &listener.base,
            "--body",
            body.to_str().unwrap(),
            "--event",
            "issue",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&sent.stdout).into_owned();
    assert!(
        sent.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(
        out.contains("--body as `issue`") && out.trim_end().ends_with(": 204"),
        "{out}"
    );
    let received = drain(&listener);
    assert!(
        received
            .iter()
            .any(|l| l.starts_with("204 /hooks: issue-opened")),
        "{received:?}"
    );
}
