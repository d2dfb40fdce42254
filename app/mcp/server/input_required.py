"""2026-07-28 input-required results: a question ends the call, and it runs again with the answers.

A call that needs input returns `inputRequests` and an opaque `requestState`; the
client answers and repeats the call with both, and the call runs again from the
start, every answer so far available to `Context.ask`. The state is signed with the
app's secret and bound to the caller, the call (method, name, arguments) and a
deadline, so a client cannot forge answers, replay them elsewhere, or hand them to
someone else.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.auth.principal import Principal
from app.mcp.errors import INVALID_PARAMS, ProtocolError
from app.mcp.server.channel import Channel, checked_answer

if TYPE_CHECKING:
    from app.mcp.server.call import Call

#: Seconds a person has to answer before the state is refused.
STATE_MAX_AGE = 900


class InputRequired(Exception):
    """Raised inside a call that needs answers from the client first."""

    def __init__(self, requests: dict[str, dict[str, Any]]) -> None:
        super().__init__(", ".join(requests))
        self.requests = requests


class AnsweringChannel(Channel):
    """A call's channel: a question it has an answer to is answered; any other ends the call.

    `called` names the call the answers belong to: its method, what it names, and the arguments.
    """

    def __init__(self, streaming: bool, params: dict[str, Any], subject: str, called: tuple[str, Any, Any]) -> None:
        super().__init__(streaming)
        self.params, self.subject, self.called = params, subject, called
        self._answers: dict[str, Any] | None = None
        #: The URL-mode elicitations this call opened, by key: sealed in `requestState` with the answers.
        self._opened: dict[str, str] = {}

    @cached_property
    def digest(self) -> str:
        """A digest naming the call, which its `requestState` is bound to."""
        canonical = json.dumps(list(self.called), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def answers(self) -> dict[str, Any]:
        """The client's answers so far, by key: those sealed in `requestState` and this round's.

        -32602 if the state is forged, stale or another call's, or the answers are not an object.
        """
        if self._answers is None:
            self._answers = self._read_answers() if answering(self.params) else {}
        return self._answers

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        answers = self.answers()
        missing = {key: request for key, request in requests.items() if key not in answers}
        if missing:
            raise InputRequired(missing)
        return {key: checked_answer(key, request["method"], answers[key]) for key, request in requests.items()}

    def state(self) -> str:
        """The `requestState` carrying every answer so far, for the next round."""
        return seal(self.subject, self.digest, self.answers(), self._opened)

    def elicitation_for(self, key: str, principal: Principal, url: str) -> str:
        """The elicitation this call opened under `key` in an earlier round; else a new one, and an answer under
        `key` without one is no answer (nothing was asked)."""
        answers = self.answers()
        if key not in self._opened:
            answers.pop(key, None)
            self._opened[key] = super().elicitation_for(key, principal, url)
        return self._opened[key]

    def _read_answers(self) -> dict[str, Any]:
        state = self.params.get("requestState")
        sealed = unseal(state, self.subject, self.digest) if state is not None else {"a": {}}
        self._opened = dict(sealed.get("u", {}))
        responses = self.params.get("inputResponses")
        if responses is None:
            return dict(sealed["a"])
        if not isinstance(responses, dict):
            raise ProtocolError(INVALID_PARAMS, "inputResponses must be an object", status=400)
        return sealed["a"] | responses


def channel(call: Call) -> AnsweringChannel:
    """The channel of `call`, its answers bound to the caller and to what the call names."""
    params = call.params
    if call.message.method == "resources/read":
        called = ("resources/read", params.get("uri"), call.target[1] if call.target else {})
    else:
        called = (call.message.method, params.get("name"), params.get("arguments") or {})
    return AnsweringChannel(call.streaming, params, call.principal.subject, called)


def run(call: Call) -> dict[str, Any]:
    """Run the call; a question without its answer makes an input-required result."""
    if answering(call.message.params) and call.target is not None and call.runs_target:
        # A forged or stale requestState is refused before the call runs (most calls carry none: no channel is made).
        cast(AnsweringChannel, call.channel).answers()
    try:
        return call.handler(call)
    except InputRequired as needed:
        state = cast(AnsweringChannel, call.channel).state()
        return {"resultType": "input_required", "inputRequests": needed.requests, "requestState": state}


def answering(params: dict[str, Any]) -> bool:
    """Whether the request carries answers (most carry none)."""
    return "requestState" in params or "inputResponses" in params


def seal(subject: str, call: str, answers: dict[str, Any], opened: dict[str, str] | None = None) -> str:
    """Return the `requestState` carrying `answers` (and the elicitations `opened`) for this caller and call."""
    return _serializer().dumps({"s": subject, "c": call, "a": answers} | ({"u": opened} if opened else {}))


def unseal(state: Any, subject: str, call: str) -> dict[str, Any]:
    """Return what `state` seals (answers under "a", opened elicitations under "u"); -32602 if forged, stale, or
    for another call."""
    if not isinstance(state, str):
        raise _invalid()
    try:
        content = _serializer().loads(state, max_age=STATE_MAX_AGE)
    except BadSignature:
        raise _invalid() from None
    if content.get("s") != subject or content.get("c") != call or not isinstance(content.get("a"), dict):
        raise _invalid()
    if not isinstance(content.get("u", {}), dict):
        raise _invalid()
    return content


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.secret_key, salt="mcp-request-state", signer_kwargs={"digest_method": hashlib.sha256}
    )


def _invalid() -> ProtocolError:
    return ProtocolError(INVALID_PARAMS, "Invalid requestState: it was altered, has expired, or is for another call")
