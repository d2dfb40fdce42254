"""The audit log: tool calls written in batches off the request path, the security events of an account, the
export, each person's activity page, and the connection doctor's view left as it was."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, timedelta

from sqlalchemy import event, func, select, update

from app.auth.users import Profile, upsert_user
from app.clock import utcnow
from app.extensions import db
from app.oauth import audit, events, housekeeping, personal
from app.oauth import tool_calls as writer
from app.oauth.events import ConnectionEvent
from tests.conftest import AuthActions, csrf_token
from tests.support.mcp_client import McpActions


def person(app, email: str = "ada@example.test") -> tuple[int, str]:
    with app.app_context():
        user = upsert_user("dev", Profile(subject=email, email=email, name=email.split("@")[0]))
        _, token = personal.create(user.id, "tests", "mcp", 1, "http://localhost/mcp")
        return user.id, token


def call(mcp: McpActions, name: str, arguments: dict) -> None:
    assert mcp.modern("tools/call", {"name": name, "arguments": arguments}).status_code in (200, 400)


def tool_calls(app, user_id: int) -> list[events.Event]:
    with app.app_context():
        audit.flush()
        return [event for event in audit.activity(user_id) if event.step == events.TOOL]


def test_each_tool_call_is_recorded_without_its_arguments(make_app):
    app = make_app(MCP_TOOL_PACKAGES="app.tools")
    user_id, token = person(app)
    mcp = McpActions(app.test_client(), token)
    call(mcp, "whoami", {})
    call(mcp, "convert_temperature", {"value": "hot", "from_unit": "celsius"})
    call(mcp, "no_such_tool", {})
    recorded = tool_calls(app, user_id)
    assert [(e.target, e.ok, e.reason) for e in reversed(recorded)] == [
        ("whoami", True, "ok"),
        ("convert_temperature", False, "tool_error"),
        ("no_such_tool", False, "protocol_error -32602"),
    ]
    assert all(e.client_id == personal.PERSONAL and e.detail is None and e.duration_ms >= 0 for e in recorded)


def test_arguments_only_when_asked_and_cut(make_app):
    app = make_app(MCP_TOOL_PACKAGES="app.tools", AUDIT_ARGUMENT_BYTES="12")
    user_id, token = person(app)
    call(McpActions(app.test_client(), token), "convert_temperature", {"value": 100, "from_unit": "celsius"})
    (recorded,) = tool_calls(app, user_id)
    assert recorded.detail == '{"value": 10'


def test_tool_calls_can_be_left_out(make_app):
    app = make_app(MCP_TOOL_PACKAGES="app.tools", AUDIT_TOOL_CALLS="false")
    user_id, token = person(app)
    call(McpActions(app.test_client(), token), "whoami", {})
    assert tool_calls(app, user_id) == []


def test_the_security_events_of_an_account(make_app):
    app = make_app()
    browser = app.test_client()
    AuthActions(browser).dev_sign_in(email="grace@example.test")
    page = browser.get("/account/tokens")
    browser.post("/account/tokens", data={"name": "deploy", "scope": "mcp", "days": "1",
                                          "csrf_token": csrf_token(page.text)})  # fmt: skip
    with app.app_context():
        user_id = db.session.scalar(select(func.max(ConnectionEvent.user_id)))
        (made,) = personal.of_user(user_id)
        personal.revoke(made.id, user_id)
        steps = [(e.step, e.reason) for e in reversed(audit.activity(user_id))]
    assert steps == [
        ("sign_in", "signed in with dev"),
        ("personal_token", "personal token “deploy” made (mcp)"),
        ("personal_token", "personal token “deploy” revoked"),
    ]
    activity = browser.get("/account/activity").text
    assert "personal token “deploy” revoked" in activity and "Activity" in activity


def test_the_export_and_the_doctor_view(make_app):
    """Tool calls do not push a client's steps out of the doctor's view (its cap counts its own steps only)."""
    app = make_app(MCP_TOOL_PACKAGES="app.tools")
    user_id, token = person(app)
    with app.app_context():
        events.record("consent", True, "consent given", "client-1", user_id)
        for _ in range(events.PER_CLIENT + 5):
            audit.record_tool_call(user_id, "client-1", "whoami", "ok", 3, None)
        audit.flush()
        events.record("token", True, "a code exchanged for tokens", "client-1", user_id)
        doctor = [e.step for e in events.query(client_id="client-1")]
        total = db.session.scalar(select(func.count()).select_from(ConnectionEvent).filter_by(client_id="client-1"))
    assert doctor == ["token", "consent"]
    assert total == events.PER_CLIENT + 7
    exported = app.test_cli_runner().invoke(args=["audit", "export", "--since", "2000-01-01", "--json"])
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in exported.output.splitlines()]
    assert [line["step"] for line in lines][:2] == ["personal_token", "consent"] and lines[-1]["step"] == "token"
    assert sum(line["step"] == "tool" for line in lines) == events.PER_CLIENT + 5


def test_each_person_sees_only_their_own_activity(make_app):
    app = make_app(MCP_TOOL_PACKAGES="app.tools")
    ada_id, ada_token = person(app)
    call(McpActions(app.test_client(), ada_token), "whoami", {})
    with app.app_context():
        audit.flush()
    eve = app.test_client()
    AuthActions(eve).dev_sign_in(email="eve@example.test")
    assert "whoami" not in eve.get("/account/activity").text
    ada = app.test_client()
    AuthActions(ada).dev_sign_in(email="ada@example.test")
    assert "<code>whoami</code>" in ada.get("/account/activity").text


def test_one_bad_row_does_not_lose_the_others(make_app, postgres_url):
    """A client-chosen tool name PostgreSQL refuses (a NUL) must not drop other people's calls of the same batch."""
    app = make_app(MCP_TOOL_PACKAGES="app.tools", DATABASE_URL=postgres_url)
    ada_id, ada_token = person(app)
    eve_id, eve_token = person(app, "eve@example.test")
    call(McpActions(app.test_client(), ada_token), "whoami", {})
    call(McpActions(app.test_client(), eve_token), "who\u0000ami", {})
    assert [e.target for e in tool_calls(app, ada_id)] == ["whoami"]
    assert [e.target for e in tool_calls(app, eve_id)] == ["who\ufffdami"]


def three_calls_written(app, user_id: int, awkward: str, noted: float) -> list[tuple]:
    """Note three tool calls (one with `awkward` arguments at `noted`, one of a person who does not exist, one
    without a client) and write them; return what the engine sent through its cursor for `connection_events`:
    (executemany, whether the statement was given as text rather than compiled, the parameters)."""
    executed = []

    def seen(_connection, _cursor, statement, parameters, context, executemany):
        if "connection_events" in statement:
            executed.append((executemany, context.compiled is None, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            writer._batches.add(app, (noted, user_id, "client-1", "tool0", "ok", 7, awkward))
            audit.record_tool_call(999_999, "client-1", "tool1", "ok", None, None)
            audit.record_tool_call(user_id, None, "tool2", "tool_error", None, None)
            writer.flush()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    return executed


def rows_of(app, user_id: int) -> list[tuple]:
    return [(e.target, e.client_id, e.ok, e.reason, e.duration_ms, e.detail) for e in tool_calls(app, user_id)]


def test_on_postgresql_a_batch_goes_by_copy_intact_and_a_refused_row_costs_only_itself(make_app, postgres_url):
    """COPY costs PostgreSQL's client a third of the CPU of one INSERT per row; the rows must arrive as they were
    noted (COPY's own escapes: tabs, newlines, backslashes), and a row refused (its person deleted) loses only
    itself, as with INSERT."""
    app = make_app(DATABASE_URL=postgres_url)
    user_id, _token = person(app)
    awkward = "tab\tnew\nline back\\slash \\N é"
    executed = three_calls_written(app, user_id, awkward, time.time())
    assert rows_of(app, user_id) == [
        ("tool2", None, False, "tool_error", None, None),
        ("tool0", "client-1", True, "ok", 7, awkward),
    ]
    assert not executed  # all went by COPY


def test_on_sqlite_a_slice_goes_to_the_driver_as_tuples_intact(make_app):
    """SQLAlchemy's executemany builds each row's parameters anew (about a fifth of the writer's CPU a row); the
    writer hands SQLite tuples made with the columns' own bind processors, so every value is stored as SQLAlchemy
    stores it and reads back the same, and a refused row still costs only itself."""
    app = make_app()
    user_id, _token = person(app)
    awkward, noted = "tab\tnew\nline back\\slash é \u0000 end", time.time()
    executed = three_calls_written(app, user_id, awkward, noted)
    assert rows_of(app, user_id) == [
        ("tool2", None, False, "tool_error", None, None),
        ("tool0", "client-1", True, "ok", 7, awkward.replace("\u0000", "\ufffd")),
    ]
    with app.app_context():
        at = db.session.scalar(select(ConnectionEvent.at).where(ConnectionEvent.target == "tool0"))
    at = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite keeps no zone: the writer's times are UTC
    assert abs(at.timestamp() - noted) < 1e-5  # to the microsecond, as SQLAlchemy wrote and reads it
    whole_slice = executed[0]
    assert whole_slice[0] and whole_slice[1], "a slice goes as one driver-level executemany, not compiled per row"
    assert all(isinstance(row, tuple) for row in whole_slice[2]) and len(whole_slice[2]) == 3


def test_the_writer_goes_on_after_a_failed_write(make_app, monkeypatch):
    app = make_app(MCP_TOOL_PACKAGES="app.tools")
    user_id, token = person(app)
    failures = iter([RuntimeError("the database went away")])

    def failing_once(connection, rows):
        if (failure := next(failures, None)) is not None:
            raise failure
        return original(connection, rows)

    original = writer._insert
    monkeypatch.setattr(writer, "_insert", failing_once)
    call(McpActions(app.test_client(), token), "whoami", {})
    with app.app_context():
        audit.flush()  # this write fails: its row is lost, and said so
    call(McpActions(app.test_client(), token), "convert_temperature", {"value": 1, "from_unit": "celsius"})
    assert [e.target for e in tool_calls(app, user_id)] == ["convert_temperature"]


def test_a_batch_is_written_in_slices_and_a_refused_row_costs_only_itself(make_app, monkeypatch):
    """Slices of SLICE_ROWS rows, one transaction each; a row the database refuses (its person deleted) loses only
    itself; a database that goes away loses what was left, said in the log, not the slices written before."""
    app = make_app()
    user_id, _token = person(app)
    monkeypatch.setattr(writer, "SLICE_ROWS", 2)
    slices = []
    original = writer._insert
    monkeypatch.setattr(
        writer, "_insert", lambda connection, rows: slices.append(len(rows)) or original(connection, rows)
    )
    with app.app_context():
        for number in range(5):
            audit.record_tool_call(user_id if number != 2 else 999_999, "client-1", f"tool{number}", "ok", 1, None)
        audit.flush()
    assert slices[:2] == [2, 2] and [e.target for e in reversed(tool_calls(app, user_id))] == [
        "tool0", "tool1", "tool3", "tool4"
    ]  # fmt: skip

    def away(connection, rows):
        if rows[0]["target"] == "tool7":
            raise RuntimeError("the database went away")
        return original(connection, rows)

    monkeypatch.setattr(writer, "_insert", away)
    with app.app_context():
        for number in range(5, 10):
            audit.record_tool_call(user_id, "client-1", f"tool{number}", "ok", 1, None)
        audit.flush()
    assert [e.target for e in tool_calls(app, user_id)][:2] == ["tool6", "tool5"]
    assert len(tool_calls(app, user_id)) == 6


def test_a_batch_takes_one_connection_and_pauses_between_its_slices(make_app, monkeypatch):
    """A connection per slice would cost a checkout and a ping each. The pause is a timer, however short: under
    gevent, `sleep(0)` would not let the worker serve the requests that arrived while a slice was written."""
    app = make_app()
    user_id, _token = person(app)
    monkeypatch.setattr(writer, "SLICE_ROWS", 2)
    monkeypatch.setattr(writer, "SLICE_PAUSE", 0.05)
    starts, checkouts = [], []
    original = writer._slice_written
    monkeypatch.setattr(
        writer, "_slice_written", lambda connection, rows: starts.append(time.monotonic()) or original(connection, rows)
    )
    rows = [writer._row((time.time(), user_id, "client-1", f"tool{number}", "ok", 1, None)) for number in range(5)]

    def checked_out(*_args):
        checkouts.append(1)

    with app.app_context():
        event.listen(db.engine, "checkout", checked_out)
        try:
            assert writer._written(rows) == 0
        finally:
            event.remove(db.engine, "checkout", checked_out)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(checkouts) == 1 and len(gaps) == 2 and min(gaps) >= 0.05  # a sleep lasts at least its time
    assert len(tool_calls(app, user_id)) == 5


FIXTURES = "tests.mcp_fixtures,tests.oauth.scoped_tools,app.tools"


def test_a_failing_record_never_fails_the_call(make_app, monkeypatch):
    """Recording is a side matter: a call whose audit line (or count) cannot be made still gets its answer."""
    app = make_app(MCP_TOOL_PACKAGES=FIXTURES)
    _user_id, token = person(app)

    def broken(*_args, **_kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(audit, "record_tool_call", broken)
    mcp = McpActions(app.test_client(), token)
    answered = mcp.modern("tools/call", {"name": "whoami", "arguments": {}})
    assert answered.status_code == 200 and answered.get_json()["result"]["isError"] is False
    session = mcp.initialize()
    params = {"name": "count_slowly", "arguments": {"to": 2, "delay": 0}, "_meta": {"progressToken": "t"}}
    streamed = mcp.legacy("tools/call", params, session=session, id=7)  # a stream: the call runs in a thread
    assert '"result"' in streamed.get_data(as_text=True)


def test_the_plain_export_keeps_one_line_per_event(make_app):
    """A client names the tool it calls: a tab or a line break in it must not make fields or lines of its own."""
    app = make_app(MCP_TOOL_PACKAGES="app.tools")
    user_id, _token = person(app)
    with app.app_context():
        audit.record_tool_call(user_id, "client\t1", "who\nami\tnow\x1b[2J", "protocol_error -32602", 1, None)
        audit.flush()
    exported = app.test_cli_runner().invoke(args=["audit", "export", "--since", "2000-01-01"])
    lines = exported.output.splitlines()
    assert len(lines) == 2 and all(line.count("\t") == 5 for line in lines), lines
    assert "who\\nami\\tnow\\x1b[2J" in lines[-1] and "client\\t1" in lines[-1]  # no terminal escape either


def test_a_task_is_recorded_as_it_ends(make_app):
    """A tool run as a task: one line, once it ends, with the run's outcome and time (not the call that made it)."""
    from tests.mcp.test_tasks import FOLLOWS, ended, started, until

    app = make_app(MCP_TOOL_PACKAGES=FIXTURES)
    user_id, token = person(app)
    mcp = McpActions(app.test_client(), token)
    for name, arguments in (("slow_compute", {"seconds": 0.3}), ("failing_job", {}), ("protocol_error_job", {})):
        until(mcp, started(mcp, name, arguments), ended)
    cancelled = started(mcp, "slow_compute", {"seconds": 60})
    mcp.modern("tasks/cancel", {"taskId": cancelled}, capabilities=FOLLOWS)
    until(mcp, cancelled, ended)
    recorded = [(e.target, e.reason) for e in reversed(tool_calls(app, user_id))]
    assert sorted(recorded) == [
        ("failing_job", "tool_error"),
        ("protocol_error_job", "protocol_error -32603"),
        ("slow_compute", "cancelled"),
        ("slow_compute", "ok"),
    ]
    (slow,) = [e for e in tool_calls(app, user_id) if e.reason == "ok"]
    assert slow.duration_ms >= 300


def test_a_cancelled_call_and_a_call_refused_for_its_scope_are_recorded(make_app):
    app = make_app(MCP_TOOL_PACKAGES=FIXTURES)
    user_id, token = person(app)
    mcp = McpActions(app.test_client(), token)
    refused = mcp.modern("tools/call", {"name": "write_note", "arguments": {"text": "hi"}})
    assert refused.status_code == 403
    session = mcp.initialize()
    params = {"name": "count_slowly", "arguments": {"to": 50, "delay": 0.05}, "_meta": {"progressToken": "t"}}
    response = mcp.legacy("tools/call", params, session=session, id=41)
    chunks = iter(response.response)
    next(chunks)  # the first progress notification: it runs
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 41}}
    assert mcp.post(cancel, {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}).status_code == 202
    assert b'"result"' not in b"".join(chunks)  # the stream ends without a result
    response.close()
    recorded = [(e.target, e.ok, e.reason, e.duration_ms) for e in reversed(tool_calls(app, user_id))]
    assert recorded[0] == ("write_note", False, "refused_scope", None)  # it never ran: no time
    assert recorded[1][:3] == ("count_slowly", False, "cancelled") and recorded[1][3] >= 0


def test_the_audit_log_keeps_its_own_days_whatever_the_doctor_keeps(make_app):
    """With CONNECTION_EVENT_DAYS longer than AUDIT_DAYS, tool calls and sign-ins still go after AUDIT_DAYS (the
    doctor's steps stay its days), and the activity page shows no more than it says."""
    app = make_app(CONNECTION_EVENT_DAYS="120", AUDIT_DAYS="30")
    user_id, _token = person(app)
    with app.app_context():
        audit.record_tool_call(user_id, "client-1", "whoami", "ok", 1, None)
        audit.flush()
        events.record("consent", True, "access allowed", "client-1", user_id)
        db.session.execute(update(ConnectionEvent).values(at=utcnow() - timedelta(days=60)))
        db.session.commit()
        assert audit.activity(user_id) == []
        assert housekeeping.purge()["events"] == 2  # the tool call and the personal token made; not the consent
        assert [e.step for e in events.query(client_id="client-1")] == ["consent"]


def test_a_name_that_is_no_string_is_refused_not_a_500(make_app):
    app = make_app(MCP_TOOL_PACKAGES=FIXTURES)
    user_id, token = person(app)
    mcp = McpActions(app.test_client(), token)
    for name in ({"a": 1}, ["a"], 7):
        answered = mcp.modern("tools/call", {"name": name, "arguments": {}})
        assert answered.status_code == 400 and answered.get_json()["error"]["code"] in (-32602, -32020), answered.text
    recorded = [(e.target, e.reason.split()[0], e.duration_ms) for e in tool_calls(app, user_id)]
    assert recorded == [(name, "protocol_error", None) for name in ("7", "['a']", "{'a': 1}")]


def test_a_call_answered_with_a_question_is_recorded_once_it_ends(make_app):
    """A 2026-07-28 call that asks first is two requests: one line, for the one that ends it."""
    app = make_app(MCP_TOOL_PACKAGES=FIXTURES)
    user_id, token = person(app)
    mcp = McpActions(app.test_client(), token)
    asked = mcp.modern("tools/call", {"name": "greet_someone"}, capabilities={"elicitation": {}}).get_json()["result"]
    [key] = asked["inputRequests"]
    answer = {key: {"action": "accept", "content": {"name": "Grace"}}}
    params = {"name": "greet_someone", "inputResponses": answer, "requestState": asked["requestState"]}
    assert mcp.modern("tools/call", params, capabilities={"elicitation": {}}).status_code == 200
    assert [(e.target, e.reason) for e in tool_calls(app, user_id)] == [("greet_someone", "ok")]
