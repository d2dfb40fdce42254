"""Pages for people, and the liveness and readiness probes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text
from werkzeug.wrappers import Response

from app.auth.providers import providers
from app.extensions import db
from config.settings import VERSION

bp = Blueprint("web", __name__)


@bp.get("/")
def home() -> str:
    return render_template("web/home.html", providers=providers().values())


@bp.get("/health")
def health() -> Response:
    """Liveness: the process answers. Touches nothing, so a store outage never kills it."""
    return jsonify(status="ok")


@bp.get("/status")
def status() -> tuple[Response, int]:
    """Readiness: the database and the session store answer (503 if one does not)."""
    checks = {name: "ok" if probe.ok else "unavailable" for name, probe in readiness().items()}
    healthy = all(result == "ok" for result in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "version": VERSION, "checks": checks}
    return jsonify(body), 200 if healthy else 503


@dataclass(frozen=True)
class Probe:
    """Whether a store answered, and how long it took."""

    ok: bool
    milliseconds: float


def readiness() -> dict[str, Probe]:
    """The database, and the store of sessions (Redis, or the database itself), each asked once."""
    probes = {"database": _probe(lambda: db.session.execute(text("SELECT 1")))}
    redis_client = current_app.extensions.get("redis")
    probes["sessions"] = _probe(redis_client.ping) if redis_client else probes["database"]
    return probes


def _probe(ask: Callable[[], object]) -> Probe:
    started = time.perf_counter()
    try:
        ask()
    except Exception as error:  # any failure of a store means "not ready", never a 500
        db.session.rollback()
        current_app.logger.warning("readiness check failed: %s", type(error).__name__)
        return Probe(False, (time.perf_counter() - started) * 1000)
    return Probe(True, (time.perf_counter() - started) * 1000)
