"""2026-07-28 input-required results: rounds of one call, and a request state that cannot be forged."""

from __future__ import annotations

from tests.support.mcp_client import McpActions

NAME = "test_input_required_result_multi_round"


def call(mcp, name: str = NAME, arguments: dict | None = None, **extra) -> dict:
    return mcp.modern("tools/call", {"name": name, "arguments": arguments or {}} | extra).get_json()


def test_rounds_carry_answers_in_the_request_state(mcp):
    first = call(mcp)["result"]
    assert first["resultType"] == "input_required" and list(first["inputRequests"]) == ["step1"]
    second = call(
        mcp,
        requestState=first["requestState"],
        inputResponses={"step1": {"action": "accept", "content": {"name": "Ada"}}},
    )["result"]
    assert list(second["inputRequests"]) == ["step2"] and second["requestState"] != first["requestState"]
    third = call(
        mcp,
        requestState=second["requestState"],
        inputResponses={"step2": {"action": "accept", "content": {"color": "teal"}}},
    )["result"]
    assert third["resultType"] == "complete" and third["content"][0]["text"] == "Ada likes teal."


def test_forged_or_misplaced_state_is_refused(mcp_app, mcp):
    state = call(mcp)["result"]["requestState"]
    answer = {"step1": {"action": "accept", "content": {"name": "Ada"}}}
    tampered = call(mcp, requestState=state[:-2] + "xx", inputResponses=answer)
    assert tampered["error"]["code"] == -32602
    other_arguments = call(mcp, arguments={"unexpected": 1}, requestState=state, inputResponses=answer)
    assert other_arguments["error"]["code"] == -32602
    other_tool = call(mcp, name="test_input_required_result_request_state", requestState=state, inputResponses=answer)
    assert other_tool["error"]["code"] == -32602
    other_caller = call(
        McpActions(mcp_app.test_client(), token="other-token"), requestState=state, inputResponses=answer
    )
    assert other_caller["error"]["code"] == -32602


def test_invalid_answers_are_invalid_params(mcp):
    wrong_shape = call(
        mcp, name="test_input_required_result_elicitation", inputResponses={"user_name": {"action": "maybe"}}
    )
    assert wrong_shape["error"]["code"] == -32602
    not_object = call(mcp, name="test_input_required_result_elicitation", inputResponses={"user_name": 5})
    assert not_object["error"]["code"] == -32602


def test_input_responses_must_be_an_object(mcp):
    for falsy in ([], "", 0, False):
        refused = call(mcp, name="test_input_required_result_elicitation", inputResponses=falsy)
        assert refused["error"]["code"] == -32602, falsy
    absent = call(mcp, name="test_input_required_result_elicitation", inputResponses=None)["result"]
    assert absent["resultType"] == "input_required"


def test_missing_answers_are_asked_again_and_extra_ones_ignored(mcp):
    again = call(mcp, name="test_input_required_result_elicitation", inputResponses={"other": {"action": "decline"}})[
        "result"
    ]
    assert again["resultType"] == "input_required" and "user_name" in again["inputRequests"]
    answers = {"user_name": {"action": "accept", "content": {"name": "Bo"}}, "extra": {"action": "decline"}}
    done = call(mcp, name="test_input_required_result_elicitation", inputResponses=answers)["result"]
    assert done["content"][0]["text"] == "Hello, Bo!"


def test_only_questions_the_client_can_answer(mcp):
    result = mcp.modern(
        "tools/call",
        {"name": "test_input_required_result_capabilities", "arguments": {}},
        capabilities={"sampling": {}},
    ).get_json()["result"]
    assert [r["method"] for r in result["inputRequests"].values()] == ["sampling/createMessage"]


def test_prompts_can_ask_too(mcp):
    first = mcp.modern("prompts/get", {"name": "test_input_required_result_prompt"}).get_json()["result"]
    assert first["resultType"] == "input_required"
    answer = {"user_context": {"action": "accept", "content": {"context": "tests"}}}
    done = mcp.modern(
        "prompts/get",
        {"name": "test_input_required_result_prompt", "inputResponses": answer, "requestState": first["requestState"]},
    ).get_json()["result"]
    assert done["messages"][0]["content"]["text"] == "Use this context: tests"


def test_lists_never_ask(mcp):
    assert mcp.modern("tools/list").get_json()["result"]["resultType"] == "complete"


def test_rounds_may_hit_different_instances(make_app):
    """The state is all a later round needs: another app with the same secret serves it."""
    settings = {
        "MCP_STATIC_TOKENS": "test-token-for-mcp",
        "MCP_TOOL_PACKAGES": "tests.mcp_fixtures",
        "SECRET_KEY": "s" * 40,
    }
    first, second = McpActions(make_app(**settings).test_client()), McpActions(make_app(**settings).test_client())
    state = call(first)["result"]["requestState"]
    answer = {"step1": {"action": "accept", "content": {"name": "Ada"}}}
    assert list(call(second, requestState=state, inputResponses=answer)["result"]["inputRequests"]) == ["step2"]
