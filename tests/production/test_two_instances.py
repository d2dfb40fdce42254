"""Two instances behind one public URL: any request may land on either, as behind a load balancer.

Two gunicorn instances (2 workers each) run on different loopback ports and share one PostgreSQL
schema, one Redis database and one SECRET_KEY. A load balancer in front of them would present one
public URL, so both are told the same PUBLIC_URL (A's base URL): both issue and accept tokens for
that one MCP endpoint, and MCP_ALLOWED_HOSTS=127.0.0.1 lets each answer on its own port.

The browser and the clients are `requests` sessions that count what they send; every test prints
its traffic (requests per instance and status) and, where a revocation is involved, the measured
delay before the other instance refused the token. TOKEN_CACHE_SECONDS is 300 here, far past the
documented bound with Redis (a second): only the revocation message can make a worker that cached a
token refuse it within that bound.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.conftest import csrf_token
from tests.support import stores
from tests.support.accounts import create_personal_token, dev_sign_in
from tests.support.mcp_http import LEGACY, MODERN, STREAM_ACCEPT, messages, whoami, whoami_result
from tests.support.oauth_client import Pkce, PublicClient
from tests.support.servers import HTTP_TIMEOUT, LiveApp, app_settings, live_app
from tests.support.services import free_port

pytestmark = [pytest.mark.services, pytest.mark.live, pytest.mark.timeout(300)]

TOKEN_CACHE_SECONDS = 300
REVOCATION_BOUND = 1.0  # with Redis, every worker of every instance hears of a revocation within a second
CHANGE_BOUND = 1.0  # and every listener of every instance hears of a change within a second
POLL_INTERVAL = 0.1
#: Refusals in a row, each on a fresh connection (so on either worker), that count as "refused for good".
SETTLED_STREAK = 6
REDIRECT = "http://127.0.0.1:9999/callback"
MULTI_ROUND = "test_input_required_result_multi_round"
TASKS = {"elicitation": {}, "extensions": {"io.modelcontextprotocol/tasks": {}}}
TASK_BOUND = 10.0  # seconds for a task to show an answer or a cancel given on the other instance


@dataclass(frozen=True)
class Cluster:
    """Two running instances, A and B, of one deployment whose public URL is A's."""

    instances: tuple[LiveApp, LiveApp]  # A and B, each with its own log

    @property
    def a(self) -> str:
        return self.instances[0].base_url

    @property
    def b(self) -> str:
        return self.instances[1].base_url

    @property
    def public_url(self) -> str:
        return self.a

    @property
    def resource(self) -> str:
        """The canonical MCP endpoint: the audience of every token either instance issues."""
        return f"{self.public_url}/mcp"

    def name_of(self, url: str) -> str:
        """Return "A", "B" or "elsewhere" for a request URL."""
        netloc = urlsplit(url).netloc
        return {urlsplit(self.a).netloc: "A", urlsplit(self.b).netloc: "B"}.get(netloc, "elsewhere")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Start A and B (gunicorn, 2 workers each) on one PostgreSQL schema and one Redis database."""
    tmp = tmp_path_factory.mktemp("two-instances")
    port_a, port_b = free_port(), free_port()
    while port_b == port_a:
        port_b = free_port()
    public_url = f"http://127.0.0.1:{port_a}"
    with ExitStack() as stack:
        settings = app_settings(
            tmp,
            DATABASE_URL=stack.enter_context(stores.postgres_schema()),
            REDIS_URL=stack.enter_context(stores.redis_database()),
            PUBLIC_URL=public_url,
            MCP_ALLOWED_HOSTS="127.0.0.1",
            TOKEN_CACHE_SECONDS=str(TOKEN_CACHE_SECONDS),
            # A rotated refresh token reused at once must revoke its family (no grace for concurrent refreshes).
            REFRESH_GRACE_SECONDS="0",
            MCP_TOOL_PACKAGES="app.tools,tests.mcp_fixtures",
        )
        a = stack.enter_context(live_app(settings, tmp / "a.log", port=port_a, workers=2))
        b = stack.enter_context(live_app(settings, tmp / "b.log", port=port_b, workers=2))
        yield Cluster((a, b))


class CountingSession(requests.Session):
    """A `requests` session that records every request it sends, and never waits more than HTTP_TIMEOUT."""

    def __init__(self, traffic: Traffic) -> None:
        super().__init__()
        self.traffic = traffic

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = HTTP_TIMEOUT
        response = super().send(request, **kwargs)
        self.traffic.record(request.url or "", response.status_code)
        return response


@dataclass
class Traffic:
    """What one test sent: requests per instance and status."""

    cluster: Cluster
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)
    sessions: list[CountingSession] = field(default_factory=list)

    def session(self) -> CountingSession:
        """Return a new browser or client: its own cookie jar and connection pool."""
        made = CountingSession(self)
        self.sessions.append(made)
        return made

    def record(self, url: str, status: int) -> None:
        self.counts[(self.cluster.name_of(url), status)] += 1

    @property
    def server_errors(self) -> int:
        return sum(count for (_, status), count in self.counts.items() if status >= 500)

    def summary(self) -> str:
        total = sum(self.counts.values())
        per_instance = Counter[str]()
        for (name, _), count in self.counts.items():
            per_instance[name] += count
        statuses = Counter[int]()
        for (_, status), count in self.counts.items():
            statuses[status] += count
        instances = ", ".join(f"{name} {count}" for name, count in sorted(per_instance.items()))
        codes = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
        return f"{total} requests ({instances}); statuses {{{codes}}}; server errors {self.server_errors}"

    def close(self) -> None:
        for made in self.sessions:
            made.close()


@pytest.fixture
def traffic(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[Traffic]:
    """Count this test's requests; print them when it ends, passed or not."""
    counted = Traffic(cluster)
    yield counted
    counted.close()
    print(f"\n[{request.node.name}] traffic: {counted.summary()}")


# The browser: the development sign-in.


def signed_in_browser(traffic: Traffic, base: str, name: str, email: str) -> CountingSession:
    """Return a browser signed in through the dev sign-in form of `base`."""
    browser = traffic.session()
    answer = dev_sign_in(browser, base, name, email)
    assert answer.status_code == 302, answer.text
    return browser


# An MCP client of the authorization server.


def register(http: requests.Session, cluster: Cluster) -> PublicClient:
    """A public client (PKCE S256, no secret) registered on A, that may send each step to either instance."""
    pkce = Pkce(state="two-instances")
    return PublicClient.register(cluster.a, REDIRECT, "Two instances", resource=cluster.resource, http=http, pkce=pkce)


def authorize(client: PublicClient, browser: requests.Session, base: str, cluster: Cluster) -> str:
    """Open the consent page on `base` in the browser and allow; return the code (the one issuer checked)."""
    answer = client.authorize(browser, base)
    assert answer["iss"] == cluster.public_url, answer
    return answer["code"]


# Speaking MCP.


def mcp_post(
    http: requests.Session,
    base: str,
    token: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    stream: bool = False,
) -> requests.Response:
    sent = {"Authorization": f"Bearer {token}", "Accept": STREAM_ACCEPT, "Content-Type": "application/json"}
    return http.post(f"{base}/mcp", data=json.dumps(body), headers=sent | (headers or {}), stream=stream)


def legacy(
    http: requests.Session,
    base: str,
    token: str,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    session: str | None = None,
    request_id: int = 1,
    stream: bool = False,
) -> requests.Response:
    """Send a 2025-11-25 request, in `session` if given."""
    headers = {"MCP-Protocol-Version": LEGACY} | ({"Mcp-Session-Id": session} if session else {})
    body = {"jsonrpc": "2.0", "id": request_id, "method": method} | ({"params": params} if params is not None else {})
    return mcp_post(http, base, token, body, headers, stream)


def modern_call(
    http: requests.Session, base: str, token: str, name: str, extra: dict[str, Any], capabilities: Any = None
) -> dict[str, Any]:
    """Send a 2026-07-28 tools/call (no session, everything in the request); return its result."""
    params = {"name": name, "arguments": {}} | extra
    return modern_request(http, base, token, "tools/call", params, name, capabilities)


def modern_request(
    http: requests.Session,
    base: str,
    token: str,
    method: str,
    params: dict[str, Any],
    name: str | None = None,
    capabilities: Any = None,
) -> dict[str, Any]:
    """Send a 2026-07-28 request, `name` in its Mcp-Name header; return its result."""
    meta = {VERSION_KEY: MODERN, CAPABILITIES_KEY: capabilities or {"elicitation": {}}}
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method} | ({"Mcp-Name": name} if name else {})
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params | {"_meta": meta}}
    response = mcp_post(http, base, token, body, headers)
    assert response.status_code == 200, response.text
    [message] = messages(response)
    assert "result" in message, message
    return message["result"]


def stream_messages(response: requests.Response) -> Iterator[dict[str, Any]]:
    """The JSON-RPC messages of an event stream, each as soon as it arrives."""
    response.encoding = "utf-8"
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("data:"):
            yield json.loads(line[5:])


def whoami_email(http: requests.Session, base: str, token: str) -> str:
    return whoami_result(whoami(f"{base}/mcp", token, http=http, version=LEGACY))["email"]


@dataclass
class Refusal:
    """How long after a revocation an instance kept accepting a token, as measured by polling it."""

    where: str
    settled_after: float | None = None  # seconds to the first of the current run of refusals
    last_accepted_after: float | None = None  # seconds to the last 200 seen after the revocation
    polls: int = 0
    accepted: int = 0
    streak: int = 0

    @property
    def settled(self) -> bool:
        return self.streak >= SETTLED_STREAK

    def observe(self, status: int, elapsed: float) -> None:
        assert status in (200, 401), f"{self.where}: expected 200 or 401, got {status}"
        self.polls += 1
        if status == 401:
            self.settled_after = elapsed if self.streak == 0 else self.settled_after
            self.streak += 1
        else:
            self.accepted, self.last_accepted_after, self.streak = self.accepted + 1, elapsed, 0


def wait_for_refusal(http: requests.Session, bases: dict[str, str], token: str, since: float) -> list[Refusal]:
    """Poll whoami on each of `bases` in turn over fresh connections, past the bound and until refusals settle."""
    refusals = {name: Refusal(name) for name in bases}
    give_up = since + REVOCATION_BOUND + 3.0
    while time.monotonic() < give_up:
        if time.monotonic() >= since + REVOCATION_BOUND and all(r.settled for r in refusals.values()):
            break
        for name, base in bases.items():
            status = whoami(f"{base}/mcp", token, http=http, version=LEGACY, fresh=True).status_code
            refusals[name].observe(status, time.monotonic() - since)
        time.sleep(POLL_INTERVAL)
    return list(refusals.values())


def assert_refused_within_bound(refusals: list[Refusal]) -> None:
    for refusal in refusals:
        last = "never" if refusal.last_accepted_after is None else f"{refusal.last_accepted_after:.3f} s"
        settled = "never" if refusal.settled_after is None else f"{refusal.settled_after:.3f} s"
        print(
            f"\n{refusal.where}: refused for good {settled} after the revocation, last accepted {last};"
            f" {refusal.polls} polls, {refusal.accepted} accepted (bound {REVOCATION_BOUND} s)"
        )
    for refusal in refusals:
        assert refusal.settled, f"{refusal.where} still accepted the token {REVOCATION_BOUND + 3} s after: {refusal}"
        assert refusal.settled_after is not None and refusal.settled_after <= REVOCATION_BOUND, refusal
        assert refusal.last_accepted_after is None or refusal.last_accepted_after <= REVOCATION_BOUND, refusal


# 1. The browser session.


def test_a_sign_in_started_on_a_finishes_on_b(cluster: Cluster, traffic: Traffic) -> None:
    """The form comes from A, the post goes to B: the session and its CSRF token live in the shared store."""
    browser = traffic.session()
    page = browser.get(f"{cluster.a}/auth/dev")
    assert page.status_code == 200 and "session" in page.cookies, "A set no session cookie with its form"
    form = {"name": "Ada Lovelace", "email": "ada@example.test", "csrf_token": csrf_token(page.text)}
    answer = browser.post(f"{cluster.b}/auth/dev", data=form, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].endswith("/auth/success")
    assert "session" in answer.cookies  # B signed the person in on a fresh session id

    for base in (cluster.a, cluster.b):
        home = browser.get(f"{base}/", allow_redirects=False)
        assert home.status_code == 200, (base, home.status_code, home.headers.get("Location"))
        assert "Welcome, Ada Lovelace" in home.text and "ada@example.test" in home.text

    stranger = traffic.session()  # no cookie: both instances send it to sign in
    for base in (cluster.a, cluster.b):
        assert "/auth/login" in stranger.get(f"{base}/", allow_redirects=False).headers["Location"]
    assert traffic.server_errors == 0


# 2. The authorization code flow, refresh rotation and reuse detection across instances.


def test_oauth_flow_and_refresh_rotation_across_instances(cluster: Cluster, traffic: Traffic) -> None:
    """Register on A, consent on B, exchange on A, call B; refresh on B, call A; a reused refresh token kills all."""
    browser = signed_in_browser(traffic, cluster.a, "Grace Hopper", "grace@example.test")
    http = traffic.session()
    client = register(http, cluster)
    code = authorize(client, browser, cluster.b, cluster)
    first = client.exchange(cluster.a, code)
    assert whoami_email(http, cluster.b, first["access_token"]) == "grace@example.test"

    refreshed = client.refresh(cluster.b, first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert whoami_email(http, cluster.a, second["access_token"]) == "grace@example.test"

    reused = client.refresh(cluster.a, first["refresh_token"])
    revoked_at = time.monotonic()
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant", reused.text

    # The whole family is revoked: the new access token (cached by A, never seen by B) and its refresh token.
    bases = {"B": cluster.b, "A (had it cached)": cluster.a}
    assert_refused_within_bound(wait_for_refusal(http, bases, second["access_token"], revoked_at))
    assert client.refresh(cluster.b, second["refresh_token"]).status_code == 400
    assert traffic.server_errors == 0


# 3. Revocation on one instance, honoured by the other within TOKEN_CACHE_SECONDS.


def test_revocation_on_a_is_honoured_by_b_within_the_bound(cluster: Cluster, traffic: Traffic) -> None:
    """B trusts a token it verified for TOKEN_CACHE_SECONDS at most: then A's revocation reaches it."""
    browser = signed_in_browser(traffic, cluster.a, "Alan Turing", "alan@example.test")
    http = traffic.session()
    client = register(http, cluster)
    tokens = client.exchange(cluster.a, authorize(client, browser, cluster.a, cluster))
    access = tokens["access_token"]
    # Just before: B accepts it, over several fresh connections (so that both of B's workers likely cache it).
    b_mcp = f"{cluster.b}/mcp"
    warm = [whoami(b_mcp, access, http=http, version=LEGACY, fresh=True).status_code for _ in range(SETTLED_STREAK)]
    assert warm == [200] * SETTLED_STREAK

    revoked = client.revoke(cluster.a, access)
    revoked_at = time.monotonic()
    assert revoked.status_code == 200, revoked.text
    refusals = wait_for_refusal(http, {"B after A's revocation": cluster.b}, access, revoked_at)
    assert_refused_within_bound(refusals)
    assert traffic.server_errors == 0


# 4. MCP across processes, with a personal access token made on A.


@pytest.fixture
def personal_token(cluster: Cluster, traffic: Traffic) -> str:
    """A personal access token made on A's /account/tokens page by a person signed in there."""
    browser = signed_in_browser(traffic, cluster.a, "Katherine Johnson", "katherine@example.test")
    return create_personal_token(browser, cluster.a, "two instances")


def test_a_legacy_session_opened_on_a_serves_on_b(cluster: Cluster, traffic: Traffic, personal_token: str) -> None:
    """initialize on A; tools/list and a streamed call with progress on B; the session ended on B is gone on A."""
    http = traffic.session()
    initialized = legacy(http, cluster.a, personal_token, "initialize", _initialize_params(), request_id=0)
    assert initialized.status_code == 200, initialized.text
    session = initialized.headers["Mcp-Session-Id"]

    listed = legacy(http, cluster.b, personal_token, "tools/list", session=session)
    assert listed.status_code == 200, listed.text
    names = {tool["name"] for tool in listed.json()["result"]["tools"]}
    assert {"whoami", "test_elicitation", "test_tool_with_progress", MULTI_ROUND} <= names

    params = {"name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "p-1"}}
    progress = legacy(http, cluster.b, personal_token, "tools/call", params, session=session, request_id=2)
    assert progress.status_code == 200 and progress.headers["Content-Type"].startswith("text/event-stream")
    *notes, final = messages(progress)
    assert [note["method"] for note in notes] == ["notifications/progress"] * 3
    assert [(note["params"]["progressToken"], note["params"]["progress"]) for note in notes] == [
        ("p-1", 0),
        ("p-1", 50),
        ("p-1", 100),
    ]
    assert final["id"] == 2 and final["result"]["content"][0]["text"] == "Progress test completed."
    print(f"\nprogress on B: {len(notes)} notifications, then the result")

    ended = http.delete(
        f"{cluster.b}/mcp", headers={"Authorization": f"Bearer {personal_token}", "Mcp-Session-Id": session}
    )
    assert ended.status_code == 204
    assert legacy(http, cluster.a, personal_token, "tools/list", session=session).status_code == 404
    assert traffic.server_errors == 0


def test_a_legacy_question_asked_on_a_is_answered_through_b(
    cluster: Cluster, traffic: Traffic, personal_token: str
) -> None:
    """The tool runs on A and asks over A's stream; the client POSTs the answer to B; the result arrives on A."""
    caller, answerer = traffic.session(), traffic.session()
    initialized = legacy(caller, cluster.a, personal_token, "initialize", _initialize_params(), request_id=0)
    session = initialized.headers["Mcp-Session-Id"]

    params = {"name": "test_elicitation", "arguments": {"message": "Who are you?"}}
    call = legacy(caller, cluster.a, personal_token, "tools/call", params, session=session, request_id=7, stream=True)
    with call:
        assert call.status_code == 200 and call.headers["Content-Type"].startswith("text/event-stream")
        events = stream_messages(call)
        question = next(events)
        assert question["method"] == "elicitation/create" and question["params"]["message"] == "Who are you?"

        content = {"username": "katherine", "email": "katherine@example.test"}
        reply = {"jsonrpc": "2.0", "id": question["id"], "result": {"action": "accept", "content": content}}
        headers = {"Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY}
        delivered = mcp_post(answerer, cluster.b, personal_token, reply, headers)
        assert delivered.status_code == 202, delivered.text

        rest = list(events)
    assert [message.get("id") for message in rest] == [7], rest
    text = rest[0]["result"]["content"][0]["text"]
    assert text.startswith("User response: action=accept") and "katherine@example.test" in text
    print(f"\nelicitation: asked on A, answered through B, result on A: {text!r}")
    assert traffic.server_errors == 0


def test_input_required_rounds_alternate_instances(cluster: Cluster, traffic: Traffic, personal_token: str) -> None:
    """2026-07-28: round 1 on A, round 2 on B, round 3 on A; the signed requestState is all a round needs."""
    http = traffic.session()
    first = modern_call(http, cluster.a, personal_token, MULTI_ROUND, {})
    assert first["resultType"] == "input_required" and list(first["inputRequests"]) == ["step1"]

    step1 = {"step1": {"action": "accept", "content": {"name": "Katherine"}}}
    second = modern_call(
        http, cluster.b, personal_token, MULTI_ROUND, {"requestState": first["requestState"], "inputResponses": step1}
    )
    assert second["resultType"] == "input_required" and list(second["inputRequests"]) == ["step2"]

    step2 = {"step2": {"action": "accept", "content": {"color": "teal"}}}
    third = modern_call(
        http, cluster.a, personal_token, MULTI_ROUND, {"requestState": second["requestState"], "inputResponses": step2}
    )
    assert third["resultType"] == "complete" and third["content"][0]["text"] == "Katherine likes teal."
    assert traffic.server_errors == 0


def test_a_resource_change_made_on_b_reaches_a_listener_on_a_within_a_second(
    cluster: Cluster, traffic: Traffic, personal_token: str
) -> None:
    """2026-07-28 subscriptions/listen on A; a tool on B announces an update of the resource: Redis carries it."""
    http = traffic.session()
    meta = {VERSION_KEY: MODERN, CAPABILITIES_KEY: {}}
    params = {"notifications": {"resourceSubscriptions": ["profile://me"]}, "_meta": meta}
    body = {"jsonrpc": "2.0", "id": 9, "method": "subscriptions/listen", "params": params}
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "subscriptions/listen"}
    with mcp_post(http, cluster.a, personal_token, body, headers, stream=True) as listening:
        assert listening.status_code == 200, listening.text
        heard = stream_messages(listening)
        ack = next(heard)
        assert ack["method"] == "notifications/subscriptions/acknowledged"
        assert ack["params"]["notifications"] == {"resourceSubscriptions": ["profile://me"]}
        sent = time.monotonic()
        result = modern_call(traffic.session(), cluster.b, personal_token, "test_touch_resource", {
            "arguments": {"uri": "profile://me"}
        })  # fmt: skip
        assert result["isError"] is False
        updated = next(heard)
        took = time.monotonic() - sent
    print(f"\na resource update made on B reached the listener on A in {took * 1000:.0f} ms")
    assert updated["method"] == "notifications/resources/updated" and updated["params"]["uri"] == "profile://me"
    assert updated["params"]["_meta"] == {"io.modelcontextprotocol/subscriptionId": 9}
    assert took < CHANGE_BOUND
    assert traffic.server_errors == 0


def test_a_task_started_on_a_is_followed_answered_and_cancelled_through_b(
    cluster: Cluster, traffic: Traffic, personal_token: str
) -> None:
    """Tasks live in the shared store: B reads, answers and cancels what runs on a worker of A, and a listener on B
    hears the end of a task A ran (Redis carries the change)."""
    http = traffic.session()

    def on_b(method: str, task_id: str, **params: Any) -> dict[str, Any]:
        return modern_request(http, cluster.b, personal_token, f"tasks/{method}", {"taskId": task_id} | params,
                              task_id, TASKS)  # fmt: skip

    def until_on_b(task_id: str, done) -> tuple[dict[str, Any], float]:
        start = time.monotonic()
        while time.monotonic() - start < TASK_BOUND:
            task = on_b("get", task_id)
            if done(task):
                return task, time.monotonic() - start
            time.sleep(POLL_INTERVAL)
        raise AssertionError(f"task {task_id} as B saw it last: {task}")

    asking = modern_call(http, cluster.a, personal_token, "confirm_delete", {"arguments": {"filename": "a.txt"}}, TASKS)
    assert asking["resultType"] == "task"
    question, _ = until_on_b(asking["taskId"], lambda task: task["status"] == "input_required")
    assert list(question["inputRequests"]) == ["confirm"]
    on_b("update", asking["taskId"], inputResponses={"confirm": {"action": "accept", "content": {"confirm": True}}})
    answered, answer_took = until_on_b(asking["taskId"], lambda task: task["status"] == "completed")
    assert answered["result"]["content"][0]["text"] == "Deleted a.txt."

    running = modern_call(http, cluster.a, personal_token, "slow_compute", {"arguments": {"seconds": 120}}, TASKS)
    assert on_b("get", running["taskId"])["status"] == "working"
    params = {
        "notifications": {"taskIds": [running["taskId"]]},
        "_meta": {VERSION_KEY: MODERN, CAPABILITIES_KEY: TASKS},
    }
    body = {"jsonrpc": "2.0", "id": 9, "method": "subscriptions/listen", "params": params}
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "subscriptions/listen"}
    with mcp_post(traffic.session(), cluster.b, personal_token, body, headers, stream=True) as listening:
        heard = stream_messages(listening)
        assert next(heard)["params"]["notifications"] == {"taskIds": [running["taskId"]]}
        assert on_b("cancel", running["taskId"])["resultType"] == "complete"
        sent = time.monotonic()
        notified = next(heard)
        notice_took = time.monotonic() - sent
    cancelled, _ = until_on_b(running["taskId"], lambda task: task["status"] != "working")
    print(f"\ntasks run on A: answered through B, done in {answer_took * 1000:.0f} ms;"
          f" cancelled through B, heard on B's listen stream in {notice_took * 1000:.0f} ms")  # fmt: skip
    assert notified["method"] == "notifications/tasks" and notified["params"]["status"] == "cancelled"
    assert cancelled["status"] == "cancelled" and notice_took < TASK_BOUND
    assert traffic.server_errors == 0


def _initialize_params() -> dict[str, Any]:
    return {"protocolVersion": LEGACY, "capabilities": {"elicitation": {}}, "clientInfo": {"name": "t", "version": "1"}}
