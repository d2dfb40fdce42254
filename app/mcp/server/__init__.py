"""The MCP engine: it serves what tool modules declare, at MCP_PATH, in every revision clients use.

Written for 2026-07-28; the `initialize`-based revisions plug in from app/mcp/legacy.
One request, in order:

- `endpoint`        the /mcp views: POST a message (GET opens no stream)
- `access`          the Host and Origin it answers, the credential it takes (-> Principal), scopes
- `throttle`        the /mcp rate limits, per credential and per address for invalid ones
- `jsonrpc`         parse one message; build replies
- `dispatch`        find the message's revision (what the engine asks of each), method and target;
                    check scopes; make the Call and answer it
- `modern`          2026-07-28: the envelope in `_meta` and headers, result framing, HTTP statuses
- `wire`            params and results checked against the version's schema (mcp-types)
- `call`            one request on its way: what it names, its Context, its result
- `methods`         tools/list, tools/call, resources, prompts, completion (shared by every revision)
- `listing`         how tools, resources and prompts are described, a page at a time
- `invoke`          call a decorated function with validated arguments; its return value as content
- `discovery`       server info, capabilities, `server/discover`
- `input_required`  a question ends a 2026-07-28 call; it runs again with the answers
- `channel`         how a running call reaches its client (its event stream, a cancel flag)
- `transport`       the reply: JSON, or an event stream once the call has something to send first
- `streams`         open event streams: the caps per process and per caller, keep-alive, the end on SIGTERM
- `listen`          `subscriptions/listen`: a stream of the changes a client asked for
- `changes`         list changes and resource updates, heard by every listener of every process

Beside the request: `registry` (the tools, resources and prompts of MCP_TOOL_PACKAGES) and
`cli` (`flask mcp tools` and `flask mcp call`).
"""

from __future__ import annotations

from flask import Flask

from app.mcp.server import changes, discovery, dispatch, endpoint, registry, streams
from app.mcp.server.cli import mcp_cli
from app.mcp.server.modern import Modern


def init_app(app: Flask) -> None:
    """Load the tools of MCP_TOOL_PACKAGES and serve them at MCP_PATH in 2026-07-28."""
    app.extensions["mcp"] = registry.load(app.config["MCP_TOOL_PACKAGES"])
    dispatch.init_app(app, Modern(discovery.server_info(app), app.extensions["mcp"]))
    endpoint.init_app(app)
    streams.init_app(app)
    changes.init_app(app)
    app.cli.add_command(mcp_cli)
