"""2026-07-28: self-contained requests, their checks, and every error path."""

from __future__ import annotations

import base64

import pytest

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.support.mcp_client import MODERN, sse_messages


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_discover(mcp):
    response = mcp.modern("server/discover", capabilities={})
    result = response.get_json()["result"]
    assert response.status_code == 200
    assert result["resultType"] == "complete"
    assert MODERN in result["supportedVersions"] and "2025-11-25" in result["supportedVersions"]
    assert set(result["capabilities"]) == {"tools", "prompts", "resources", "completions", "logging", "extensions"}
    assert result["capabilities"]["tools"] == {"listChanged": True}  # subscriptions/listen delivers list changes
    assert result["capabilities"]["resources"] == {"listChanged": True, "subscribe": True}
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"] == {"name": "flask-mcp-server", "version": "0.1.0"}
    assert isinstance(result["ttlMs"], int) and result["cacheScope"] in ("public", "private")


@pytest.mark.parametrize("missing", [VERSION_KEY, CAPABILITIES_KEY, "_meta"])
def test_missing_meta_is_400_invalid_params(mcp, missing):
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/list",
        "params": {"_meta": {VERSION_KEY: MODERN, CAPABILITIES_KEY: {}}},
    }
    if missing == "_meta":
        del body["params"]["_meta"]
    else:
        del body["params"]["_meta"][missing]
    response = mcp.post(body, {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"})
    assert response.status_code == 400
    assert response.get_json()["id"] == 7 and error_of(response)["code"] == -32602


@pytest.mark.parametrize(
    "headers",
    [
        {"MCP-Protocol-Version": "2025-11-25"},
        {"Mcp-Method": "prompts/list"},
        {"Mcp-Method": "TOOLS/LIST"},
        {"Mcp-Name": "wrong_tool"},
    ],
)
def test_header_body_mismatch_is_400_header_mismatch(mcp, headers):
    method, params = ("tools/call", {"name": "test_simple_text"}) if "Mcp-Name" in headers else ("tools/list", {})
    response = mcp.modern(method, params, headers=headers)
    assert response.status_code == 400 and error_of(response)["code"] == -32020


def test_missing_method_and_name_headers_are_mismatches(mcp):
    for method, params, header in (("tools/list", {}, "Mcp-Method"), ("tools/call", {"name": "whoami"}, "Mcp-Name")):
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": method,
            "params": params | {"_meta": {VERSION_KEY: MODERN, CAPABILITIES_KEY: {}}},
        }
        sent = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method, "Mcp-Name": params.get("name", "")}
        del sent[header]
        response = mcp.post(body, sent)
        assert response.status_code == 400 and error_of(response)["code"] == -32020, header
        assert f"the {header} header is missing" in error_of(response)["message"]  # not "does not match"


def test_name_header_may_be_base64_or_padded(mcp):
    encoded = "=?base64?" + base64.b64encode(b"whoami").decode() + "?="
    assert mcp.modern("tools/call", {"name": "whoami"}, headers={"Mcp-Name": encoded}).status_code == 200
    assert mcp.modern("tools/call", {"name": "whoami"}, headers={"Mcp-Name": "  whoami  "}).status_code == 200
    broken = mcp.modern("tools/call", {"name": "whoami"}, headers={"Mcp-Name": "=?base64?d2hvYW1p!?="})
    assert error_of(broken)["code"] == -32020


def test_unsupported_version_names_the_supported_ones(mcp):
    response = mcp.modern("tools/list", meta={VERSION_KEY: "v999"}, headers={"MCP-Protocol-Version": "v999"}, id=301)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == -32022 and error["data"] == {"supported": [MODERN], "requested": "v999"}
    assert response.get_json()["id"] == 301


@pytest.mark.parametrize("method", ["initialize", "ping", "logging/setLevel", "resources/subscribe", "unknown/method"])
def test_unknown_and_legacy_only_methods_are_404(mcp, method):
    response = mcp.modern(method)
    assert response.status_code == 404 and error_of(response)["code"] == -32601


def test_unknown_tool_prompt_and_resource(mcp):
    assert error_of(mcp.modern("tools/call", {"name": "nope"}))["code"] == -32602
    assert error_of(mcp.modern("prompts/get", {"name": "nope"}))["code"] == -32602
    missing = mcp.modern("resources/read", {"uri": "test://missing"})
    assert error_of(missing) == {"code": -32602, "message": "Resource not found", "data": {"uri": "test://missing"}}


def test_prompt_argument_errors_are_invalid_params(mcp):
    response = mcp.modern("prompts/get", {"name": "test_prompt_with_arguments", "arguments": {"arg1": "x"}})
    assert error_of(response)["code"] == -32602 and "arg2" in error_of(response)["message"]


def test_tool_failures_are_results_not_protocol_errors(mcp, caplog):
    invalid = mcp.modern("tools/call", {"name": "convert_temperature", "arguments": {"value": "hot", "from_unit": "x"}})
    result = invalid.get_json()["result"]
    assert invalid.status_code == 200 and result["isError"] is True
    assert "value" in result["content"][0]["text"] and "from_unit" in result["content"][0]["text"]
    raised = mcp.modern("tools/call", {"name": "break_unexpectedly", "arguments": {}})
    text = raised.get_json()["result"]["content"][0]["text"]
    assert raised.get_json()["result"]["isError"] is True
    assert "internal detail" not in text and "Traceback" not in raised.text
    assert "an internal detail that stays in the log" in caplog.text
    refused = mcp.modern("tools/call", {"name": "test_error_handling"}).get_json()["result"]
    assert refused == refused | {
        "isError": True,
        "content": [{"type": "text", "text": "This tool intentionally returns an error for testing"}],
    }


def test_a_protocol_error_from_a_tool_keeps_its_status_and_headers(mcp):
    for response in (
        mcp.modern("tools/call", {"name": "refuse_with_a_challenge", "arguments": {}}),
        mcp.legacy("tools/call", {"name": "refuse_with_a_challenge", "arguments": {}}),
    ):
        assert response.status_code == 403 and response.get_json()["error"]["code"] == -32600
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_structured_output(mcp):
    result = mcp.modern(
        "tools/call",
        {"name": "convert_temperature", "arguments": {"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}},
    ).get_json()["result"]
    assert result["structuredContent"] == {"value": 212.0, "unit": "fahrenheit"}
    assert result["resultType"] == "complete" and result["isError"] is False


def test_missing_client_capability_is_400(mcp):
    response = mcp.modern("tools/call", {"name": "test_missing_capability"}, capabilities={})
    assert response.status_code == 400
    assert error_of(response) == error_of(response) | {
        "code": -32021,
        "data": {"requiredCapabilities": {"sampling": {}}},
    }


def test_logs_only_when_the_request_asks(mcp):
    quiet = mcp.modern("tools/call", {"name": "test_tool_with_logging"})
    assert quiet.mimetype == "application/json"
    loud = mcp.modern(
        "tools/call", {"name": "test_tool_with_logging"}, meta={"io.modelcontextprotocol/logLevel": "info"}
    )
    messages = sse_messages(loud)
    assert [m["params"]["data"] for m in messages[:3]] == [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ]
    assert messages[-1]["result"]["content"][0]["text"] == "Logging test completed."
    filtered = mcp.modern(
        "tools/call", {"name": "test_tool_with_logging"}, meta={"io.modelcontextprotocol/logLevel": "error"}
    )
    assert filtered.mimetype == "application/json"
    bad = mcp.modern("tools/list", meta={"io.modelcontextprotocol/logLevel": "loud"})
    assert bad.status_code == 400 and error_of(bad)["code"] == -32602


def test_progress_streams_before_the_result(mcp):
    response = mcp.modern("tools/call", {"name": "test_tool_with_progress"}, meta={"progressToken": "p-1"})
    messages = sse_messages(response)
    assert [m["params"]["progress"] for m in messages[:-1]] == [0, 50, 100]
    assert all(m["params"]["progressToken"] == "p-1" for m in messages[:-1])
    assert messages[-1]["id"] == 1 and "result" in messages[-1]
    assert response.headers["X-Accel-Buffering"] == "no"


def test_without_stream_acceptance_progress_is_dropped(mcp):
    response = mcp.modern(
        "tools/call",
        {"name": "test_tool_with_progress"},
        meta={"progressToken": 5},
        headers={"Accept": "application/json"},
    )
    assert response.mimetype == "application/json" and response.get_json()["result"]["isError"] is False


def test_pagination_is_deterministic_with_opaque_cursors(make_app):
    from tests.support.mcp_client import McpActions

    mcp = McpActions(
        make_app(
            MCP_STATIC_TOKENS="test-token-for-mcp", MCP_TOOL_PACKAGES="tests.mcp_fixtures", MCP_PAGE_SIZE="5"
        ).test_client()
    )
    names, cursor = [], None
    while True:
        result = mcp.modern("tools/list", {"cursor": cursor} if cursor else {}).get_json()["result"]
        names += [tool["name"] for tool in result["tools"]]
        assert len(result["tools"]) <= 5
        cursor = result.get("nextCursor")
        if cursor is None:
            break
    assert names == sorted(names) and len(names) == len(set(names)) > 5
    bad = mcp.modern("tools/list", {"cursor": "not-a-cursor"})
    assert error_of(bad)["code"] == -32602


def test_ids_zero_and_strings_are_echoed(mcp):
    assert mcp.modern("tools/list", id=0).get_json()["id"] == 0
    assert mcp.modern("tools/list", id="abc").get_json()["id"] == "abc"


def test_notifications_are_accepted_without_body(mcp):
    body = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
    response = mcp.post(body, {"MCP-Protocol-Version": MODERN, "Mcp-Method": "notifications/cancelled"})
    assert response.status_code == 202 and response.data == b""


def test_template_completion_and_prompt(mcp):
    read = mcp.modern("resources/read", {"uri": "test://template/42/data"}).get_json()["result"]
    assert '"id": "42"' in read["contents"][0]["text"] and read["cacheScope"] == "private"
    completion = mcp.modern(
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "summarize"}, "argument": {"name": "style", "value": "one"}},
    )
    assert completion.get_json()["result"]["completion"]["values"] == ["one paragraph", "one sentence"]
    unknown = mcp.modern(
        "completion/complete", {"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "x", "value": ""}}
    )
    assert error_of(unknown)["code"] == -32602
