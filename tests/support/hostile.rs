//! Documents built to cost more than their size, for `tests/hostile_documents.rs` and the
//! `hostile` benchmark.

/// An AsyncAPI document whose schema `L<levels>` is an `allOf` of `L<levels-1>` twice and
/// two properties of it (one through `allOf`), down to `L0`: 2^levels paths through a
/// document of a few hundred bytes a level, and, inline, a type of 2^levels times the
/// size of `L0`.
pub fn composition(levels: usize) -> String {
    let mut schemas = String::from(
        "    L0: {type: object, properties: {a: {type: string}, n: {type: number}}}\n",
    );
    for level in 1..=levels {
        let below = format!("'#/components/schemas/L{}'", level - 1);
        schemas.push_str(&format!(
            "    L{level}:\n      allOf:\n        - $ref: {below}\n        - $ref: {below}\n        - type: object\n          properties:\n            p{level}: {{$ref: {below}}}\n            q{level}: {{allOf: [{{$ref: {below}}}]}}\n"
        ));
    }
    format!(
        "asyncapi: 2.6.0\ninfo: {{title: Composition, version: '1'}}\nchannels:\n  /hooks:\n    publish:\n      message:\n        payload: {{$ref: '#/components/schemas/L{levels}'}}\ncomponents:\n  schemas:\n{schemas}"
    )
}

/// A YAML document whose flow brackets nest `depth` deep after `prefix`.
pub fn flow_nesting(prefix: &str, depth: usize) -> String {
    format!("{prefix}{}", "[".repeat(depth))
}
