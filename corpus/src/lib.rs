//! The code Hookgen generates for every AsyncAPI 2.x and 3.x document of the corpus, and for
//! the checked-in snapshots, compiled here under `#[deny(warnings)]` (see `build.rs`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

// What the root of a generated crate re-exports, which its modules name as `crate::X`.
#[cfg(feature = "tower")]
pub use hookgen_runtime::queue;
#[cfg(feature = "tower")]
pub use hookgen_runtime::receiver;
#[cfg(feature = "client")]
pub use hookgen_runtime::sender;
#[cfg(feature = "testing")]
pub use hookgen_runtime::testing;
pub use hookgen_runtime::{
    Action, Algorithm, Channel, Clock, DecodeError, DeliveryPolicy, Encoding, Headers, MessageInfo,
    Operation, Parameter, Reply, Route, STANDARD_WEBHOOKS, STANDARD_WEBHOOKS_V1A, SecretFormat,
    Server, SignatureError, SignatureScheme, SignedPart, SignedRequest, SystemClock,
    UnknownMessage,
};

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

/// Decodes `example` into `T` and serializes it back: the result must hold nothing the
/// example does not (numbers compared by value), and a second round trip must not change it.
/// Only properties the schema does not declare may be dropped (see the README's policy).
pub fn check_round_trip<T: DeserializeOwned + Serialize>(example: &str) {
    let expected: Value = serde_json::from_str(example).expect("the example is JSON");
    let typed: T = serde_json::from_str(example)
        .unwrap_or_else(|e| panic!("the example does not decode: {e}\n{example}"));
    let once = serde_json::to_value(&typed).expect("serializes");
    if let Err(path) = subset(&once, &expected, String::new()) {
        panic!("round trip changed `{path}`:\nexample: {expected}\nback:    {once}");
    }
    let twice =
        serde_json::to_value(serde_json::from_value::<T>(once.clone()).expect("decodes again"))
            .expect("serializes");
    assert!(
        same(&once, &twice),
        "second round trip changed the value:\n{once}\n{twice}"
    );
}

/// `Ok` when every value of `actual` is in `expected` at the same place.
fn subset(actual: &Value, expected: &Value, path: String) -> Result<(), String> {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => a.iter().try_for_each(|(k, v)| match e.get(k) {
            Some(ev) => subset(v, ev, format!("{path}/{k}")),
            None => Err(format!("{path}/{k}")),
        }),
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => a
            .iter()
            .zip(e)
            .enumerate()
            .try_for_each(|(i, (av, ev))| subset(av, ev, format!("{path}/{i}"))),
        _ if same(actual, expected) => Ok(()),
        _ => Err(path),
    }
}

/// JSON equality with numbers compared by value (`5` equals `5.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
