"""Tasks (io.modelcontextprotocol/tasks): tools run in the background, followed with tasks/get, update, cancel.

The fixtures are tests/mcp_fixtures/task_tools.py. Waiting is bounded by deadlines (`until`), never by sleeps
sized for this machine.
"""

from __future__ import annotations

import time

import pytest

from app import kv
from app.extensions import db
from app.mcp import elicitation, tool
from app.mcp.signatures import SignatureError
from app.mcp.tasks import channel, runner, store
from tests.mcp.test_listen import Stream
from tests.support.mcp_client import ALL_CAPABILITIES, McpActions

TASKS = "io.modelcontextprotocol/tasks"
FOLLOWS = ALL_CAPABILITIES | {"extensions": {TASKS: {}}}
DEADLINE = 30.0


def call(mcp, name: str, arguments: dict | None = None, capabilities=FOLLOWS, **extra) -> dict:
    return mcp.modern("tools/call", {"name": name, "arguments": arguments or {}} | extra, capabilities=capabilities)


def tasks(mcp, method: str, task_id: str, capabilities=FOLLOWS, **params) -> dict:
    return mcp.modern(f"tasks/{method}", {"taskId": task_id} | params, capabilities=capabilities).get_json()


def started(mcp, name: str, arguments: dict | None = None) -> str:
    result = call(mcp, name, arguments).get_json()["result"]
    assert result["resultType"] == "task", result
    return result["taskId"]


def until(mcp, task_id: str, done, capabilities=FOLLOWS) -> dict:
    """Poll tasks/get until `done(task)` holds (or fail after DEADLINE seconds)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        task = tasks(mcp, "get", task_id, capabilities)["result"]
        if done(task):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} never got there: {task}")


def ended(task: dict) -> bool:
    return task["status"] in ("completed", "failed", "cancelled")


def test_a_task_supporting_tool_answers_with_a_task_then_its_result(mcp):
    response = call(mcp, "slow_compute", {"seconds": 0.2, "label": "sum"})
    created = response.get_json()["result"]
    assert response.status_code == 200 and created["resultType"] == "task" and created["status"] == "working"
    assert {"taskId", "createdAt", "lastUpdatedAt", "ttlMs", "pollIntervalMs"} <= created.keys()
    assert not {"result", "error", "inputRequests", "requestState", "task"} & created.keys()
    assert created["ttlMs"] == 3600 * 1000 and len(created["taskId"]) >= 32
    first = tasks(mcp, "get", created["taskId"])["result"]  # durable at once
    assert first["taskId"] == created["taskId"] and first["resultType"] == "complete"
    done = until(mcp, created["taskId"], ended)
    assert done["status"] == "completed" and done["result"]["content"][0]["text"] == "sum: done after 0.2 s"
    assert done["result"]["isError"] is False


def test_without_the_extension_an_optional_tool_runs_as_usual_and_a_required_one_is_refused(mcp):
    usual = call(mcp, "slow_compute", {"seconds": 0}, capabilities=ALL_CAPABILITIES).get_json()["result"]
    assert usual["resultType"] == "complete" and usual["content"][0]["text"] == "computation: done after 0 s"
    refused = call(mcp, "failing_job", capabilities={})
    error = refused.get_json()["error"]
    assert refused.status_code == 400 and error["code"] == -32021
    assert error["data"] == {"requiredCapabilities": {"extensions": {TASKS: {}}}}


def test_a_tool_that_is_no_task_runs_as_usual_for_a_client_that_follows_tasks(mcp):
    result = call(mcp, "greet", {"name": "Ada"}, task={"ttl": 60000}).get_json()["result"]
    assert result["resultType"] == "complete" and result["content"][0]["text"] == "Hello, Ada!"


def test_invalid_arguments_are_answered_at_once(mcp):
    result = call(mcp, "slow_compute", {"seconds": -1}).get_json()["result"]
    assert result["resultType"] == "complete" and result["isError"] is True


def test_tasks_methods_need_the_extension_and_the_revision(mcp):
    task_id = started(mcp, "slow_compute", {"seconds": 0})
    for method in ("get", "update", "cancel"):
        refused = tasks(mcp, method, task_id, capabilities={}, inputResponses={})
        assert refused["error"]["code"] == -32021, method
    for removed in ("tasks/result", "tasks/list"):
        assert mcp.modern(removed, {"taskId": task_id}, capabilities=FOLLOWS).get_json()["error"]["code"] == -32601
    session = mcp.initialize("2025-11-25", FOLLOWS)
    legacy = mcp.post(
        {"jsonrpc": "2.0", "id": 2, "method": "tasks/get", "params": {"taskId": task_id}},
        {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"},
    )
    assert legacy.get_json()["error"]["code"] == -32601
    until(mcp, task_id, ended)


def test_only_the_caller_that_started_a_task_reaches_it(mcp_app, mcp):
    task_id = started(mcp, "slow_compute", {"seconds": 30})
    other = McpActions(mcp_app.test_client(), token="other-token")
    for method in ("get", "cancel", "update"):
        assert tasks(other, method, task_id, inputResponses={})["error"]["code"] == -32602, method
    assert tasks(mcp, "get", "no-such-task")["error"]["code"] == -32602
    assert tasks(mcp, "get", "x" * 500)["error"]["code"] == -32602
    assert tasks(mcp, "get", task_id)["result"]["status"] == "working"  # the other's cancel changed nothing
    tasks(mcp, "cancel", task_id)
    assert until(mcp, task_id, ended)["status"] == "cancelled"


def test_the_task_id_header_must_match_the_body(mcp):
    task_id = started(mcp, "slow_compute", {"seconds": 0})
    wrong = mcp.modern("tasks/get", {"taskId": task_id}, capabilities=FOLLOWS, headers={"Mcp-Name": "another"})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["code"] == -32020
    until(mcp, task_id, ended)


def test_cancel_stops_a_running_task_and_is_idempotent(mcp):
    task_id = started(mcp, "slow_compute", {"seconds": 60})
    ack = tasks(mcp, "cancel", task_id)["result"]
    assert ack["resultType"] == "complete" and not {"taskId", "status"} & ack.keys()
    assert until(mcp, task_id, ended)["status"] == "cancelled"
    assert tasks(mcp, "cancel", task_id)["result"]["resultType"] == "complete"
    assert tasks(mcp, "get", task_id)["result"]["status"] == "cancelled"


def test_a_tool_error_completes_and_a_protocol_error_fails(mcp):
    tool_error = until(mcp, started(mcp, "failing_job"), ended)
    assert tool_error["status"] == "completed" and tool_error["result"]["isError"] is True
    protocol_error = until(mcp, started(mcp, "protocol_error_job"), ended)
    assert protocol_error["status"] == "failed" and "result" not in protocol_error
    assert protocol_error["error"] == {"code": -32603, "message": "The job's backend is unreachable."}


def test_questions_wait_for_answers_given_one_at_a_time(mcp):
    task_id = started(mcp, "multi_input")
    asking = until(mcp, task_id, lambda task: task["status"] == "input_required")
    assert set(asking["inputRequests"]) == {"name", "confirm"}
    assert asking["inputRequests"]["name"]["method"] == "elicitation/create"
    bad = tasks(mcp, "update", task_id, inputResponses={"name": {"action": "perhaps"}})
    assert bad["error"]["code"] == -32602
    ack = tasks(mcp, "update", task_id, inputResponses={"name": {"action": "accept", "content": {"name": "Ada"}}})
    assert ack["result"]["resultType"] == "complete"
    partly = tasks(mcp, "get", task_id)["result"]  # at once: the answered question is no longer outstanding
    assert partly["status"] == "input_required" and set(partly["inputRequests"]) == {"confirm"}
    ignored = {"unknown": {"anything": 1}, "name": {"action": "decline"}}
    assert tasks(mcp, "update", task_id, inputResponses=ignored)["result"]["resultType"] == "complete"
    tasks(mcp, "update", task_id, inputResponses={"confirm": {"action": "accept", "content": {"confirm": True}}})
    done = until(mcp, task_id, ended)
    assert done["status"] == "completed" and done["result"]["content"][0]["text"] == "Ada confirmed: accept"
    assert tasks(mcp, "update", task_id, inputResponses={})["result"]["resultType"] == "complete"


def test_a_question_asked_twice_in_one_task_gets_a_new_key(mcp):
    task_id = started(mcp, "ask_twice")
    first = until(mcp, task_id, lambda task: task["status"] == "input_required")
    assert list(first["inputRequests"]) == ["q"]
    tasks(mcp, "update", task_id, inputResponses={"q": {"action": "accept", "content": {}}})
    second = until(mcp, task_id, lambda task: "q-2" in task.get("inputRequests", {}))
    assert list(second["inputRequests"]) == ["q-2"]
    tasks(mcp, "update", task_id, inputResponses={"q-2": {"action": "decline"}})
    assert until(mcp, task_id, ended)["result"]["content"][0]["text"] == "accept decline"


def test_questions_asked_first_go_on_the_call_then_the_task_starts(mcp):
    first = call(mcp, "test_tool_with_task").get_json()["result"]
    assert first["resultType"] == "input_required" and list(first["inputRequests"]) == ["user_name"]
    answer = {"user_name": {"action": "accept", "content": {"name": "Alice"}}}
    second = call(mcp, "test_tool_with_task", requestState=first["requestState"], inputResponses=answer)
    created = second.get_json()["result"]
    assert created["resultType"] == "task" and "requestState" not in created and "inputRequests" not in created
    done = until(mcp, created["taskId"], ended)
    assert done["result"]["content"][0]["text"] == "Hello from a task, Alice!"


def test_a_task_whose_process_died_reads_as_failed_for_good(mcp_app, mcp, monkeypatch):
    monkeypatch.setattr(store, "keep", lambda record, principal: None)  # a dead process renews no alive mark
    task_id = started(mcp, "slow_compute", {"seconds": 60})
    with mcp_app.app_context():
        kv.store().delete(f"mcp-task:{task_id}:alive")  # as when the process holding it is killed
    lost = tasks(mcp, "get", task_id)["result"]
    assert lost["status"] == "failed" and lost["error"]["code"] == -32603
    assert tasks(mcp, "cancel", task_id)["result"]["resultType"] == "complete"
    # The runner was only cut off here: it sees the cancel the verdict left, stops, and writes nothing over it.
    deadline = time.monotonic() + DEADLINE
    while task_id in runner.runner(1).held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert task_id not in runner.runner(1).held
    assert tasks(mcp, "get", task_id)["result"] == lost


def test_an_unanswered_question_ends_with_the_task(make_app):
    app = make_app(
        MCP_STATIC_TOKENS="test-token-for-mcp", MCP_TOOL_PACKAGES="tests.mcp_fixtures", MCP_TASK_TTL_SECONDS="1"
    )
    mcp = McpActions(app.test_client())
    task_id = started(mcp, "confirm_delete", {"filename": "x"})
    deadline = time.monotonic() + DEADLINE
    while task_id in runner.runner(1).held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert task_id not in runner.runner(1).held  # its thread is free again
    assert tasks(mcp, "get", task_id)["error"]["code"] == -32602


def test_a_caller_holds_at_most_so_many_tasks(make_app):
    app = make_app(MCP_STATIC_TOKENS="test-token-for-mcp,other-token", MCP_TOOL_PACKAGES="tests.mcp_fixtures",
                   MCP_MAX_TASKS_PER_CALLER="2")  # fmt: skip
    mcp, other = McpActions(app.test_client()), McpActions(app.test_client(), token="other-token")
    first, second = started(mcp, "slow_compute", {"seconds": 60}), started(mcp, "slow_compute", {"seconds": 60})
    refused = call(mcp, "slow_compute", {"seconds": 60})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
    assert "2 tasks" in refused.get_json()["error"]["message"]
    theirs = started(other, "slow_compute", {"seconds": 60})  # a place per caller
    tasks(mcp, "cancel", first)
    until(mcp, first, ended)
    deadline = time.monotonic() + DEADLINE
    while (again := call(mcp, "slow_compute", {"seconds": 60})).status_code == 429 and time.monotonic() < deadline:
        time.sleep(0.05)  # the place is freed once the runner has recorded the end
    third = again.get_json()["result"]["taskId"]
    for task_id, caller in ((second, mcp), (third, mcp), (theirs, other)):
        tasks(caller, "cancel", task_id)
        until(caller, task_id, ended)


def test_a_store_failure_inside_a_task_fails_it(mcp, monkeypatch):
    def broken(task_id, key):
        raise ConnectionError("the store is away")

    monkeypatch.setattr(store, "take_answer", broken)
    task_id = started(mcp, "confirm_delete", {"filename": "x"})
    done = until(mcp, task_id, ended)
    assert done["status"] == "failed" and done["error"] == channel.STORE_FAILED.to_json()


def test_on_shutdown_tasks_end_failed_and_new_ones_are_refused(mcp):
    task_id = started(mcp, "slow_compute", {"seconds": 60})
    try:
        runner.drain()
        done = until(mcp, task_id, ended)
        assert done["status"] == "failed" and done["error"] == runner.RESTARTED.to_json()
        refused = call(mcp, "slow_compute", {"seconds": 1})
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    finally:
        runner._runner = None  # the next test's process is not shutting down


def test_what_names_no_task_is_invalid_params(mcp):
    task_id = started(mcp, "slow_compute", {"seconds": 0})
    for wrong in (f"{task_id}:alive", task_id[:-1], task_id + "x", ""):
        assert tasks(mcp, "get", wrong)["error"]["code"] == -32602, wrong
    too_many = {"taskIds": [task_id] * 101}
    refused = mcp.modern("subscriptions/listen", {"notifications": too_many}, capabilities=FOLLOWS)
    assert refused.get_json()["error"]["code"] == -32602
    until(mcp, task_id, ended)


def test_a_bad_answer_among_good_ones_keeps_none(mcp):
    task_id = started(mcp, "multi_input")
    until(mcp, task_id, lambda task: task["status"] == "input_required")
    answers = {"name": {"action": "accept", "content": {"name": "Ada"}}, "confirm": {"action": "perhaps"}}
    assert tasks(mcp, "update", task_id, inputResponses=answers)["error"]["code"] == -32602
    assert set(tasks(mcp, "get", task_id)["result"]["inputRequests"]) == {"name", "confirm"}
    tasks(mcp, "cancel", task_id)
    assert until(mcp, task_id, ended)["status"] == "cancelled"


def test_a_task_is_gone_after_its_ttl(make_app):
    app = make_app(
        MCP_STATIC_TOKENS="test-token-for-mcp", MCP_TOOL_PACKAGES="tests.mcp_fixtures", MCP_TASK_TTL_SECONDS="1"
    )
    mcp = McpActions(app.test_client())
    task_id = started(mcp, "slow_compute", {"seconds": 0})
    assert call(mcp, "slow_compute", {"seconds": 0}).get_json()["result"]["ttlMs"] == 1000
    deadline = time.monotonic() + DEADLINE
    while "result" in (answer := tasks(mcp, "get", task_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answer["error"] == {"code": -32602, "message": "Failed to retrieve task: Task not found"}


def test_server_discover_declares_the_extension_in_2026_07_28_only(mcp):
    discovered = mcp.modern("server/discover", {}).get_json()["result"]["capabilities"]
    assert discovered["extensions"][TASKS] == {} and "tasks" not in discovered
    legacy = mcp.post(
        {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
    ).get_json()["result"]["capabilities"]  # fmt: skip
    assert TASKS not in legacy.get("extensions", {})


@pytest.mark.parametrize("declared", [{"task": "sometimes"}, {"ask_first": {"q": elicitation("?", {})}}])
def test_a_bad_task_declaration_fails_at_import(declared):
    with pytest.raises(SignatureError):

        @tool(**declared)
        def broken() -> str:
            return ""


def test_a_listener_hears_each_status_of_its_own_tasks(mcp_app, mcp):
    mine = started(mcp, "confirm_delete", {"filename": "a.txt"})
    other = McpActions(mcp_app.test_client(), token="other-token")
    theirs = started(other, "slow_compute", {"seconds": 60})
    stream = Stream(mcp, {"taskIds": [mine, theirs, "unknown"]}, capabilities=FOLLOWS)
    try:
        ack = stream.next()
        assert ack["params"]["notifications"] == {"taskIds": [mine]}
        asking = until(mcp, mine, lambda task: task["status"] == "input_required")
        answer = {"confirm": {"action": "accept", "content": {"confirm": True}}}
        tasks(mcp, "update", mine, inputResponses=answer)
        heard = [stream.next()]
        while heard[-1]["params"]["status"] != "completed":
            heard.append(stream.next())
    finally:
        stream.close()
        tasks(other, "cancel", theirs)
    assert {message["method"] for message in heard} == {"notifications/tasks"}
    assert {message["params"]["taskId"] for message in heard} == {mine}
    assert heard[-1]["params"]["result"]["content"][0]["text"] == "Deleted a.txt."
    assert heard[-1]["params"]["_meta"] == {"io.modelcontextprotocol/subscriptionId": 7}
    assert asking["inputRequests"]["confirm"]["method"] == "elicitation/create"


def test_listening_to_tasks_needs_the_extension(mcp):
    refused = mcp.modern("subscriptions/listen", {"notifications": {"taskIds": ["x"]}}, capabilities={})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == -32021


@pytest.mark.services
def test_a_task_waiting_for_an_answer_holds_no_database_connection(make_app, postgres_url, redis_url):
    """With Redis as the store nothing else ends the tool's transaction: the wait (up to the task's TTL) would hold
    a pooled connection."""
    app = make_app(DATABASE_URL=postgres_url, REDIS_URL=redis_url, MCP_STATIC_TOKENS="test-token-for-mcp",
                   MCP_TOOL_PACKAGES="tests.mcp_fixtures")  # fmt: skip
    mcp = McpActions(app.test_client())
    task_id = started(mcp, "read_then_ask")
    until(mcp, task_id, lambda task: task["status"] == "input_required")
    with app.app_context():
        held = db.engine.pool.checkedout()
    tasks(mcp, "update", task_id, inputResponses={"go": {"action": "accept"}})
    assert until(mcp, task_id, ended)["status"] == "completed"
    assert held == 0, f"{held} database connection(s) held while the task waited"
