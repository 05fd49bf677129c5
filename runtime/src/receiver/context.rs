//! What a handler knows about the delivery it handles: where it arrived, its headers,
//! its id, when it was received, which attempt this is, and its raw body.

use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;

use crate::routing::Route;

/// The delivery a handler method is called for, beside its decoded payload.
///
/// The same in direct and in queue mode: a queued delivery keeps its headers and the
/// time it was received, and counts its attempts in the queue.
#[derive(Debug, Clone)]
pub struct DeliveryContext {
    route: Route,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    id: Option<String>,
    received_at: SystemTime,
    attempt: u32,
}

impl DeliveryContext {
    /// The context of a delivery received now, first attempt; its id is the value of
    /// `id_header` (the scheme's delivery id header, `X-GitHub-Delivery` or
    /// `webhook-id`; empty for none).
    pub(crate) fn new(
        route: Route,
        path: String,
        headers: HeaderMap,
        body: Bytes,
        id_header: &str,
    ) -> Self {
        let id = (!id_header.is_empty())
            .then(|| headers.get(id_header)?.to_str().ok().map(str::to_owned))
            .flatten();
        Self {
            route,
            path,
            headers,
            body,
            id,
            received_at: SystemTime::now(),
            attempt: 1,
        }
    }

    /// The same delivery, received at `received_at`, at its `attempt`-th attempt.
    pub(crate) fn again(mut self, received_at: SystemTime, attempt: u32) -> Self {
        self.received_at = received_at;
        self.attempt = attempt.max(1);
        self
    }

    /// The channel it arrived at, with the address parameters ([`Route::param`]).
    pub fn route(&self) -> &Route {
        &self.route
    }

    /// The request path, as received.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request's headers (the signature among them, already verified). Typed headers
    /// of a spec that declares them: its `…Headers::from_request(context.headers())`.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of header `name` (the first, when repeated; `None` when it is not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The delivery's id, from the header the provider sends it in (GitHub's
    /// `X-GitHub-Delivery`, Standard Webhooks' `webhook-id`), for logs and deduplication.
    pub fn delivery_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// When this receiver received it (in queue mode: when the queue accepted it).
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// Which attempt at handling it this is, counting from 1: always 1 in direct mode
    /// (a provider's retry is a new delivery), one more per failure in queue mode.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The raw body, exactly as received and verified.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}
