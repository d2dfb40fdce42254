"""What a server process loads: migrations only for `flask db`, the Redis client only with REDIS_URL, the DNS
resolver only when it fetches a client metadata document."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from tests.support import services
from tests.support.servers import BIN, ROOT, app_settings

#: Packages a server has no use for unless configured (each costs megabytes in every worker).
OPTIONAL = ("flask_migrate", "alembic", "mako", "redis", "dns", "opentelemetry", "prometheus_client")
LOADED = f"import sys, wsgi; print(','.join(m for m in {OPTIONAL!r} if m in sys.modules))"


def loaded_by_server(tmp: Path, **settings: str) -> set[str]:
    """Import wsgi (what gunicorn loads) in a fresh interpreter; return which OPTIONAL packages it loaded."""
    environ = os.environ | app_settings(tmp, **settings)
    done = subprocess.run(
        [sys.executable, "-c", LOADED], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(filter(None, done.stdout.strip().split(",")))


def test_a_server_loads_neither_migrations_nor_redis_by_default(tmp_path):
    assert loaded_by_server(tmp_path) == set()


@pytest.mark.services
def test_a_server_with_redis_loads_its_client(tmp_path):
    services.require(services.listening("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    # redis-py imports the OpenTelemetry API and SDK itself when they are installed (its own metrics, off unless
    # an application sets them up); they are, for this server's traces.
    assert loaded_by_server(tmp_path, REDIS_URL=services.REDIS_URL) == {"redis", "opentelemetry"}


def test_traces_and_metrics_load_their_packages_only_when_configured(tmp_path):
    assert loaded_by_server(tmp_path, METRICS_TOKEN="m" * 32) == {"prometheus_client"}
    assert loaded_by_server(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318") == {"opentelemetry"}


def test_flask_db_loads_the_migration_commands_when_run(tmp_path):
    environ = os.environ | app_settings(tmp_path)
    flask = [str(BIN / "flask"), "--app", "wsgi", "db"]
    upgraded = subprocess.run([*flask, "upgrade"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run([*flask, "current"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout
    listed = subprocess.run([*flask, "--help"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert "upgrade" in listed.stdout and "downgrade" in listed.stdout


def test_flask_db_runs_from_the_test_cli_runner(tmp_path):
    """No app context is pushed there before the group resolves: it binds the runner's app."""
    app = create_app(app_settings(tmp_path))
    runner = app.test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    with app.app_context():
        assert {"alembic_version", "users", "sessions"} <= set(inspect(db.engine).get_table_names())
