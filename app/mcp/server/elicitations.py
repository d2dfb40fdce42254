"""URL-mode elicitations: a person sent to a page of this server, and the page saying they finished there.

A tool asks with `ctx.elicit_url(message, url)`. The call's channel `opens` an elicitation
bound to the caller, in the shared store, and sends the URL with its id added as the
`elicitation` query parameter. The page, once the person has done what it is for, calls
`complete(id, user_id, page)`: it refuses an id made for someone else (a link passed from
one person to another must not connect the second person's account to the first's calls)
or for another page. The URL must be a page of this server: only this server can check
who opened it.
The call, on whichever worker or instance, `waits` for that after the client said the
person accepted, and goes on. In the `initialize`-based revisions the client then hears
`notifications/elicitation/complete`; where a call ends with the -32042 error instead,
`complete` tells the session's listening stream through app.mcp.server.changes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app

from app import kv
from app.auth.principal import Principal
from app.mcp.errors import Cancelled, ToolError
from app.mcp.server import changes
from app.urls import public_origin

#: The change kind that tells a session's listening stream an elicitation completed ("<session key>/<id>" in `uri`).
COMPLETED = "elicitation"
#: Seconds an elicitation stays open: the person's time to finish at the URL.
TTL = 900
#: Seconds between looks at the store while a call waits: soon at first, then backing off.
POLL = (0.1, 1.0)


class ElicitationRefused(Exception):
    """The elicitation is unknown, expired, or another person's; `reason` says which, for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def open_for(principal: Principal, url: str, session: str | None = None) -> str:
    """Open an elicitation for `principal` at `url`, a page of this server; return its id. `session`: the legacy
    session to tell when it completes."""
    if principal.user_id is None:
        raise ToolError("This needs a person signed in to this server, who can open the link; this caller is not.")
    elicitation_id = secrets.token_urlsafe(24)
    record = {"user": principal.user_id, "page": page_of(url), "session": session, "done": False}
    kv.store().set(_key(elicitation_id), record, ttl())
    return elicitation_id


def page_of(url: str) -> str:
    """The page `url` names, without its query: it must be one of this server's (ValueError otherwise), which alone
    can check who opened it."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != public_origin():
        raise ValueError(f"a URL-mode elicitation sends the person to a page of this server ({public_origin()})")
    return urlunsplit(parts._replace(query="", fragment=""))


def link(url: str, elicitation_id: str) -> str:
    """`url` with the elicitation's id added as its `elicitation` query parameter."""
    parts = urlsplit(url)
    query = "&".join(filter(None, (parts.query, urlencode({"elicitation": elicitation_id}))))
    return urlunsplit(parts._replace(query=query))


def pending(elicitation_id: str, user_id: int, page: str) -> bool:
    """Whether `elicitation_id` is open, not yet complete, the person's with `user_id`, and made for `page`."""
    record = kv.store().get(_key(elicitation_id))
    return _problem(record, user_id, page) is None and not record["done"]


def complete(elicitation_id: str, user_id: int, page: str) -> None:
    """Mark the elicitation complete, for the call waiting on it; ElicitationRefused unless it is this person's
    and was made for `page` (a client could show one page's link with another's elicitation)."""
    record = kv.store().get(_key(elicitation_id))
    if (problem := _problem(record, user_id, page)) is not None:
        raise ElicitationRefused(problem)
    kv.store().set(_key(elicitation_id), record | {"done": True}, ttl())
    if record.get("session"):
        changes.publish(changes.Change(COMPLETED, f"{record['session']}/{elicitation_id}"))


def ttl() -> int:
    """Seconds an elicitation stays open: TTL, or longer if a call may wait longer (MCP_CLIENT_TIMEOUT)."""
    return max(TTL, current_app.config["MCP_CLIENT_TIMEOUT"] + 60)


def wait(elicitation_id: str, timeout: float, cancelled: Callable[[], bool]) -> None:
    """Return once the elicitation is complete; Cancelled if the client gives up, ToolError past `timeout`."""
    deadline, pause = time.monotonic() + timeout, POLL[0]
    while True:
        record = kv.store().get(_key(elicitation_id))
        if record is None:
            raise ToolError("The link expired before it was finished: call the tool again for a new one.")
        if record["done"]:
            return
        if cancelled():
            raise Cancelled()
        if time.monotonic() >= deadline:
            raise ToolError("The person did not finish at the link in time: call the tool again once they have.")
        time.sleep(pause)
        pause = min(pause * 1.5, POLL[1])


def request(message: str, url: str, elicitation_id: str | None = None) -> dict[str, Any]:
    """An `elicitation/create` request in URL mode (`elicitationId`: the `initialize`-based revisions only)."""
    params = {"mode": "url", "message": message, "url": url}
    params |= {"elicitationId": elicitation_id} if elicitation_id else {}
    return {"method": "elicitation/create", "params": params}


def _problem(record: dict[str, Any] | None, user_id: int, page: str) -> str | None:
    """Why `record` cannot be finished by the person with `user_id` at `page`, or None."""
    if record is None:
        return "This link has expired or was never made: call the tool again for a new one."
    if record["user"] != user_id:
        return "This link was made for someone else: it cannot finish anything for you."
    if record["page"] != page:
        return "This link was made for another page: it cannot finish anything here."
    return None


def _key(elicitation_id: str) -> str:
    return f"mcp-elicitation:{elicitation_id}"
