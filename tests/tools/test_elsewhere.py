"""whoami_elsewhere: a tool that needs the person's account at a second service (the whole flow, against the real
test OpenID provider, is in tests/web/test_connections.py and tests/e2e/test_connected_accounts.py)."""

from __future__ import annotations


def test_a_service_that_is_not_configured_is_named_with_those_that_are(mcp):
    result = mcp.call_tool("whoami_elsewhere", {"service": "github"})
    assert result["isError"]
    assert result["content"][0]["text"] == "'github' is not a service to connect here (those are: none: set " \
        "CONNECTION_PROVIDERS)."  # fmt: skip
