"""2026-07-28 input-required results: the answers a call has so far, sealed for the client.

A call that needs input returns `inputRequests` and an opaque `requestState`; the
client answers and repeats the call with both. The state is signed with the app's
secret and bound to the caller, the call (method, name, arguments) and a deadline,
so a client cannot forge answers, replay them elsewhere, or hand them to someone else.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.mcp.errors import INVALID_PARAMS, ProtocolError

#: Seconds a person has to answer before the state is refused.
STATE_MAX_AGE = 900


def call_digest(method: str, name: str, arguments: Any) -> str:
    """Return a digest naming one call: method, target and arguments."""
    canonical = json.dumps([method, name, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def seal(subject: str, call: str, answers: dict[str, Any]) -> str:
    """Return the `requestState` carrying `answers` for this caller and call."""
    return _serializer().dumps({"s": subject, "c": call, "a": answers})


def unseal(state: Any, subject: str, call: str) -> dict[str, Any]:
    """Return the answers sealed in `state`; -32602 if forged, stale, or for another call."""
    if not isinstance(state, str):
        raise _invalid()
    try:
        content = _serializer().loads(state, max_age=STATE_MAX_AGE)
    except BadSignature:
        raise _invalid() from None
    if content.get("s") != subject or content.get("c") != call or not isinstance(content.get("a"), dict):
        raise _invalid()
    return content["a"]


def answers_of(params: dict[str, Any], subject: str, call: str) -> dict[str, Any]:
    """Return the earlier answers (from `requestState`) merged with this round's responses."""
    state = params.get("requestState")
    answers = unseal(state, subject, call) if state is not None else {}
    responses = params.get("inputResponses") or {}
    if not isinstance(responses, dict):
        raise ProtocolError(INVALID_PARAMS, "inputResponses must be an object", status=400)
    return answers | responses


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.secret_key, salt="mcp-request-state", signer_kwargs={"digest_method": hashlib.sha256}
    )


def _invalid() -> ProtocolError:
    return ProtocolError(INVALID_PARAMS, "Invalid requestState: it was altered, has expired, or is for another call")
