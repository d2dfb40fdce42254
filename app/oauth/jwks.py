"""Other servers' public keys (JWKS), cached per URL, and the JWTs signed with them.

Whose: an enterprise identity provider's (its ID-JAGs), an external issuer's (its access
tokens), a machine client's (its `private_key_jwt` assertions). A key set is fetched once
and kept; a JWT naming a key not in it (the other side rotated its keys) fetches the set
again, at most once per REFETCH_AFTER seconds per URL whether the fetch works or not, so
that made-up key ids cannot make this server hammer the other; after MAX_AGE seconds it is
fetched again whatever, so a key the other side withdrew stops being trusted (a failed
fetch keeps the keys fetched before). One URL is fetched at a time, without holding up the
others. Shared-secret ("oct") keys are never used: the algorithms are public-key ones.
"""

from __future__ import annotations

import json
import math
import threading
import time

import requests
from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

#: Signatures accepted: public-key ones only (a shared-secret algorithm would let a public key sign).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "Ed25519", "EdDSA"]
#: Key types those algorithms use: a published shared-secret ("oct") key is ignored.
PUBLIC_KEY_TYPES = ("RSA", "EC", "OKP")
REFETCH_AFTER = 60.0
MAX_AGE = 3600.0
TIMEOUT_SECONDS = 5
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class KeysUnavailable(Exception):
    """The key set could not be fetched or read; says why."""


class UnknownKey(Exception):
    """The JWT names a key its signer does not publish (kid in the message)."""


def key_set(url: str, refresh: bool = False) -> KeySet:
    """The keys published at `url`: cached; fetched again after MAX_AGE, or when `refresh` asks, at most once per
    REFETCH_AFTER whether the last try worked or not (a failed fetch keeps the keys fetched before)."""
    cache: dict[str, tuple[float, KeySet | None]] = current_app.extensions.setdefault("jwks", {})
    with _lock_for(url):  # one fetch per URL at a time; other URLs are not held up by a slow one
        tried, keys = cache.get(url, (None, None))
        age = math.inf if tried is None else time.monotonic() - tried
        if age < (REFETCH_AFTER if refresh or keys is None else MAX_AGE):
            if keys is None:
                raise KeysUnavailable(f"its keys could not be fetched from {url} (tried {age:.0f} s ago)")
            return keys
        cache[url] = (time.monotonic(), keys)  # the attempt counts, even if it fails
        try:
            fetched = _fetch(url)
        except KeysUnavailable:
            if keys is None:
                raise
            return keys
        cache[url] = (time.monotonic(), fetched)
        return fetched


def decode(token: str, url: str) -> jwt.Token:
    """Verify `token`'s signature with the keys at `url`.

    Raises UnknownKey, KeysUnavailable, or joserfc's JoseError for a token that is not a
    well-formed JWT signed by one of those keys. The claims are the caller's to check.
    """
    return decode_with(token, keys_for(url, header(token).get("kid")))


def decode_with(token: str, keys: list[Key]) -> jwt.Token:
    """Verify `token` with the first of `keys` that its signature fits (ALGORITHMS only); JoseError if none does."""
    failure = JoseError("no key to check the signature with")
    for key in keys:
        try:
            return jwt.decode(token, key, algorithms=ALGORITHMS)
        except JoseError as error:
            failure = error
    raise failure


def keys_for(url: str, kid: object) -> list[Key]:
    """The keys at `url` that may have signed a JWT naming `kid` (all of them when it names none), fetched again
    once if the key is not among them yet."""
    found = matching(key_set(url), kid)
    if not found:
        found = matching(key_set(url, refresh=True), kid)
        if not found:
            raise UnknownKey(f"it is signed with a key its issuer does not publish (kid {str(kid)[:64]})")
    return found


def matching(keys: KeySet, kid: object) -> list[Key]:
    """The public keys of `keys` a JWT naming `kid` may have been signed with."""
    usable = [key for key in keys.keys if key.key_type in PUBLIC_KEY_TYPES]
    return usable if kid is None else [key for key in usable if key.kid == kid]


def _lock_for(url: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(url, threading.Lock())


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


def _fetch(url: str) -> KeySet:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        return KeySet.import_key_set(response.json())
    except (requests.RequestException, ValueError, KeyError, TypeError, JoseError) as error:
        current_app.logger.warning("keys at %s could not be used: %s", url, error)
        raise KeysUnavailable(f"its keys could not be fetched from {url}") from error
