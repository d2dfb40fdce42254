"""How a running call reaches its client: a queue its response streams from, and a flag for giving up.

Notifications (progress, logs) go on the queue, which the transport streams as
server-sent events. How a question reaches the client is the revision's business:
`input_required.AnsweringChannel` (2026-07-28), app/mcp/legacy's streaming channel.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from flask import current_app
from mcp_types import CreateMessageResult, CreateMessageResultWithTools, ElicitResult, ListRootsResult
from pydantic import TypeAdapter, ValidationError

from app.auth.principal import Principal
from app.extensions import db
from app.mcp.errors import INVALID_PARAMS, ProtocolError
from app.mcp.server import changes, elicitations, jsonrpc

#: What a valid answer to each kind of question looks like (any revision).
ANSWERS = {
    "elicitation/create": TypeAdapter(ElicitResult),
    "sampling/createMessage": TypeAdapter(CreateMessageResult | CreateMessageResultWithTools),
    "roots/list": TypeAdapter(ListRootsResult),
}
#: Guards the lazy creation of a channel's cancel event (a streamed call's threads share it).
_MAKING = threading.Lock()


class Channel:
    """The channel of one call; `streaming` says whether the client reads an event stream."""

    def __init__(self, streaming: bool) -> None:
        self.streaming = streaming
        self._outbox: queue.Queue[tuple[str, Any]] | None = None
        self._cancel_event: threading.Event | None = None

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
        raise NotImplementedError  # each revision asks its own way

    def elicit_url(self, key: str, message: str, url: str, principal: Principal) -> dict[str, Any]:
        """Send the person to `url` (app.mcp.server.elicitations); once the client says they accepted, wait for the
        page to say they finished. Return the client's answer."""
        elicitation_id = self.elicitation_for(key, principal, url)
        named = elicitation_id if self.names_elicitations else None
        question = elicitations.request(message, elicitations.link(url, elicitation_id), named)
        answer = self.ask({key: question})[key]
        if answer["action"] == "accept":
            release_connection()
            elicitations.wait(elicitation_id, current_app.config["MCP_CLIENT_TIMEOUT"], self.is_cancelled)
            self.elicitation_completed(elicitation_id)
        return answer

    #: Whether a URL-mode question carries its `elicitationId` (the `initialize`-based revisions).
    names_elicitations = False

    def elicitation_for(self, key: str, principal: Principal, url: str) -> str:
        """The id of the URL-mode elicitation to ask under `key`: a new one, bound to `principal` and `url`."""
        return elicitations.open_for(principal, url)

    def elicitation_completed(self, elicitation_id: str) -> None:
        """The person finished at the URL (a revision that tells its client so does it here)."""

    def is_cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def announce(self, kind: str, uri: str | None = None) -> None:
        """A change every listener of every process hears (app.mcp.server.changes)."""
        changes.publish(changes.Change(kind, uri))

    def stream_closed(self) -> None:
        """The client closed the call's event stream: in 2026-07-28, that is how it cancels."""
        self.cancel_event.set()


def release_connection() -> None:
    """Before a wait of minutes (for the person, or the client's answer): commit what the call did in the database
    so far, which gives its connection back to the pool. Waiting calls would otherwise hold one each, and the pool
    is a few per process."""
    db.session.commit()


def checked_answer(key: str, method: str, answer: Any) -> dict[str, Any]:
    """Return the client's `answer` to a `method` question, if it is one; -32602 otherwise."""
    try:
        ANSWERS[method].validate_python(answer)
    except ValidationError:
        raise ProtocolError(INVALID_PARAMS, f"inputResponses[{key!r}] is not a valid answer to {method}") from None
    return answer
