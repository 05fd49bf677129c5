//! Property test of naming: random wire names (any Unicode, punctuation, keywords, digits
//! first, names that collide once converted) as object properties and as string enum
//! values always give valid, distinct Rust identifiers, and the generated serde mapping
//! leads each one back to its exact wire name.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::json;

fn wire_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,10}",
        "[a-zA-Z0-9 _$.-]{1,8}",
        proptest::sample::select(vec![
            "type",
            "self",
            "Self",
            "super",
            "crate",
            "_",
            "r#type",
            "Unknown",
            "unknown",
            "additional_properties",
            "1st",
            "a-b",
            "a_b",
            "A B",
            "$ref",
            "é",
            "ß",
            "",
        ])
        .prop_map(str::to_owned),
    ]
}

fn names() -> impl Strategy<Value = BTreeSet<String>> {
    proptest::collection::btree_set(wire_name(), 1..12)
}

/// Generates a spec whose `Thing` has `properties` (each of type `Kind`) and whose `Kind`
/// is a string enum of `values`, and returns the spec module's source.
fn generate(properties: &BTreeSet<String>, values: &BTreeSet<String>) -> String {
    let props: serde_json::Map<String, serde_json::Value> = properties
        .iter()
        .map(|p| (p.clone(), json!({ "$ref": "#/components/schemas/Kind" })))
        .collect();
    let doc = json!({
        "asyncapi": "2.6.0",
        "info": { "title": "Names", "version": "1" },
        "channels": { "/n": { "publish": { "message": { "$ref": "#/components/messages/Thing" } } } },
        "components": {
            "messages": { "Thing": { "payload": { "$ref": "#/components/schemas/Thing" } } },
            "schemas": {
                "Thing": { "type": "object", "properties": props },
                "Kind": { "type": "string", "enum": values.iter().collect::<Vec<_>>() }
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let spec = hookgen::SpecFile::discover(&path, "names.json".into());
    let files = hookgen::generate(&hookgen::Settings::default(), &[spec])
        .unwrap_or_else(|d| panic!("generation failed: {d}"));
    files
        .into_iter()
        .find(|f| f.path.ends_with("src/names.rs"))
        .expect("module file")
        .contents
}

/// The literal of `#[serde(rename = "…")]` among `attrs`, if any.
fn rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                found = Some(lit.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

fn struct_fields(file: &syn::File, name: &str) -> Vec<(String, String)> {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => Some(s),
            _ => None,
        })
        .expect("struct Thing")
        .fields
        .iter()
        .map(|f| {
            let ident = f.ident.as_ref().expect("named field").to_string();
            let wire =
                rename(&f.attrs).unwrap_or_else(|| ident.trim_start_matches("r#").to_owned());
            (ident, wire)
        })
        .collect()
}

/// Every variant of the enum `name`, the fallback included.
fn enum_variants(file: &syn::File, name: &str) -> Vec<String> {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Enum(e) if e.ident == name => Some(e),
            _ => None,
        })
        .expect("enum Kind")
        .variants
        .iter()
        .map(|v| v.ident.to_string())
        .collect()
}

/// The `Variant = "wire"` pairs of the `open_enum!` invocation for `name` (which
/// implements `as_str`, `From` and serde by them).
fn enum_arms(file: &syn::File, name: &str) -> Vec<(String, String)> {
    use syn::parse::Parser;
    let parse = |input: syn::parse::ParseStream| -> syn::Result<(String, Vec<(String, String)>)> {
        let ty: syn::Ident = input.parse()?;
        let content;
        syn::braced!(content in input);
        let pairs = content.parse_terminated(
            |p: syn::parse::ParseStream| {
                let variant: syn::Ident = p.parse()?;
                p.parse::<syn::Token![=]>()?;
                let wire: syn::LitStr = p.parse()?;
                Ok((variant.to_string(), wire.value()))
            },
            syn::Token![,],
        )?;
        input.parse::<syn::Token![else]>()?;
        input.parse::<syn::Ident>()?;
        Ok((ty.to_string(), pairs.into_iter().collect()))
    };
    for item in &file.items {
        let syn::Item::Macro(m) = item else { continue };
        if m.mac
            .path
            .segments
            .last()
            .is_none_or(|s| s.ident != "open_enum")
        {
            continue;
        }
        let (ty, pairs) = parse
            .parse2(m.mac.tokens.clone())
            .expect("open_enum! parses");
        if ty == name {
            return pairs;
        }
    }
    Vec::new()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.min(128), ..ProptestConfig::default() })]

    #[test]
    fn wire_names_become_distinct_identifiers_that_map_back(
        properties in names(),
        values in names(),
    ) {
        let source = generate(&properties, &values);
        let file = syn::parse_file(&source).expect("generated code parses");

        let fields = struct_fields(&file, "Thing");
        let idents: BTreeSet<&str> = fields.iter().map(|(i, _)| i.as_str()).collect();
        prop_assert_eq!(idents.len(), fields.len(), "field names collide: {:?}", fields);
        for (ident, _) in &fields {
            prop_assert!(syn::parse_str::<syn::Ident>(ident).is_ok(), "invalid field {ident}");
        }
        let wire: BTreeSet<String> = fields.iter().map(|(_, w)| w.clone()).collect();
        prop_assert_eq!(&wire, &properties);

        let arms = enum_arms(&file, "Kind");
        let variants: BTreeSet<&str> = arms.iter().map(|(v, _)| v.as_str()).collect();
        prop_assert_eq!(variants.len(), arms.len(), "variants collide: {:?}", arms);
        for (variant, _) in &arms {
            prop_assert!(syn::parse_str::<syn::Ident>(variant).is_ok(), "invalid variant {variant}");
        }
        let wire: BTreeSet<String> = arms.iter().map(|(_, w)| w.clone()).collect();
        prop_assert_eq!(&wire, &values);
        let all = enum_variants(&file, "Kind");
        prop_assert_eq!(all.len(), values.len() + 1, "one variant per value and a fallback: {:?}", all);
        prop_assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), all.len(), "variants collide: {:?}", all);
    }
}
