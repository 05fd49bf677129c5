//! What the receiver tests share: Fly.io `resource.created` bodies, signed and posted.

use webhooks::flyio;

/// The secret the tests' receivers verify with.
pub const SECRET: &[u8] = b"fly-webhook-secret-2026";

/// The Fly.io extension address the deliveries go to.
pub const PATH: &str = "/api/hooks/extensions/acme";

/// A `resource.created` body for `resource`.
pub fn created(resource: &str) -> Vec<u8> {
    format!(r#"{{"action":"resource.created","resource_id":"{resource}","config":{{}}}}"#)
        .into_bytes()
}

/// Posts `body`, signed with [`SECRET`], to `url`: the status and `Retry-After`.
pub async fn deliver(url: &str, body: &[u8]) -> (u16, Option<String>) {
    let response = reqwest::Client::new()
        .post(url)
        .header(flyio::SIGNATURE_HEADER, flyio::sign(SECRET, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry_after)
}
