"""How a running call reaches its client: a queue its response streams from.

Notifications (progress, logs) go on the queue. A question for the client goes
there too in the legacy revisions, and its answer comes back as a separate POST,
possibly to another worker or instance, through the shared store. In 2026-07-28 a
question ends the call with an input-required result instead (see `call.Call`).
"""

from __future__ import annotations

import hashlib
import queue
import secrets
import threading
import time
from typing import Any

from flask import current_app
from mcp_types import CreateMessageResult, CreateMessageResultWithTools, ElicitResult, ListRootsResult
from pydantic import TypeAdapter, ValidationError

from app import kv
from app.mcp import jsonrpc
from app.mcp.errors import INVALID_PARAMS, InputRequired, ProtocolError, ToolError

#: What a valid answer to each kind of question looks like (any revision).
ANSWERS = {
    "elicitation/create": TypeAdapter(ElicitResult),
    "sampling/createMessage": TypeAdapter(CreateMessageResult | CreateMessageResultWithTools),
    "roots/list": TypeAdapter(ListRootsResult),
}
#: Seconds between looks at the shared store while waiting for an answer or a cancel.
POLL_INTERVAL = 0.05
CANCEL_CHECK_INTERVAL = 0.5
#: Guards the lazy creation of a channel's cancel event (a streamed call's threads share it).
_MAKING = threading.Lock()


class StreamChannel:
    """The channel of one request; `streaming` says whether the client reads a stream."""

    def __init__(self, version: str, modern: bool, streaming: bool, session_id: str | None) -> None:
        self.version, self.modern, self.streaming = version, modern, streaming
        self.session_key = session_key(session_id) if session_id else None
        self._outbox: queue.Queue[tuple[str, Any]] | None = None
        self._cancel_event: threading.Event | None = None
        self.request_id: Any = None
        self.subject = ""
        #: 2026-07-28: the client's answers so far, by key.
        self.answers: dict[str, Any] = {}
        self._next_cancel_check = 0.0

    @property
    def timeout(self) -> int:
        """Seconds to wait for the client's answer to a question (MCP_CLIENT_TIMEOUT)."""
        return current_app.config["MCP_CLIENT_TIMEOUT"]

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the client gives up (made on first use, as the outbox: most calls never ask)."""
        if self._cancel_event is None:
            with _MAKING:
                if self._cancel_event is None:
                    self._cancel_event = threading.Event()
        return self._cancel_event

    @property
    def outbox(self) -> queue.Queue[tuple[str, Any]]:
        """What the response streams from (made on first use: most calls never stream)."""
        if self._outbox is None:
            self._outbox = queue.Queue()
        return self._outbox

    def notify(self, method: str, params: dict[str, Any]) -> None:
        if self.streaming:
            self.outbox.put(("message", jsonrpc.notification(method, params)))

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if self.modern:
            missing = {key: request for key, request in requests.items() if key not in self.answers}
            if missing:
                raise InputRequired(missing)
            return {key: self._checked(key, request["method"], self.answers[key]) for key, request in requests.items()}
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

    def _checked(self, key: str, method: str, answer: Any) -> dict[str, Any]:
        try:
            ANSWERS[method].validate_python(answer)
        except ValidationError:
            raise ProtocolError(INVALID_PARAMS, f"inputResponses[{key!r}] is not a valid answer to {method}") from None
        return answer

    def _ask_over_stream(self, request: dict[str, Any]) -> dict[str, Any]:
        question_id = f"q-{secrets.token_urlsafe(16)}"
        store = kv.store()
        store.set(pending_key(question_id), {"session": self.session_key, "subject": self.subject}, self.timeout)
        self.outbox.put(("message", jsonrpc.request(question_id, request["method"], request["params"])))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and not self.is_cancelled():
            answer = store.pop(answer_key(question_id))
            if answer is not None:
                if "error" in answer:
                    raise ToolError(f"The client declined: {answer['error'].get('message', 'no reason given')}")
                return self._checked(question_id, request["method"], answer.get("result"))
            time.sleep(POLL_INTERVAL)
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
    """Mark a legacy request as cancelled, for whichever worker runs it."""
    kv.store().set(cancel_key(session_key(session_id), request_id), {}, 600)


def forget_cancel(session_id: str, request_id: Any) -> None:
    """Drop a cancellation left for an earlier request that had the same id."""
    kv.store().delete(cancel_key(session_key(session_id), request_id))


def session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def pending_key(question_id: str) -> str:
    return f"mcp-question:{question_id}"


def answer_key(question_id: str) -> str:
    return f"mcp-answer:{question_id}"


def cancel_key(session_key: str, request_id: Any) -> str:
    return f"mcp-cancel:{session_key}:{request_id!r}"
