"""The initialize-based revisions: negotiation, shared sessions, and their small methods."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.support.mcp_client import McpActions, sse_messages


def result_of(response) -> dict:
    assert response.status_code == 200, response.text
    return response.get_json()["result"]


@pytest.mark.parametrize(
    ("requested", "agreed"),
    [
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("1999-01-01", "2025-11-25"),
        ("2026-07-28", "2025-11-25"),
    ],
)
def test_initialize_negotiates_a_version(mcp, requested, agreed):
    body = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {"protocolVersion": requested, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    response = mcp.post(body)
    result = result_of(response)
    assert result["protocolVersion"] == agreed
    assert result["serverInfo"]["name"] == "flask-mcp-server"
    assert result["capabilities"]["resources"] == {"listChanged": True, "subscribe": True}
    assert "resultType" not in result
    assert re.fullmatch(r"[\x21-\x7e]{32,}", response.headers["Mcp-Session-Id"])


def test_small_methods_answer_exactly_empty(mcp):
    session = mcp.initialize()
    assert result_of(mcp.legacy("ping", session=session)) == {}
    assert result_of(mcp.legacy("logging/setLevel", {"level": "debug"}, session=session)) == {}
    assert result_of(mcp.legacy("resources/subscribe", {"uri": "test://watched-resource"}, session=session)) == {}
    assert result_of(mcp.legacy("resources/unsubscribe", {"uri": "test://watched-resource"}, session=session)) == {}


def test_small_method_errors(mcp):
    session = mcp.initialize()
    assert mcp.legacy("logging/setLevel", {"level": "loud"}, session=session).get_json()["error"]["code"] == -32602
    missing = mcp.legacy("resources/subscribe", {"uri": "test://nope"}, session=session).get_json()["error"]
    assert missing["code"] == -32002
    unknown = mcp.legacy("unknown/method", session=session)
    assert unknown.status_code == 200 and unknown.get_json()["error"]["code"] == -32601


def test_resource_not_found_is_the_legacy_code(mcp):
    error = mcp.legacy("resources/read", {"uri": "test://missing"}).get_json()["error"]
    assert error == {"code": -32002, "message": "Resource not found", "data": {"uri": "test://missing"}}


def test_requests_without_a_session_or_version_header_work(mcp):
    response = mcp.post({"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
    assert "tools" in result_of(response) and "ttlMs" not in result_of(response)


def test_unsupported_version_header_is_400(mcp):
    response = mcp.legacy("tools/list", version="2024-01-01")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == -32022


def test_session_ids_are_bound_to_their_caller_and_end_with_delete(mcp_app, mcp):
    session = mcp.initialize()
    other = McpActions(mcp_app.test_client(), token="other-token")
    stolen = other.legacy("tools/list", session=session)
    assert stolen.status_code == 404
    assert (
        other.client.delete(
            "/mcp", headers={"Authorization": "Bearer other-token", "Mcp-Session-Id": session}
        ).status_code
        == 404
    )
    headers = {"Authorization": f"Bearer {mcp.token}", "Mcp-Session-Id": session}
    assert mcp.client.delete("/mcp", headers=headers).status_code == 204
    assert mcp.legacy("tools/list", session=session).status_code == 404
    assert mcp.legacy("tools/list", session="never-issued").status_code == 404
    assert mcp.client.delete("/mcp", headers={"Authorization": f"Bearer {mcp.token}"}).status_code == 400


def test_sessions_live_in_the_shared_store(make_app, shared_store):
    """Another app on the same store (another worker or instance) knows the session."""
    settings = shared_store
    first, second = McpActions(make_app(**settings).test_client()), McpActions(make_app(**settings).test_client())
    session = first.initialize(capabilities={"elicitation": {}})
    assert result_of(second.legacy("logging/setLevel", {"level": "error"}, session=session)) == {}
    quiet = first.legacy("tools/call", {"name": "test_tool_with_logging"}, session=session)
    assert quiet.mimetype == "application/json"  # the level set through the other app holds


def test_logging_and_progress_stream(mcp):
    session = mcp.initialize()
    mcp.legacy("logging/setLevel", {"level": "debug"}, session=session)
    messages = sse_messages(
        mcp.legacy("tools/call", {"name": "test_tool_with_logging", "arguments": {}}, session=session)
    )
    assert [m["method"] for m in messages[:3]] == ["notifications/message"] * 3
    progress = sse_messages(
        mcp.legacy("tools/call", {"name": "test_tool_with_progress", "_meta": {"progressToken": 1}}, session=session)
    )
    assert [m["params"]["progressToken"] for m in progress[:-1]] == [1, 1, 1]


def _stream_lines(response):
    for chunk in response.response:
        for line in chunk.decode().splitlines():
            if line.startswith("data:"):
                yield json.loads(line[5:])


def test_elicitation_answer_may_reach_another_app(make_app, shared_store):
    """The tool asks over its stream; the answer is POSTed to a different app."""
    settings = shared_store
    first, second = McpActions(make_app(**settings).test_client()), McpActions(make_app(**settings).test_client())
    session = first.initialize(capabilities={"elicitation": {}})
    response = first.legacy(
        "tools/call", {"name": "test_elicitation", "arguments": {"message": "Who are you?"}}, session=session
    )
    messages = _stream_lines(response)
    question = next(messages)
    assert question["method"] == "elicitation/create" and question["params"]["message"] == "Who are you?"
    answer = {
        "jsonrpc": "2.0",
        "id": question["id"],
        "result": {"action": "accept", "content": {"username": "ada", "email": "a@b.c"}},
    }
    assert second.post(answer, {"Mcp-Session-Id": session}).status_code == 202
    final = next(messages)
    assert "ada" in final["result"]["content"][0]["text"]
    response.close()


def test_answers_to_unknown_or_foreign_questions_are_refused(mcp_app, mcp):
    session = mcp.initialize()
    answer = {"jsonrpc": "2.0", "id": "q-never-asked", "result": {"action": "decline"}}
    assert mcp.post(answer, {"Mcp-Session-Id": session}).status_code == 400


def test_a_legacy_cancel_stops_the_tool(mcp):
    session = mcp.initialize()
    params = {"name": "count_slowly", "arguments": {"to": 50, "delay": 0.05}, "_meta": {"progressToken": "t"}}
    response = mcp.legacy("tools/call", params, session=session, id=41)
    messages = _stream_lines(response)
    assert next(messages)["method"] == "notifications/progress"
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 41}}
    assert mcp.post(cancel, {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}).status_code == 202
    started = time.monotonic()
    rest = list(messages)
    assert time.monotonic() - started < 2
    assert len(rest) < 45 and not any("result" in m for m in rest)
    response.close()


def test_without_a_stream_a_question_is_a_tool_error(mcp):
    session = mcp.initialize(capabilities={"elicitation": {}})
    params = {"name": "test_elicitation", "arguments": {"message": "hi"}}
    response = mcp.post(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params},
        {"Mcp-Session-Id": session, "Accept": "application/json"},
    )
    result = result_of(response)
    assert result["isError"] and "text/event-stream" in result["content"][0]["text"]


def test_undeclared_capability(mcp):
    session = mcp.initialize(capabilities={})
    response = mcp.legacy("tools/call", {"name": "test_sampling", "arguments": {"prompt": "x"}}, session=session)
    assert response.get_json()["error"]["code"] == -32021
