"""Other servers' public keys (JWKS), cached per URL, and the JWTs signed with them.

Whose: an enterprise identity provider's (its ID-JAGs), an external issuer's (its access
tokens), a machine client's (its `private_key_jwt` assertions). A key set is fetched once
and kept; a JWT naming a key not in it (the other side rotated its keys) fetches the set
again, at most once per REFETCH_AFTER seconds per URL, so that made-up key ids cannot make
this server hammer the other; after MAX_AGE seconds it is fetched again whatever, so a key
the other side withdrew stops being trusted.
"""

from __future__ import annotations

import json
import threading
import time

import requests
from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

#: Signatures accepted: public-key ones only (a shared-secret algorithm would let a public key sign).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
REFETCH_AFTER = 60.0
MAX_AGE = 3600.0
TIMEOUT_SECONDS = 5
_lock = threading.Lock()


class KeysUnavailable(Exception):
    """The key set could not be fetched or read; says why."""


class UnknownKey(Exception):
    """The JWT names a key its signer does not publish (kid in the message)."""


def key_set(url: str, refresh: bool = False) -> KeySet:
    """The keys published at `url`: cached, fetched again when `refresh` asks (at most once per REFETCH_AFTER)."""
    cache: dict[str, tuple[float, KeySet]] = current_app.extensions.setdefault("jwks", {})
    with _lock:
        cached = cache.get(url)
        age = time.monotonic() - cached[0] if cached else MAX_AGE
        if cached and age < MAX_AGE and (not refresh or age < REFETCH_AFTER):
            return cached[1]
        keys = _fetch(url)
        cache[url] = (time.monotonic(), keys)
        return keys


def decode(token: str, url: str) -> jwt.Token:
    """Verify `token`'s signature with the keys at `url`.

    Raises UnknownKey, KeysUnavailable, or joserfc's JoseError for a token that is not a
    well-formed JWT signed by one of those keys. The claims are the caller's to check.
    """
    return jwt.decode(token, key_for(url, header(token).get("kid")), algorithms=ALGORITHMS)


def key_for(url: str, kid: object) -> Key:
    """The key `kid` of those published at `url`, fetched again once if it is not among them yet."""
    keys = key_set(url)
    if not _has(keys, kid):
        keys = key_set(url, refresh=True)
        if not _has(keys, kid):
            raise UnknownKey(f"it is signed with a key its issuer does not publish (kid {str(kid)[:64]!r})")
    return keys.get_by_kid(kid if isinstance(kid, str) else None)


def header(token: str) -> dict:
    """The protected header of a compact JWS, unverified (to pick the key); JoseError if it is not one."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise JoseError("not a signed JWT")
    return jws.extract_compact(token.encode()).headers()


def unverified_claims(token: str) -> dict:
    """The claims of a compact JWS, unverified (to find who signed it); JoseError if there are none."""
    try:
        claims = json.loads(jws.extract_compact(token.encode()).payload)
    except ValueError as error:
        raise JoseError("its payload is not JSON") from error
    if not isinstance(claims, dict):
        raise JoseError("its payload is not a JSON object")
    return claims


def _has(keys: KeySet, kid: object) -> bool:
    if kid is None:
        return len(keys.keys) == 1
    return any(key.kid == kid for key in keys.keys)


def _fetch(url: str) -> KeySet:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        return KeySet.import_key_set(response.json())
    except (requests.RequestException, ValueError, KeyError, TypeError, JoseError) as error:
        current_app.logger.warning("keys at %s could not be used: %s", url, error)
        raise KeysUnavailable(f"its keys could not be fetched from {url}") from error
