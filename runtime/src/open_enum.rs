//! [`open_enum!`](crate::open_enum): what every generated string enum that keeps unknown
//! values does, written once. The generated enum itself (its variants and docs) stays
//! in the generated module, where a reader finds it; this adds its impls.

/// Implements, for an enum whose unit variants each stand for one string and whose last
/// variant keeps any other string, `KNOWN` (the listed values), `as_str`, `From<&str>`,
/// `From<String>`, `Display`, and serde's `Serialize` and `Deserialize` (as that string).
/// [`open_enum_schema!`](crate::open_enum_schema) adds `schemars::JsonSchema`.
///
/// ```
/// #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
/// pub enum Status {
///     Ok,
///     Failed,
///     Unknown(String),
/// }
/// hookgen_runtime::open_enum!(Status { Ok = "ok", Failed = "failed" } else Unknown);
///
/// assert_eq!(Status::from("failed"), Status::Failed);
/// assert_eq!(Status::from("later").as_str(), "later");
/// assert_eq!(Status::KNOWN, ["ok", "failed"]);
/// ```
///
/// The crate that calls it depends on `serde`.
#[macro_export]
macro_rules! open_enum {
    ($name:ident { $($variant:ident = $wire:literal),* $(,)? } else $fallback:ident) => {
        impl $name {
            /// The values the spec lists.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::$fallback(value) => value,
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)*
                    other => Self::$fallback(::std::borrow::ToOwned::to_owned(other)),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::$fallback(value),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_str_enum(deserializer)
            }
        }
    };
}

/// Implements `schemars::JsonSchema` for an enum [`open_enum!`](crate::open_enum) made:
/// a string, the listed values documented, any other accepted.
///
/// ```
/// #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
/// pub enum Status {
///     Ok,
///     Unknown(String),
/// }
/// hookgen_runtime::open_enum!(Status { Ok = "ok" } else Unknown);
/// hookgen_runtime::open_enum_schema!(Status);
///
/// let schema = schemars::schema_for!(Status);
/// assert_eq!(schema.get("type"), Some(&serde_json::json!("string")));
/// ```
///
/// The crate that calls it depends on `schemars`.
#[macro_export]
macro_rules! open_enum_schema {
    ($name:ident) => {
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(::std::stringify!($name))
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({
                    "type": "string",
                    "anyOf": [
                        { "enum": $name::KNOWN },
                        { "description": "A value the spec does not list." }
                    ]
                })
            }
        }
    };
}
