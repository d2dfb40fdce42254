"""Signed assertions are taken once, and live at most an hour: each `jti` is marked until its JWT expires.

A client's `private_key_jwt` assertion and an enterprise ID-JAG are bearer credentials
for as long as they live; marking them in the shared store (Redis or the database) means
no worker of any instance takes the same one twice (RFC 7523 section 3, RFC 7521 section 5.2).
Bounding their lifetime bounds how long a mark is kept.
"""

from __future__ import annotations

import hashlib
import time

from app import kv

#: Seconds a mark outlives its JWT's `exp`: the clock skew a JWT is allowed.
LEEWAY = 60
#: The furthest in the future an assertion's `exp` may be.
MAX_SECONDS = 3600


def lives_too_long(expires_at: object) -> bool:
    """Whether an assertion's `exp` is further ahead than MAX_SECONDS (a non-number is for the claim checks)."""
    return isinstance(expires_at, int | float) and expires_at > time.time() + MAX_SECONDS


def first_use(kind: str, issuer: str, jti: str, expires_at: float) -> bool:
    """Mark the assertion `jti` of `issuer` used until it expires; False if it was used before."""
    digest = hashlib.sha256(f"{issuer}\0{jti}".encode()).hexdigest()
    ttl = int(min(max(expires_at - time.time(), 0), MAX_SECONDS)) + LEEWAY
    return kv.store().mark(f"jti:{kind}:{digest}", ttl)
