"""The shipped tools, served by a test app and called as a client calls them: the `mcp` fixture."""

from __future__ import annotations

import pytest

from tests.support.mcp_client import McpClient

TOKEN = "test-token-for-tools"


@pytest.fixture
def mcp(make_app) -> McpClient:
    """An MCP client of an app serving app/tools, holding a token with every scope."""
    app = make_app(MCP_TOOL_PACKAGES="app.tools", MCP_STATIC_TOKENS=TOKEN)
    return McpClient(app.test_client(), TOKEN)
