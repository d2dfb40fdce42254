"""`subscriptions/listen` (2026-07-28): a stream of the changes a client asked for, until it closes it.

The first message is `notifications/subscriptions/acknowledged` with the filter this server
honours (resource URIs it does not serve to this caller are left out); then each change
that passes the filter, every message tagged with the subscription's id (the request's).
An extension adds a filter field of its own with `add_source` (tasks: `taskIds`).
The stream is counted and capped like any other (app.mcp.server.streams); closing it ends
the subscription, and a server that shuts down ends it with a result, as the spec asks.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from app.mcp.errors import INVALID_REQUEST, Cancelled, ProtocolError
from app.mcp.server import changes, jsonrpc
from app.oauth import scopes

if TYPE_CHECKING:
    from app.mcp.server.call import Call

METHOD = "subscriptions/listen"
SUBSCRIPTION_KEY = "io.modelcontextprotocol/subscriptionId"
#: Filter field -> the list change it asks for.
LISTS = {"toolsListChanged": "tools", "promptsListChanged": "prompts", "resourcesListChanged": "resources"}
#: Seconds between looks at whether the stream was closed, while nothing changes. Each look writes a short
#: comment, so a client that hung up frees its place under the stream caps within seconds (as on GET streams).
WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Source:
    """What an extension's filter field brings a listener (tasks: `taskIds`): changes of one kind.

    `honour(call, asked)` returns the part of the field's value this server keeps for the caller (or raises
    the ProtocolError refusing it); `notification(change, honoured)` returns (method, params) for a change of
    `kind` that the honoured filter lets through, else None.
    """

    kind: str
    honour: Callable[[Call, Any], Any]
    notification: Callable[[changes.Change, Any], tuple[str, dict[str, Any]] | None]


def add_source(app: Flask, field: str, source: Source) -> None:
    """Let listeners ask for an extension's notifications with `field` in their filter."""
    app.extensions.setdefault("mcp_listen_sources", {})[field] = source
    changes.add_kind(app, source.kind)


def _sources() -> dict[str, Source]:
    return current_app.extensions.get("mcp_listen_sources", {})


def listen(call: Call) -> dict[str, Any]:
    if not call.streaming:
        raise ProtocolError(INVALID_REQUEST, f"{METHOD} needs Accept: text/event-stream", status=400)
    honoured = _honoured(call)
    tag = {"_meta": {SUBSCRIPTION_KEY: call.message.id}}
    inbox = changes.hub().join()
    try:
        call.channel.notify("notifications/subscriptions/acknowledged", tag | {"notifications": honoured})
        while not call.channel.is_cancelled():
            try:
                change = inbox.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                call.channel.outbox.put(None)  # a keep-alive comment each second: a client that hung up is noticed
                continue
            if call.channel.outbox.qsize() >= changes.BACKLOG:
                continue  # the client stopped reading: it loses changes, the server keeps its memory
            if notification := _notification(change, honoured):
                call.channel.notify(notification[0], tag | notification[1])
        raise Cancelled()
    finally:
        changes.hub().leave(inbox)


def closing(call: Call) -> dict[str, Any]:
    """The result that ends a subscription the server closes (on shutdown): a graceful end, not an error,
    framed as every result of the revision is (resultType, serverInfo)."""
    ended = call.revision.finish(call, {"_meta": {SUBSCRIPTION_KEY: call.message.id}})
    return jsonrpc.result(call.message.id, ended)


def _honoured(call: Call) -> dict[str, Any]:
    """The part of the filter this server keeps: every list flag asked for, and the URIs the caller may read."""
    asked = call.params.get("notifications") or {}
    honoured: dict[str, Any] = {field: True for field in LISTS if asked.get(field) is True}
    uris = asked.get("resourceSubscriptions")
    if isinstance(uris, list):
        registry = current_app.extensions["mcp"]
        readable = []
        for uri in uris:
            found = registry.find_resource(uri) if isinstance(uri, str) else None
            if found and not scopes.missing(call.principal.scopes, found[0].scopes):
                readable.append(uri)
        honoured["resourceSubscriptions"] = readable
    for field, source in _sources().items():
        if asked.get(field) is not None:
            honoured[field] = source.honour(call, asked[field])
    return honoured


def _notification(change: changes.Change, honoured: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for field, source in _sources().items():
        if change.kind == source.kind:
            return source.notification(change, honoured[field]) if field in honoured else None
    if change.kind == changes.UPDATED:
        wanted = change.uri in honoured.get("resourceSubscriptions", ())
        return (change.method, {"uri": change.uri}) if wanted else None
    wanted = any(honoured.get(field) for field, kind in LISTS.items() if kind == change.kind)
    return (change.method, {}) if wanted else None
