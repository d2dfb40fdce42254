"""What a tool module imports: everything a tool, resource or prompt needs, and nothing else.

    from app.mcp import Context, tool

- decorators: `tool`, `resource`, `prompt`, `completion` (app/mcp/decorators.py)
- `Context`, handed to a function that declares it: the caller, progress, logs, questions
  for the client built with `elicitation`, `sampling` and `roots` (app/mcp/context.py)
- content to return: `text`, `image`, `audio`, `embedded_resource`, `resource_link`
- errors: `ToolError` (fail the call with a message), `ProtocolError`, `Cancelled`, `MissingCapability`
- the caller's provider token: `upstream_token`, `UpstreamTokenError`

The engine that serves them is app/mcp/server (its docstring maps it); the
`initialize`-based revisions plug into it from app/mcp/legacy (see `EXTENSIONS`).
"""

import importlib

from flask import Flask

from app.auth.principal import Principal
from app.auth.upstream import UpstreamTokenError, upstream_token
from app.mcp import server
from app.mcp.content import audio, embedded_resource, image, resource_link, text
from app.mcp.context import Context, elicitation, roots, sampling
from app.mcp.decorators import completion, prompt, resource, tool
from app.mcp.errors import Cancelled, MissingCapability, ProtocolError, ToolError

#: Extensions of the protocol, each a package whose `init_app(app)` plugs it into the engine.
#: To drop one, delete its line and its folder.
EXTENSIONS = (
    "app.mcp.legacy",  # the initialize-based revisions (2025-03-26, 2025-06-18, 2025-11-25)
)


def init_app(app: Flask) -> None:
    """Serve the tools of MCP_TOOL_PACKAGES at MCP_PATH, with every extension of the protocol."""
    server.init_app(app)
    for extension in EXTENSIONS:
        importlib.import_module(extension).init_app(app)


__all__ = [
    "Cancelled",
    "Context",
    "MissingCapability",
    "Principal",
    "ProtocolError",
    "ToolError",
    "UpstreamTokenError",
    "audio",
    "completion",
    "elicitation",
    "embedded_resource",
    "image",
    "init_app",
    "prompt",
    "resource",
    "resource_link",
    "roots",
    "sampling",
    "text",
    "tool",
    "upstream_token",
]
