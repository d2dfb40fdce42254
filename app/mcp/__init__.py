"""The MCP surface: what tool authors import, and the endpoint that serves them."""

from app.auth.principal import Principal
from app.auth.upstream import UpstreamTokenError, upstream_token
from app.mcp.content import audio, embedded_resource, image, resource_link, text
from app.mcp.context import Cancelled, Context
from app.mcp.decorators import completion, prompt, resource, tool
from app.mcp.errors import ToolError


def init_app(app) -> None:
    """Serve the tools of MCP_TOOL_PACKAGES at MCP_PATH (imported late: tool modules import this package)."""
    from app.mcp.routes import init_app as serve

    serve(app)


__all__ = [
    "Cancelled",
    "Context",
    "Principal",
    "ToolError",
    "UpstreamTokenError",
    "audio",
    "init_app",
    "completion",
    "embedded_resource",
    "image",
    "prompt",
    "resource",
    "resource_link",
    "text",
    "tool",
    "upstream_token",
]
