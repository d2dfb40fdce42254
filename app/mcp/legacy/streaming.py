"""Questions for the client on the call's event stream, answered by a POST to any worker.

In the `initialize`-based revisions a question goes out on the call's response
stream, and the client's answer comes back as a separate POST, possibly to another
worker or instance, through the shared store; so does a cancellation. The call waits
for the answer, up to MCP_CLIENT_TIMEOUT.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from flask import current_app

from app import kv
from app.auth.principal import Principal
from app.mcp.errors import ProtocolError, ToolError
from app.mcp.legacy.sessions import session_key
from app.mcp.server import elicitations, jsonrpc
from app.mcp.server.channel import Channel, checked_answer, release_connection

if TYPE_CHECKING:
    from app.mcp.server.call import Call

#: Seconds between looks at the shared store while waiting for an answer: the first look comes
#: soon (a person at the client answers in seconds), later ones back off to POLL_INTERVAL_MAX, so
#: hundreds of questions waiting at once cost the store a few hundred lookups a second, not thousands.
POLL_INTERVAL = 0.05
POLL_INTERVAL_MAX = 0.5
CANCEL_CHECK_INTERVAL = 0.5
#: The error of a call that cannot go on until the person finished at a URL (2025-11-25; retired since).
URL_ELICITATION_REQUIRED = -32042


class StreamingChannel(Channel):
    """A call's channel: questions go out on its event stream; a cancel comes as a notification."""

    def __init__(self, call: Call) -> None:
        super().__init__(call.streaming)
        session_id = call.envelope.session_id
        self.session_key = session_key(session_id) if session_id else None
        self.request_id, self.subject = call.message.id, call.principal.subject
        self._next_cancel_check = 0.0
        if call.may_talk and self.session_key:
            forget_cancel(self.session_key, self.request_id)  # ids are reused: an old cancel is not for this

    @property
    def timeout(self) -> int:
        """Seconds to wait for the client's answer to a question (MCP_CLIENT_TIMEOUT)."""
        return current_app.config["MCP_CLIENT_TIMEOUT"]

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if not (self.streaming and self.session_key):
            raise ToolError("This client cannot be asked: it needs a session and to accept text/event-stream.")
        return {key: self._ask_over_stream(request) for key, request in requests.items()}

    def is_cancelled(self) -> bool:
        if self.cancel_event.is_set():
            return True
        if self.session_key and self.request_id is not None and time.monotonic() >= self._next_cancel_check:
            self._next_cancel_check = time.monotonic() + CANCEL_CHECK_INTERVAL
            if kv.store().exists(cancel_key(self.session_key, self.request_id)):
                self.cancel_event.set()
        return self.cancel_event.is_set()

    def stream_closed(self) -> None:
        """These clients cancel with a notification; a call whose stream closed runs on."""

    names_elicitations = True

    def elicit_url(self, key: str, message: str, url: str, principal: Principal) -> dict[str, Any]:
        """On the call's stream as any question; a call that cannot ask ends with -32042, naming the elicitation
        (its completion then reaches the session's listening stream). Such a call never goes on: the client calls
        again once the person finished, and the tool must see for itself that they did (as `connected_token`
        does, finding the token), or it asks again."""
        if self.streaming and self.session_key:
            return super().elicit_url(key, message, url, principal)
        elicitation_id = elicitations.open_for(principal, url, self.session_key)
        question = elicitations.request(message, elicitations.link(url, elicitation_id), elicitation_id)
        data = {"elicitations": [question["params"]]}
        raise ProtocolError(URL_ELICITATION_REQUIRED, "This request needs the person at a URL first.", data)

    def elicitation_completed(self, elicitation_id: str) -> None:
        self.notify("notifications/elicitation/complete", {"elicitationId": elicitation_id})

    def _ask_over_stream(self, request: dict[str, Any]) -> dict[str, Any]:
        question_id = f"q-{secrets.token_urlsafe(16)}"
        store = kv.store()
        store.set(pending_key(question_id), {"session": self.session_key, "subject": self.subject}, self.timeout)
        self.outbox.put(("message", jsonrpc.request(question_id, request["method"], request["params"])))
        release_connection()
        deadline, interval = time.monotonic() + self.timeout, POLL_INTERVAL
        while time.monotonic() < deadline and not self.is_cancelled():
            answer = store.pop(answer_key(question_id))
            if answer is not None:
                if "error" in answer:
                    raise ToolError(f"The client declined: {answer['error'].get('message', 'no reason given')}")
                return checked_answer(question_id, request["method"], answer.get("result"))
            time.sleep(interval)
            interval = min(interval * 1.5, POLL_INTERVAL_MAX)
        store.delete(pending_key(question_id))
        raise ToolError("The client did not answer in time.")


def deliver(body: dict[str, Any], session_id: str | None, subject: str) -> bool:
    """Store a client's answer for the call waiting on it; False if nothing waits for it."""
    question_id = body.get("id")
    session = session_key(session_id) if session_id else None
    pending = kv.store().get(pending_key(str(question_id)))
    if pending is None or pending["session"] != session or pending["subject"] != subject:
        return False
    kv.store().delete(pending_key(str(question_id)))
    kv.store().set(answer_key(str(question_id)), body, 300)
    return True


def cancel(session_id: str, request_id: Any) -> None:
    """Mark a request as cancelled, for whichever worker runs it."""
    kv.store().set(cancel_key(session_key(session_id), request_id), {}, 600)


def forget_cancel(key: str, request_id: Any) -> None:
    """Drop a cancellation left for an earlier request of the session (filed under `key`) with the same id."""
    kv.store().delete(cancel_key(key, request_id))


def pending_key(question_id: str) -> str:
    return f"mcp-question:{question_id}"


def answer_key(question_id: str) -> str:
    return f"mcp-answer:{question_id}"


def cancel_key(session_key: str, request_id: Any) -> str:
    return f"mcp-cancel:{session_key}:{request_id!r}"
