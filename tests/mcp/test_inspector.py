"""Integration: MCP Inspector's CLI (the pinned npm package in tests/support/inspector/) against the server.

`mcp-inspector-cli --cli <url> --method ... --header "Authorization: Bearer <token>"` talks Streamable HTTP to
/mcp directly, with the token as a header; it uses the TypeScript SDK's client, so the legacy era (initialize,
then a session). It prints the JSON-RPC result as JSON on stdout. Needs Node.js and npm.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.mcp.conftest import McpServer
from tests.support import services
from tests.support.conformance_suite import INSPECTOR_CWD, INSPECTOR_DIR, node22, run_node_tool

# gunicorn's start and a first npm ci may take more than the 120 s default.
pytestmark = [pytest.mark.timeout(600), pytest.mark.node]
RUN_TIMEOUT = 120.0  # seconds, per CLI call


def inspect(server: McpServer, *args: str) -> Any:
    """Run the inspector CLI against the server's /mcp with the bearer token; return the JSON it prints."""
    services.require(services.have_node(), "Node.js and npm (for MCP Inspector's CLI)")
    cli_args = ["--cli", server.mcp_url, "--transport", "http", *args]
    cli_args += ["--header", f"Authorization: Bearer {server.token}"]
    # The pinned Node 22 (the suites' runtime): the package declares no engines, and older Node lacks import attributes.
    result = run_node_tool(INSPECTOR_DIR, "mcp-inspector-cli", cli_args, RUN_TIMEOUT, node=node22(), cwd=INSPECTOR_CWD)
    assert result.returncode == 0, f"inspector exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def test_inspector_lists_tools(mcp_server: McpServer) -> None:
    listed = inspect(mcp_server, "--method", "tools/list")

    names = {tool["name"] for tool in listed["tools"]}
    print(f"\ninspector tools/list: {len(names)} tools")
    assert {"whoami", "convert_temperature"} <= names


def test_inspector_calls_convert_temperature(mcp_server: McpServer) -> None:
    arguments = ["value=100", "from_unit=celsius", "to_unit=fahrenheit"]
    result = inspect(
        mcp_server, "--method", "tools/call", "--tool-name", "convert_temperature", "--tool-arg", *arguments
    )

    print(f"\ninspector tools/call convert_temperature: {json.dumps(result)}")
    assert result.get("isError") is not True, result
    assert result["structuredContent"] == {"value": 212, "unit": "fahrenheit"}
    assert any("212" in item.get("text", "") for item in result["content"]), result
