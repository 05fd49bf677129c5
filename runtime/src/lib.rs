//! The handwritten runtime every Hookgen-generated crate calls into.
//!
//! Generated spec modules hold only data (channel tables, signature schemes, message
//! types) and thin functions; the behaviour they share lives here, written once:
//!
//! - [`signature`]: sign and verify webhook bodies (HMAC-SHA256 over the raw bytes);
//! - [`routing`]: the channel table types and address-template matching;
//! - [`decode`]: reading a discriminator, decoding payloads, keeping unknown events;
//! - [`delivery`]: the delivery rules a provider documents (attempts, backoff, timeout);
//! - [`replay`]: replay protection, in memory or on Redis (feature `redis`);
//! - `queue` (feature `tower`): acknowledge fast, process later, from memory or a Redis
//!   stream (feature `redis`);
//! - `receiver` (feature `tower`): a tower service that verifies, checks replays, decodes
//!   and dispatches, and an axum router on it (feature `axum`);
//! - `sender` (feature `client`): signs, posts and retries deliveries;
//! - `testing` (feature `testing`): correctly signed and deliberately broken deliveries
//!   for a service's own tests.

#![forbid(unsafe_code)]

pub mod decode;
pub mod delivery;
mod open_enum;
#[cfg(feature = "tower")]
pub mod queue;
#[cfg(feature = "tower")]
pub mod receiver;
#[cfg(feature = "redis")]
mod redis_connection;
pub mod replay;
pub mod routing;
#[cfg(feature = "client")]
pub mod sender;
pub mod signature;
#[cfg(feature = "testing")]
pub mod testing;
mod unique;

pub use decode::{DecodeError, Headers, MessageInfo, UnknownMessage};

/// What only generated code calls (decoding steps, serde helpers, the receiver's
/// binding): no API, no stability, may change in any release (serde's `__private`
/// convention). The documented API is the rest of this crate.
#[doc(hidden)]
pub mod __private {
    pub use crate::decode::{
        Candidate, Numbers, decode_by_shape, decode_headers, decode_payload, deserialize_str_enum,
        double_option, peek_discriminator, try_payload, unknown_message,
    };
    #[cfg(feature = "tower")]
    pub use crate::queue::process;
    #[cfg(feature = "tower")]
    pub use crate::receiver::{Dispatch, HandlerFuture, SpecBinding};

    /// The items given, when this build has the `testing` feature (the test helpers a
    /// build script generates with `Builder::testing`); nothing otherwise.
    pub use crate::__testing_items as testing_items;

    /// Whether this build verifies Ed25519 (a module whose spec signs with Ed25519
    /// asserts it at compile time, so a missing feature is a build error, not a 401).
    pub const ED25519: bool = cfg!(feature = "ed25519");
}
#[cfg(feature = "testing")]
#[doc(hidden)]
#[macro_export]
macro_rules! __testing_items {
    ($($item:item)*) => { $($item)* };
}

#[cfg(not(feature = "testing"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __testing_items {
    ($($item:item)*) => {};
}

pub use delivery::DeliveryPolicy;
pub use routing::{Action, Channel, Operation, Parameter, Reply, Route, Server};
pub use signature::{
    Algorithm, Clock, Encoding, STANDARD_WEBHOOKS, STANDARD_WEBHOOKS_V1A, SecretFormat,
    SignatureError, SignatureScheme, SignedHeaders, SignedPart, SignedRequest, SystemClock,
};
