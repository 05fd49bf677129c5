//! The OpenAPI 3.1 front end on small documents: what it reads, and every malformed
//! webhook refused with a pointer to it, by `validate` and `generate` alike.

use hookgen::{Settings, SpecFile};

fn write(dir: &std::path::Path, text: &str) -> SpecFile {
    let path = dir.join("hooks.json");
    std::fs::write(&path, text).unwrap();
    SpecFile::discover(&path, "hooks.json".into())
}

fn document(webhooks: &str) -> String {
    format!(
        r#"{{"openapi":"3.1.0","info":{{"title":"Hooks","version":"1"}},
            "x-hookgen":{{"address":"/hooks","signature":{{"scheme":"github"}}}},
            "webhooks":{webhooks},
            "components":{{"schemas":{{
              "Ping":{{"type":"object","required":["type"],"properties":{{
                "type":{{"const":"ping"}},"zen":{{"type":["string","null"]}}}}}},
              "Unused":{{"type":"object","properties":{{"never":{{"type":"string"}}}}}}}}}}}}"#
    )
}

const PING: &str = r##"{"ping":{"post":{"summary":"A ping.","requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Ping"},"example":{"type":"ping","zen":null}}}}}}}"##;

#[test]
fn a_webhook_is_a_message_on_the_configured_address_and_only_reached_schemas_are_types() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), &document(PING));
    assert!(
        !hookgen::validate(&file).has_errors(),
        "{}",
        hookgen::validate(&file)
    );
    let files = hookgen::generate(&Settings::default(), std::slice::from_ref(&file)).unwrap();
    let module = &files
        .iter()
        .find(|f| f.path.ends_with("src/hooks.rs"))
        .unwrap()
        .contents;
    assert!(module.contains("pub struct Ping"), "{module}");
    assert!(
        !module.contains("Unused"),
        "an unreached schema was generated"
    );
    assert!(module.contains(r#"address: Some("/hooks")"#), "{module}");
    assert!(module.contains("X-Hub-Signature-256"), "{module}");
}

#[test]
fn malformed_webhooks_are_refused_where_they_are() {
    let cases = [
        (r#"{"ping":{}}"#, "/webhooks/ping", "without an operation"),
        (
            r#"{"ping":{"post":{"requestBody":{"content":{}}},"put":{}}}"#,
            "/webhooks/ping",
            "several operations",
        ),
        (
            r#"{"ping":{"post":{}}}"#,
            "/webhooks/ping/post",
            "without a `requestBody`",
        ),
        (
            r#"{"ping":{"post":{"requestBody":{"content":{"text/plain":{}}}}}}"#,
            "/webhooks/ping/post/requestBody/content/text~1plain",
            "JSON webhook bodies only",
        ),
        (r#"[]"#, "/webhooks", "must be a mapping"),
    ];
    for (webhooks, pointer, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), &document(webhooks));
        let validated = hookgen::validate(&file);
        let generated = hookgen::generate(&Settings::default(), std::slice::from_ref(&file));
        assert!(validated.has_errors(), "{webhooks}");
        let error = generated.unwrap_err();
        for report in [validated.to_string(), error.to_string()] {
            assert!(report.contains(message), "{webhooks}: {report}");
            let diagnostic = error
                .0
                .iter()
                .find(|d| d.message.contains(message))
                .unwrap_or_else(|| panic!("{webhooks}: {report}"));
            assert_eq!(diagnostic.pointer, pointer, "{webhooks}");
        }
    }
}

#[test]
fn other_openapi_versions_are_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &document(PING).replace(r#""openapi":"3.1.0""#, r#""openapi":"3.0.3""#),
    );
    let report = hookgen::validate(&file).to_string();
    assert!(
        report.contains("unsupported OpenAPI version `3.0.3`"),
        "{report}"
    );
    assert_eq!(hookgen::validate(&file).0.len(), 1, "{report}");
}
