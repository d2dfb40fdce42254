"""The operator page: tools per hour with their latency, clients, security events, and the stores' health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.oauth import audit, personal, report
from app.oauth.events import TOOL, ConnectionEvent
from tests.conftest import AuthActions
from tests.oauth.test_audit import call, person
from tests.support.mcp_client import McpActions

OPERATOR = "ops@example.test"
#: A moment in the middle of an hour, so that "an hour ago" is one bar to the left.
NOW = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)


@pytest.fixture
def operator(make_app):
    """An app whose operator is signed in, and its client."""
    app = make_app(ADMIN_EMAILS=OPERATOR)
    client = app.test_client()
    AuthActions(client).dev_sign_in("Olga Ops", OPERATOR)
    return app, client


def calls(app, tool: str, hours_ago: int, durations: list[int | None], failed: int = 0) -> None:
    """Write tool calls into the audit log as they would be, `hours_ago` before NOW."""
    at = NOW - timedelta(hours=hours_ago)
    rows = [
        {"at": at, "step": TOOL, "target": tool, "ok": index >= failed, "reason": "ok" if index >= failed
         else "tool_error", "duration_ms": duration, "client_id": "c1", "user_id": None}
        for index, duration in enumerate(durations)
    ]  # fmt: skip
    with app.app_context():
        db.session.execute(insert(ConnectionEvent), rows)
        db.session.commit()


def test_quantiles_come_from_the_buckets_as_prometheus_estimates_them():
    buckets = [0] * (len(report.BUCKETS_MS) + 1)
    assert report.quantile(0.5, buckets) is None
    buckets[3] = 100  # all between 5 and 10 ms
    assert report.quantile(0.5, buckets) == 7.5
    assert report.quantile(0.95, buckets) == pytest.approx(9.75)
    buckets[-1] = 100  # as many slower than the largest bound: p95 is that bound
    assert report.quantile(0.95, buckets) == report.BUCKETS_MS[-1]
    assert report.quantile(0.5, buckets) == 10


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_each_tool_by_the_hour_on_either_database(make_app, request, database):
    settings = {"DATABASE_URL": request.getfixturevalue("postgres_url")} if database == "postgresql" else {}
    app = make_app(**settings)
    calls(app, "search", 0, [3, 3, 4, 40], failed=1)
    calls(app, "search", 5, [150, None])
    calls(app, "convert", 23, [1])
    calls(app, "convert", 24, [1])  # a day and more ago: outside the page's hours
    with app.app_context():
        search, convert = report.tools({"search", "convert"}, NOW)
    assert (search.name, search.total.calls, search.total.errors) == ("search", 6, 1)
    assert (convert.name, convert.total.calls, [hour.calls for hour in convert.hours][:2]) == ("convert", 1, [1, 0])
    this_hour, five_ago = search.hours[-1], search.hours[-6]
    assert (this_hour.calls, this_hour.errors, five_ago.calls, five_ago.errors) == (4, 1, 2, 0)
    assert sum(hour.calls for hour in search.hours) == 6
    assert this_hour.p50 == pytest.approx(4.0)  # 3 of 4 in (2, 5]: the 2nd is 2/3 of the way
    assert 20 < this_hour.p95 <= 50
    assert five_ago.p50 == pytest.approx(150.0)  # the one timed call, in (100, 200]; the other not timed
    assert search.total.p95 <= 200


def test_the_page_draws_tools_clients_and_security_events(operator):
    app, client = operator
    _user_id, token = person(app)
    mcp = McpActions(app.test_client(), token)
    for _ in range(3):
        call(mcp, "whoami", {})
    call(mcp, "convert_temperature", {"value": "hot", "from_unit": "celsius"})
    audit.flush()  # what the writer thread does within a quarter of a second
    answered = client.get("/admin/")
    page = answered.text
    assert answered.headers["Cache-Control"] == "no-store"
    assert "<code>whoami</code>" in page and "<code>convert_temperature</code>" in page
    assert "whoami: 3 calls and 0 errors in the last 24 hours" in page
    assert "convert_temperature: 1 call and 1 error" in page
    assert page.count('class="calls"') == 2 and page.count('class="errors"') == 1
    assert f'<code class="small">{personal.PERSONAL}</code>' in page  # the client the calls came through
    assert "tool <code>convert_temperature</code>" in page and "tool_error" in page  # its last failure
    assert "personal token “tests” made (mcp)" in page and '<td data-label="Who">ada</td>' in page
    assert "Olga Ops" in page and "signed in with dev" in page
    assert 'SQLite: <span class="tag">answers</span>' in page


def test_a_database_gone_mid_page_leaves_the_health_and_no_500(operator, monkeypatch):
    app, client = operator

    def gone(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(report, "tools", gone)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "unreadable while the database is away" in page.text and "Tools" not in page.text


def test_unrecorded_tool_calls_are_said_so(make_app):
    app = make_app(ADMIN_EMAILS=OPERATOR, AUDIT_TOOL_CALLS="false")
    client = app.test_client()
    AuthActions(client).dev_sign_in("Olga", OPERATOR)
    assert "not recorded (AUDIT_TOOL_CALLS=false)" in client.get("/admin/").text


def test_made_up_tool_names_make_one_row(make_app):
    """A client may call any name: the names this server has no tool for are one row, not one each."""
    app = make_app()
    for name in ("nope-1", "nope-2", "nope-3"):
        calls(app, name, 0, [None], failed=1)
    calls(app, "whoami", 0, [2])
    with app.app_context():
        rows = report.tools({"whoami", "convert_temperature"}, NOW)
    assert [(row.name, row.total.calls, row.total.errors) for row in rows] == [
        (report.OTHER_TOOLS, 3, 3),
        ("whoami", 1, 0),
    ]


def test_a_noisy_client_does_not_hide_the_others_last_failure(make_app, monkeypatch):
    app = make_app()
    rows = [{"at": NOW - timedelta(minutes=30), "step": "mcp", "ok": False, "reason": "quiet refusal",
             "client_id": "quiet", "user_id": None}]  # fmt: skip
    rows += [{"at": NOW - timedelta(minutes=10), "step": TOOL, "target": "whoami", "ok": False, "reason": "tool_error",
              "client_id": "noisy", "user_id": None} for _ in range(1200)]  # fmt: skip
    with app.app_context():
        db.session.execute(insert(ConnectionEvent), rows)
        db.session.commit()
        found = {client.client_id: client for client in report.clients(NOW)}
    assert found["noisy"].failures == 1200 and found["noisy"].last_failure.reason == "tool_error"
    assert found["quiet"].failures == 1 and found["quiet"].last_failure.reason == "quiet refusal"
