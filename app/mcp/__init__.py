"""What a tool module imports: everything a tool, resource or prompt needs, and nothing else.

    from app.mcp import Context, tool

- decorators: `tool`, `resource`, `prompt`, `completion`, and `view` for an MCP Apps view a tool
  shows its result in (app/mcp/decorators.py, app/mcp/views.py), and `header("Name")` to mirror a
  tool parameter in an `Mcp-Param-Name` header (app/mcp/headers.py)
- `Context`, handed to a function that declares it: the caller, progress, logs, questions
  for the client built with `elicitation`, `sampling` and `roots` (app/mcp/context.py)
- content to return: `text`, `image`, `audio`, `embedded_resource`, `resource_link`
- errors: `ToolError` (fail the call with a message), `ProtocolError`, `Cancelled`, `MissingCapability`
- the caller's provider token: `upstream_token`, `UpstreamTokenError`; their token at a service they
  connect to their account on request: `connected_token` (app/mcp/accounts.py)

This package never imports the engine that serves them (app/mcp/server, whose docstring
maps it); the factory (app/__init__.py) starts the engine and plugs in the extensions of
the protocol, such as the `initialize`-based revisions of app/mcp/legacy.
"""

from app.auth.principal import Principal
from app.auth.upstream import UpstreamTokenError, upstream_token
from app.mcp.accounts import connected_token
from app.mcp.content import audio, embedded_resource, image, resource_link, text
from app.mcp.context import Context, elicitation, roots, sampling
from app.mcp.decorators import completion, prompt, resource, tool, view
from app.mcp.errors import Cancelled, MissingCapability, ProtocolError, ToolError
from app.mcp.headers import header

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
    "connected_token",
    "elicitation",
    "embedded_resource",
    "header",
    "image",
    "prompt",
    "resource",
    "resource_link",
    "roots",
    "sampling",
    "text",
    "tool",
    "upstream_token",
    "view",
]
