"""Liveness and readiness probes."""

from __future__ import annotations

from app import create_app
from config.settings import VERSION
from tests.support.services import free_port


def test_health_touches_nothing():
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": "sqlite:////nonexistent/dir/x.db"})
    assert app.test_client().get("/health").json == {"status": "ok"}


def test_status_reports_database_and_sessions(client):
    body = client.get("/status").json
    assert body == {"status": "ok", "version": VERSION, "checks": {"database": "ok", "sessions": "ok"}}


def test_status_is_503_when_a_store_is_down(make_app):
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    response = client.get("/status")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "sessions": "unavailable"}
    assert "Traceback" not in response.text
