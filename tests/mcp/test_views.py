"""MCP Apps views (io.modelcontextprotocol/ui): a tool names its view, the view is a ui:// resource.

The shipped example is convert_temperature and its view ui://units/temperature (app/tools/units.py,
app/ui/temperature.html).
"""

from __future__ import annotations

import pytest

from app.mcp import apps, tool, view
from app.mcp.server.registry import RegistryError
from app.mcp.signatures import SignatureError
from tests.support.mcp_client import McpActions

VIEW = "ui://units/temperature"
MIME = "text/html;profile=mcp-app"


def result_of(response) -> dict:
    body = response.get_json()
    assert "result" in body, body
    return body["result"]


def legacy(mcp: McpActions, method: str, params: dict | None = None) -> dict:
    session = mcp.initialize("2025-11-25")
    body = {"jsonrpc": "2.0", "id": 2, "method": method, "params": params or {}}
    return result_of(mcp.post(body, {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}))


def test_a_tool_names_its_view_in_both_eras(mcp):
    for listed in (result_of(mcp.modern("tools/list")), legacy(mcp, "tools/list")):
        [converter] = [entry for entry in listed["tools"] if entry["name"] == "convert_temperature"]
        assert converter["_meta"] == {"ui": {"resourceUri": VIEW}, "ui/resourceUri": VIEW}
        assert all("_meta" not in entry for entry in listed["tools"] if entry["name"] == "whoami")


def test_the_view_is_listed_and_read_with_its_type_and_metadata(mcp):
    [listed] = [entry for entry in result_of(mcp.modern("resources/list"))["resources"] if entry["uri"] == VIEW]
    assert listed["mimeType"] == MIME and listed["_meta"] == {"ui": {"csp": {}, "prefersBorder": True}}
    [contents] = result_of(mcp.modern("resources/read", {"uri": VIEW}))["contents"]
    assert contents["mimeType"] == MIME and contents["_meta"] == listed["_meta"]
    html = contents["text"]
    assert html.startswith("<!doctype html>") and '"ui/initialize"' in html  # the bridge is inlined
    assert html.count('data-unit="') == 3 and "<script src" not in html  # nothing loaded from elsewhere


def test_clients_without_views_still_get_the_result(mcp):
    arguments = {"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}
    result = result_of(mcp.modern("tools/call", {"name": "convert_temperature", "arguments": arguments}))
    assert result["structuredContent"] == {"value": 212.0, "unit": "fahrenheit"}
    assert result["content"][0]["type"] == "text" and "212" in result["content"][0]["text"]


def test_the_extension_is_declared_when_there_are_views(mcp, make_app):
    assert result_of(mcp.modern("server/discover"))["capabilities"]["extensions"][apps.EXTENSION] == {}
    bare = McpActions(
        make_app(MCP_STATIC_TOKENS="test-token-for-mcp", MCP_TOOL_PACKAGES="tests.mcp_fixtures.prompts").test_client()
    )
    assert apps.EXTENSION not in result_of(bare.modern("server/discover"))["capabilities"].get("extensions", {})


def test_a_tool_naming_a_view_nobody_serves_stops_start_up(mcp_app):
    @tool(ui="ui://nowhere/view")
    def orphan() -> str:
        """Shows its result in a view that does not exist."""
        return ""

    mcp_app.extensions["mcp"].add(orphan.__mcp_spec__)
    with pytest.raises(RegistryError, match="ui://nowhere/view"):
        apps.init_app(mcp_app)


def test_a_view_declares_what_it_loads_and_asks_for():
    @view("ui://maps/map", "map.html", csp={"resourceDomains": ["https://tiles.example"]}, permissions=["geolocation"])
    def map_view() -> dict:
        """A map."""
        return {}

    assert map_view.__mcp_spec__.meta == {
        "ui": {"csp": {"resourceDomains": ["https://tiles.example"]}, "permissions": {"geolocation": {}}}
    }


@pytest.mark.parametrize(
    "declare",
    [
        lambda: view("https://not/a/view", "x.html"),
        lambda: view("ui://a/{id}", "x.html"),
        lambda: view("ui://a/b", "x.html", csp={"scriptDomains": ["https://x"]}),
        lambda: view("ui://a/b", "x.html", permissions=["bluetooth"]),
        lambda: view("ui://a/b", "x.html", csp={"connectDomains": "https://a.example"}),
        lambda: view("ui://a/b", "x.html", csp={"connectDomains": ["https://a.example; script-src *"]}),
        lambda: tool(ui="https://not/a/view"),
    ],
)
def test_a_bad_view_declaration_fails_at_import(declare):
    with pytest.raises(SignatureError):

        @declare()
        def broken() -> dict:
            return {}


def test_a_view_takes_no_arguments():
    with pytest.raises(SignatureError):

        @view("ui://a/b", "x.html")
        def with_argument(name: str) -> dict:
            return {}
