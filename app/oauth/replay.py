"""Signed assertions are taken once: each `jti` is marked in the shared store until its JWT expires.

A client's `private_key_jwt` assertion and an enterprise ID-JAG are bearer credentials
for as long as they live; marking them in the shared store (Redis or the database) means
no worker of any instance takes the same one twice (RFC 7523 section 3, RFC 7521 section 5.2).
"""

from __future__ import annotations

import hashlib
import time

from app import kv

#: Seconds a mark outlives its JWT's `exp`: the clock skew a JWT is allowed.
LEEWAY = 60


def first_use(kind: str, issuer: str, jti: str, expires_at: int) -> bool:
    """Mark the assertion `jti` of `issuer` used until it expires; False if it was used before."""
    digest = hashlib.sha256(f"{issuer}\0{jti}".encode()).hexdigest()
    ttl = max(1, int(expires_at - time.time()) + LEEWAY)
    return kv.store().mark(f"jti:{kind}:{digest}", ttl)
