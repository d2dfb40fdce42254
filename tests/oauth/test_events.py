"""The connection doctor: each step of a client's way in is recorded with its reason, and never a secret."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from app.clock import utcnow
from app.extensions import db
from app.oauth import events, housekeeping
from app.oauth.events import ConnectionEvent


def steps(app, client_id: str) -> list[tuple[str, bool, str]]:
    with app.app_context():
        return [(event.step, event.ok, event.reason) for event in reversed(events.query(client_id))]


def test_every_step_is_recorded_with_its_reason_and_no_secret(oauth_app, oauth, monkeypatch):
    monkeypatch.setattr(events, "REPEAT_WINDOW", 0)  # each refusal below is a different one anyway
    oauth_app.config["REFRESH_GRACE_SECONDS"] = 0  # a replaced refresh token used again is a reuse at once
    refused = oauth.client.get(
        "/oauth/authorize", query_string=oauth.authorize_params(redirect_uri="http://127.0.0.1:1/x")
    )
    assert refused.status_code == 400
    oauth.consent("deny")
    tokens = oauth.tokens()
    refreshed = oauth.refresh(tokens["refresh_token"]).json
    assert oauth.call(tokens["access_token"]).status_code == 200  # first call
    needs_admin = {"name": "shut_down", "arguments": {}}
    assert oauth.call(tokens["access_token"], "tools/call", needs_admin).status_code == 403
    time.sleep(0.01)
    replay = oauth.refresh(tokens["refresh_token"])  # the replaced refresh token again: reuse
    assert replay.status_code == 400
    assert oauth.call(refreshed["access_token"]).status_code == 401  # its family was revoked
    recorded = steps(oauth_app, oauth.client_id)
    kinds = [(step, ok) for step, ok, _ in recorded]
    assert kinds[0] == ("registration", True)
    assert ("authorize", False) in kinds and ("consent", False) in kinds and ("consent", True) in kinds
    assert ("token", True) in kinds and ("refresh", True) in kinds and ("mcp", True) in kinds
    reasons = " | ".join(reason for _, _, reason in recorded)
    assert "redirect" in reasons.lower()
    assert "denied access" in reasons and "used again after it was replaced" in reasons
    assert "needs the scope" in reasons and "it was revoked" in reasons
    for secret in (tokens["access_token"], tokens["refresh_token"], refreshed["access_token"], oauth.verifier):
        assert secret not in reasons


def test_a_failed_code_exchange_is_recorded_for_the_client(oauth_app, oauth):
    response = oauth.exchange("not-a-code")
    assert response.status_code == 400
    [(step, ok, reason)] = [entry for entry in steps(oauth_app, oauth.client_id) if entry[0] == "token"]
    assert not ok and "invalid_grant" in reason


def test_the_connected_apps_page_highlights_the_last_failure(oauth_app, oauth):
    tokens = oauth.tokens()
    assert oauth.call(tokens["access_token"]).status_code == 200
    oauth.client.post("/oauth/revoke", data={"token": tokens["access_token"], "client_id": oauth.client_id})
    assert oauth.call(tokens["access_token"]).status_code == 401
    page = oauth.client.get("/account/apps").text
    assert "Last failure:" in page and "it was revoked" in page and "What to do:" in page
    assert page.index("first call to /mcp") > page.index("it was revoked")  # newest first
    assert "Your last connection step" in oauth.client.get("/connect").text


def test_the_command_lists_events_as_text_and_json(oauth_app, oauth):
    oauth.tokens()
    runner = oauth_app.test_cli_runner()
    text = runner.invoke(args=["clients", "events", "--client", oauth.client_id]).output
    assert "registration" in text and "a code exchanged for tokens" in text
    listed = json.loads(runner.invoke(args=["clients", "events", "--user", "ada@example.test", "--json"]).output)
    assert {event["step"] for event in listed} >= {"consent", "token"}
    assert "no person" in runner.invoke(args=["clients", "events", "--user", "nobody@example.test"]).output


def test_events_are_bounded_per_client_and_in_time(oauth_app, oauth, monkeypatch):
    monkeypatch.setattr(events, "PER_CLIENT", 5)
    with oauth_app.app_context():
        for number in range(8):
            events.record("mcp", True, f"call {number}", "bounded-client")
        events.record("mcp", False, "the same refusal", "bounded-client")
        events.record("mcp", False, "the same refusal", "bounded-client")  # within the window: once
        kept = [event.reason for event in events.query("bounded-client")]
        assert kept == ["the same refusal", "call 7", "call 6", "call 5", "call 4"]
        # Past CONNECTION_EVENT_DAYS the doctor shows them no more; the audit log keeps them AUDIT_DAYS.
        db.session.execute(update(ConnectionEvent).values(at=utcnow() - timedelta(days=8)))
        db.session.commit()
        assert events.query("bounded-client") == [] and housekeeping.purge()["events"] == 0
        db.session.execute(update(ConnectionEvent).values(at=utcnow() - timedelta(days=91)))
        db.session.commit()
        assert housekeeping.purge()["events"] >= 5
        assert db.session.scalar(select(func.count()).select_from(ConnectionEvent)) == 0


def test_lookups_by_client_or_person_use_the_indexes_that_lead_with_them(app):
    """Each tool call writes a row, so the table keeps few indexes: (client_id, step, id) and (user_id, step, id)
    serve lookups by client or person, and a person's removal, without indexes of their own."""
    with app.app_context():
        for column, index in (("client_id", "ix_connection_events_client_step"),
                              ("user_id", "ix_connection_events_user_step")):  # fmt: skip
            plan = db.session.execute(
                db.text(f"EXPLAIN QUERY PLAN SELECT id FROM connection_events WHERE {column} = 1")
            )
            assert index in " ".join(str(row[-1]) for row in plan)
        names = {index.name for index in ConnectionEvent.__table__.indexes}
        assert not names & {"ix_connection_events_client_id", "ix_connection_events_user_id"}
