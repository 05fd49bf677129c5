//! YAML read straight into a JSON value, with the rules a JSON document keeps: a key
//! appears once in a mapping, keys are scalars (numbers and booleans become their text,
//! as `serde_json` writes them), and YAML-only constructs (tags, null or compound keys)
//! are refused. serde_yaml still parses, resolves aliases within its limits and bounds
//! the nesting; this only builds the value without a second tree in between.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The deepest nesting of flow collections (`[`, `{`) a document may have: serde_yaml's
/// own limit, checked first in linear time (its parser reads the whole document before
/// it counts, at a cost of its size times its depth: 256 KB of `[` took 73 s).
pub const MAX_FLOW_DEPTH: usize = 128;

/// Where a document nests flow collections deeper than [`MAX_FLOW_DEPTH`]: the line and
/// column (from 1) of the first bracket too deep. One pass, without parsing.
///
/// Sound for the parser's purpose: the count never falls below the parser's flow depth.
/// Every `[` and `{` counts, even inside quotes and comments; a `]` or `}` lowers the
/// count only outside what may be a quoted scalar or a comment (a quote that starts a
/// scalar in a flow collection, as YAML reads it, or a `#` after a space). So text can
/// make the count too high (a document with 129 unclosed brackets in its strings is
/// refused), never too low.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut depth, mut line, mut line_start) = (0usize, 1usize, 0usize);
    // The last byte that was not a space or tab (a newline at a line's start).
    let mut previous = b'\n';
    let mut i = 0;
    // Inside a quoted scalar (its quote byte) or a comment: closers do not count.
    let mut quoted: Option<u8> = None;
    let mut comment = false;
    while let Some(&b) = bytes.get(i) {
        let blank_before = i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r');
        match b {
            b'\n' => {
                line += 1;
                line_start = i + 1;
                comment = false;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Some((line, text[line_start..i].chars().count() + 1));
                }
            }
            _ if comment => {}
            b'\\' if quoted == Some(b'"') => i += 1,
            b'"' | b'\'' if quoted == Some(b) => {
                // `''` inside single quotes is an escaped quote.
                if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    quoted = None;
                }
            }
            _ if quoted.is_some() => {}
            b'"' | b'\''
                if depth > 0 && matches!(previous, b'[' | b'{' | b',' | b':' | b'\n' | b'?') =>
            {
                quoted = Some(b);
            }
            b'#' if blank_before => comment = true,
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !matches!(b, b' ' | b'\t' | b'\r') {
            previous = b;
        }
        i += 1;
    }
    None
}

/// Parses `text` as one YAML document into a JSON value (`null` when it holds none).
/// A document nested deeper than [`MAX_FLOW_DEPTH`] is refused before it is parsed.
pub fn from_str(text: &str) -> Result<Value, serde_yaml::Error> {
    if let Some((line, column)) = too_deep(text) {
        return Err(de::Error::custom(format_args!(
            "brackets nested deeper than {MAX_FLOW_DEPTH} levels at line {line} column {column} (a `[` or `{{` inside a quoted string counts too)"
        )));
    }
    let mut documents = serde_yaml::Deserializer::from_str(text);
    let Some(document) = documents.next() else {
        return Ok(Value::Null);
    };
    // As an option, so that a document with no node at all (only comments) is `null`.
    let value = de::Deserializer::deserialize_option(document, JsonValue)?;
    match documents.next() {
        None => Ok(value),
        Some(_) => Err(de::Error::custom(
            "more than one YAML document (`---`); a spec is one document",
        )),
    }
}

/// Builds a [`Value`] from any YAML node.
struct JsonValue;

impl<'de> DeserializeSeed<'de> for JsonValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON data")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    /// `.nan` and `.inf` have no JSON form and become `null`, as `serde_json` writes them.
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(JsonValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(JsonKey)? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate entry with key {key:?}"
                )));
            }
            let value = map.next_value_seed(JsonValue)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(
            "a YAML tag (`!name`) has no JSON form; remove it",
        ))
    }
}

/// A mapping key as JSON text.
struct JsonKey;

impl<'de> DeserializeSeed<'de> for JsonKey {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonKey {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number or boolean key")
    }

    fn visit_bool<E>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        match Number::from_f64(v) {
            Some(n) => Ok(n.to_string()),
            None => Err(E::custom(
                "a key that is not a finite number has no JSON form",
            )),
        }
    }

    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value serde_yaml's own tree gives, converted as before this reader existed.
    fn through_tree(text: &str) -> Result<Value, String> {
        let tree: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        serde_json::to_value(tree).map_err(|e| e.to_string())
    }

    #[test]
    fn same_value_as_through_serde_yaml_tree() {
        for text in [
            "a: 1\nb: [x, 2.5, true, null, ~]\nc: {d: -3, e: 18446744073709551615}\n",
            "200: ok\ntrue: yes\n1.5: half\n",
            "x: &a {k: v}\ny: *a\n",
            "s: 'quoted: text'\nm: |\n  line\n  two\n",
            "n: .nan\ni: -.inf\n",
            "",
            "- 1\n- [2]\n",
            "# only a comment\n",
        ] {
            assert_eq!(
                from_str(text).map_err(|e| e.to_string()).ok(),
                through_tree(text).ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn nesting_is_refused_at_the_first_bracket_too_deep_in_linear_time() {
        let deep = format!("a: {}", "[".repeat(256 * 1024));
        let started = std::time::Instant::now();
        assert_eq!(too_deep(&deep), Some((1, 4 + MAX_FLOW_DEPTH)));
        let error = from_str(&deep).unwrap_err().to_string();
        assert!(error.contains("line 1 column 132"), "{error}");
        // 4 MB of brackets: one pass (the parser alone took 73 s on 256 KB).
        let huge = "[".repeat(4 << 20);
        assert!(too_deep(&huge).is_some());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Quoted closers do not hide depth; quoted or commented openers count.
        for hiding in ["[ \"]\", ", "[ ']''', ", "[ # ]\n", "{ \"a\\\"]\": "] {
            let hidden = format!("a: {}", hiding.repeat(200));
            assert!(too_deep(&hidden).is_some(), "{hiding:?}");
        }
        // Balanced text, brackets in strings and apostrophes are fine.
        let fine = format!(
            "a: {}\nb: \"[[[\"\nc: [don't, 'it''s', \"]\"]\nd: {}\n",
            "[".repeat(MAX_FLOW_DEPTH) + &"]".repeat(MAX_FLOW_DEPTH),
            "[x] ".repeat(1000)
        );
        assert_eq!(too_deep(&fine), None);
        let parsed = "a: [[x]]\nb: \"[[[\"\nc: [don't, 'it''s', \"]\"]\nd: see [1] and [2\n";
        assert_eq!(too_deep(parsed), None);
        assert!(from_str(parsed).is_ok());
    }

    #[test]
    fn refuses_what_json_cannot_hold() {
        let cases = [
            ("a: 1\na: 2\n", "duplicate entry with key \"a\""),
            ("? [1, 2]\n: x\n", "a string, number or boolean key"),
            ("~: x\n", "a string, number or boolean key"),
            ("a: !custom 1\n", "YAML tag"),
            ("a: 1\n---\nb: 2\n", "more than one YAML document"),
        ];
        for (text, expect) in cases {
            let error = from_str(text).unwrap_err().to_string();
            assert!(error.contains(expect), "{text:?}: {error}");
        }
        // Located where the old reader located it: the start of the mapping.
        let text = "a: 1\nb:\n  x: 1\n  x: 2\n";
        let line = |e: serde_yaml::Error| e.location().map(|l| (l.line(), l.column()));
        let old = serde_yaml::from_str::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(line(from_str(text).unwrap_err()), line(old));
    }
}
