#!/usr/bin/env python3
"""Signature vectors for tests/signatures.rs, computed independently of Hookgen's runtime
with Python's hmac and the `cryptography` package (pip install cryptography).

GitHub's and Slack's vectors are the ones their documentation publishes; this script
recomputes them as a check. Stripe and Shopify publish none, so theirs are computed here
from the algorithm their documentation describes. Standard Webhooks `v1a` reuses the
reference libraries' signing vector and adds the public key and a second message.
"""
import base64
import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization


def hex_mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def b64_mac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


# GitHub (docs.github.com, "Validating webhook deliveries": testing the signature).
print("github", "sha256=" + hex_mac(b"It's a Secret to Everybody", b"Hello, World!"))

# Slack (api.slack.com, "Verifying requests from Slack": the worked example).
slack_body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
              b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
              b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
              b"%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
              b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
print("slack", "v0=" + hex_mac(b"8f742231b10e8888abcd99yyyzzz85a5", b"v0:1531420618:" + slack_body))

# Stripe (docs.stripe.com, "Verify signatures manually"): HMAC-SHA256 of `t.body` keyed
# with the endpoint secret as written, `whsec_` included.
stripe_body = b'{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded"}'
stripe_secret = b"whsec_7kQa1zFQ3oV8b1bcN2Nf3Rxv"
print("stripe", "t=1492774577,v1=" + hex_mac(stripe_secret, b"1492774577." + stripe_body))

# Shopify (shopify.dev, "Validate the origin of your webhook"): base64 HMAC-SHA256 of the body.
shopify_body = b'{"id":820982911946154508,"email":"jon@example.com","closed_at":null}'
print("shopify", b64_mac(b"shpss_5e4c7ad8b2f0a1d3", shopify_body))

# Standard Webhooks v1a: the reference libraries' seed, message and signature.
seed = base64.b64decode("VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=")
key = Ed25519PrivateKey.from_private_bytes(seed)
public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
print("v1a public", "whpk_" + base64.b64encode(public).decode())
for msg_id, timestamp, body in [
    ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'),
    ("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231,
     b'{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}'),
]:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    signature = key.sign(signed)
    Ed25519PublicKey.from_public_bytes(public).verify(signature, signed)
    print("v1a", msg_id, timestamp, "v1a," + base64.b64encode(signature).decode())
