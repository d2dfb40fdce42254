"""URL-mode elicitations: the person sent to a page, bound to them, finished on any worker, in both eras."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from app.auth.users import Profile, upsert_user
from app.mcp.server import elicitations
from app.oauth import personal
from tests.support.mcp_client import McpActions

TOOL = "test_url_elicitation"
#: The page the fixture tool sends the person to (its URL without the query).
PAGE = "http://localhost/finish"
URL_MODE = {"elicitation": {"form": {}, "url": {}}}


@pytest.fixture
def url_app(make_app):
    return make_app(MCP_TOOL_PACKAGES="tests.mcp_fixtures", MCP_CLIENT_TIMEOUT="20")


def person(app, email: str = "ada@example.test") -> tuple[int, str]:
    """A person of the server and a token of theirs: their user id and the token."""
    with app.app_context():
        user = upsert_user("dev", Profile(subject=email, email=email, name=email.split("@")[0]))
        _, token = personal.create(user.id, "tests", "mcp", 1, "http://localhost/mcp")
        return user.id, token


def elicitation_id(url: str) -> str:
    return parse_qs(urlsplit(url).query)["elicitation"][0]


def complete_soon(app, elicitation: str, user_id: int, after: float = 0.3) -> threading.Thread:
    """Finish the elicitation from another thread (as the page would, on another worker) after `after` seconds."""

    def finish() -> None:
        time.sleep(after)
        with app.app_context():
            elicitations.complete(elicitation, user_id, PAGE)

    thread = threading.Thread(target=finish)
    thread.start()
    return thread


def call(mcp: McpActions, capabilities=URL_MODE, **params) -> dict:
    return mcp.modern("tools/call", {"name": TOOL, "arguments": {}} | params, capabilities=capabilities).get_json()


def test_the_question_names_the_page_with_the_elicitation_bound_to_the_caller(url_app):
    user_id, token = person(url_app)
    first = call(McpActions(url_app.test_client(), token))["result"]
    assert first["resultType"] == "input_required"
    question = first["inputRequests"]["url"]
    assert question["method"] == "elicitation/create"
    params = question["params"]
    assert set(params) == {"mode", "message", "url"}, "2026-07-28 has no elicitationId"
    assert params["mode"] == "url" and params["url"].startswith("http://localhost/finish?step=1&elicitation=")
    with url_app.app_context():
        assert elicitations.pending(elicitation_id(params["url"]), user_id, PAGE)
        assert not elicitations.pending(elicitation_id(params["url"]), user_id + 1, PAGE)
        assert not elicitations.pending(elicitation_id(params["url"]), user_id, "http://localhost/other")


def test_an_accepted_call_goes_on_once_the_page_finished_it_on_another_app(make_app, shared_store):
    """The retried call waits; the page, served by another app on the same store, completes it."""
    settings = shared_store | {"MCP_CLIENT_TIMEOUT": "20"}
    caller_app, page_app = make_app(**settings), make_app(**settings)
    user_id, token = person(caller_app)
    mcp = McpActions(caller_app.test_client(), token)
    first = call(mcp)["result"]
    elicitation = elicitation_id(first["inputRequests"]["url"]["params"]["url"])
    finishing = complete_soon(page_app, elicitation, user_id)
    done = call(mcp, requestState=first["requestState"], inputResponses={"url": {"action": "accept"}})
    finishing.join()
    assert done["result"]["content"][0]["text"] == "action=accept"


def test_another_person_cannot_finish_it(url_app):
    user_id, token = person(url_app)
    other_id, _ = person(url_app, "eve@example.test")
    first = call(McpActions(url_app.test_client(), token))["result"]
    elicitation = elicitation_id(first["inputRequests"]["url"]["params"]["url"])
    with url_app.app_context():
        with pytest.raises(elicitations.ElicitationRefused, match="someone else"):
            elicitations.complete(elicitation, other_id, PAGE)
        with pytest.raises(elicitations.ElicitationRefused, match="another page"):
            elicitations.complete(elicitation, user_id, "http://localhost/other")
        with pytest.raises(elicitations.ElicitationRefused, match="expired"):
            elicitations.complete("never-made", user_id, PAGE)
        assert elicitations.pending(elicitation, user_id, PAGE)


def test_an_accept_without_the_state_that_asked_is_asked_again(url_app):
    _, token = person(url_app)
    forged = call(McpActions(url_app.test_client(), token), inputResponses={"url": {"action": "accept"}})["result"]
    assert forged["resultType"] == "input_required" and "url" in forged["inputRequests"]


def test_a_declined_page_answers_at_once(url_app):
    _, token = person(url_app)
    mcp = McpActions(url_app.test_client(), token)
    first = call(mcp)["result"]
    declined = call(mcp, requestState=first["requestState"], inputResponses={"url": {"action": "decline"}})
    assert declined["result"]["content"][0]["text"] == "action=decline"


def test_a_page_never_finished_ends_in_a_tool_error(make_app):
    app = make_app(MCP_TOOL_PACKAGES="tests.mcp_fixtures", MCP_CLIENT_TIMEOUT="1")
    _, token = person(app)
    mcp = McpActions(app.test_client(), token)
    first = call(mcp)["result"]
    late = call(mcp, requestState=first["requestState"], inputResponses={"url": {"action": "accept"}})["result"]
    assert late["isError"] and "did not finish at the link in time" in late["content"][0]["text"]


@pytest.mark.parametrize("capabilities", [{}, {"elicitation": {}}, {"elicitation": {"form": {}}}])
def test_a_client_that_cannot_open_urls_gets_the_link_in_the_result(url_app, capabilities):
    _, token = person(url_app)
    result = call(McpActions(url_app.test_client(), token), capabilities=capabilities)["result"]
    assert result["isError"] and "Open http://localhost/finish?step=1 to do so" in result["content"][0]["text"]


def test_a_caller_who_is_no_person_cannot_be_sent_to_a_page(make_app):
    app = make_app(MCP_TOOL_PACKAGES="tests.mcp_fixtures", MCP_STATIC_TOKENS="test-token-for-mcp")
    result = call(McpActions(app.test_client()))["result"]
    assert result["isError"] and "needs a person signed in" in result["content"][0]["text"]


def legacy_stream(response):
    for chunk in response.response:
        for line in chunk.decode().splitlines():
            if line.startswith("data:"):
                yield json.loads(line[5:])


def test_legacy_asks_on_the_stream_and_says_when_the_page_finished(url_app):
    user_id, token = person(url_app)
    mcp = McpActions(url_app.test_client(), token)
    session = mcp.initialize(capabilities=URL_MODE)
    messages = legacy_stream(mcp.legacy("tools/call", {"name": TOOL, "arguments": {}}, session=session))
    question = next(messages)
    params = question["params"]
    assert question["method"] == "elicitation/create" and params["mode"] == "url"
    assert params["url"] == f"http://localhost/finish?step=1&elicitation={params['elicitationId']}"
    answer = {"jsonrpc": "2.0", "id": question["id"], "result": {"action": "accept"}}
    assert mcp.post(answer, {"Mcp-Session-Id": session}).status_code == 202
    finishing = complete_soon(url_app, params["elicitationId"], user_id)
    completed = next(messages)
    assert completed == {
        "jsonrpc": "2.0",
        "method": "notifications/elicitation/complete",
        "params": {"elicitationId": params["elicitationId"]},
    }
    assert next(messages)["result"]["content"][0]["text"] == "action=accept"
    finishing.join()


def test_legacy_without_a_stream_ends_with_32042_and_tells_the_session_stream(url_app):
    user_id, token = person(url_app)
    mcp = McpActions(url_app.test_client(), token)
    session = mcp.initialize(capabilities=URL_MODE)
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": TOOL, "arguments": {}}}
    refused = mcp.post(body, {"Mcp-Session-Id": session, "Accept": "application/json"}).get_json()
    assert refused["error"]["code"] == -32042
    (wanted,) = refused["error"]["data"]["elicitations"]
    assert wanted["mode"] == "url" and wanted["url"].endswith(f"elicitation={wanted['elicitationId']}")
    listening = url_app.test_client().get(
        "/mcp",
        headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream", "Mcp-Session-Id": session},
        buffered=False,
    )
    finishing = complete_soon(url_app, wanted["elicitationId"], user_id, after=0.5)
    heard = next(legacy_stream(listening))
    finishing.join()
    listening.close()
    assert heard == {
        "jsonrpc": "2.0",
        "method": "notifications/elicitation/complete",
        "params": {"elicitationId": wanted["elicitationId"]},
    }


def test_only_a_page_of_this_server_may_be_named(url_app):
    _, token = person(url_app)
    refused = McpActions(url_app.test_client(), token).modern(
        "tools/call", {"name": "test_url_of_another_site", "arguments": {}}, capabilities=URL_MODE
    )
    result = refused.get_json()["result"]
    assert result["isError"] and "inputRequests" not in result
