"""greet_someone asks the person a question; check_items reports its steps in the log."""

from __future__ import annotations

from tests.support.mcp_client import McpActions
from tests.tools.conftest import TOKEN

LOG_LEVEL = "io.modelcontextprotocol/logLevel"


def test_greets_whom_the_person_names(make_app):
    actions = McpActions(make_app(MCP_TOOL_PACKAGES="app.tools", MCP_STATIC_TOKENS=TOKEN).test_client(), TOKEN)
    asked = actions.modern("tools/call", {"name": "greet_someone"}, capabilities={"elicitation": {}}).get_json()
    result = asked["result"]
    assert result["resultType"] == "input_required"
    [(key, question)] = result["inputRequests"].items()
    assert question["method"] == "elicitation/create" and question["params"]["message"] == "Whom should I greet?"
    answer = {key: {"action": "accept", "content": {"name": "Grace"}}}
    params = {"name": "greet_someone", "inputResponses": answer, "requestState": result["requestState"]}
    done = actions.modern("tools/call", params, capabilities={"elicitation": {}}).get_json()["result"]
    assert done["content"][0]["text"] == "Hello, Grace!"


def test_a_client_that_cannot_be_asked_gets_a_clear_error(mcp):
    response = mcp.actions.modern("tools/call", {"name": "greet_someone"}, capabilities={})
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == -32021 and "elicitation" in str(error["data"])


def test_reports_each_step_in_the_log(mcp):
    result = mcp.call_tool("check_items", {"items": ["milk", " ", "eggs"]}, **{LOG_LEVEL: "info"})
    assert result["content"][0]["text"] == "Checked 2 of 3 items."
    logged = [(note["params"]["level"], note["params"]["data"]) for note in mcp.notifications]
    assert logged == [
        ("info", "item 1: 'milk' checked"),
        ("warning", "item 2 is empty: skipped"),
        ("info", "item 3: 'eggs' checked"),
    ]


def test_logs_only_what_the_client_asked_for(mcp):
    mcp.call_tool("check_items", {"items": ["milk", ""]}, **{LOG_LEVEL: "warning"})
    assert [note["params"]["level"] for note in mcp.notifications] == ["warning"]
