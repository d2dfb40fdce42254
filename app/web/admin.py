"""The operator page: the last 24 hours of tool calls, clients and security events, and the stores' health.

Open to operators only (app.auth.operators): anyone else signed in gets a 403, and the
guard sends everyone else to sign in first. Everything is drawn on the server, the charts
as inline SVG, under the same content security policy as every other page.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.auth import operators
from app.auth.users import User
from app.extensions import db
from app.oauth import audit, report
from app.oauth.connected import names_of
from app.security import kept_nowhere
from app.web.routes import readiness

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.after_request(kept_nowhere)


@bp.before_request
def operators_only() -> None:
    if operators.is_operator():
        return
    if operators.has_grounds():
        hours = operators.OPERATOR_HOURS
        abort(403, f"Operators sign in at least every {hours} hours: sign in again to see this page.")
    abort(403, "This page is for the operators of this server (ADMIN_EMAILS, or ADMIN_ROLE at the provider).")


@bp.get("/")
def index() -> str:
    probes = readiness()
    try:
        seen = _seen() if probes["database"].ok else None
    except SQLAlchemyError as error:  # the database went away between the probe and the report
        db.session.rollback()
        current_app.logger.warning("operator page without the audit log: %s", type(error).__name__)
        seen = None
    return render_template(
        "admin/index.html",
        seen=seen,
        probes=probes,
        database=db.engine.dialect.name,
        store="Redis" if "redis" in current_app.extensions else "the database",
        waiting=audit.waiting(),
        hours=report.HOURS,
        since=report.window()[1],
        recording=current_app.config["AUDIT_TOOL_CALLS"],
    )


def _seen() -> dict[str, object]:
    """What the audit log holds of the last hours."""
    security = report.security_events()
    clients = report.clients()
    named = {event.client_id for event in security if event.client_id} - {client.client_id for client in clients}
    return {
        "tools": report.tools(set(current_app.extensions["mcp"].tools)),
        "clients": clients,
        "security": security,
        "names": names_of(sorted(named)) | {client.client_id: client.name for client in clients},
        "people": _people({event.user_id for event in security if event.user_id}),
        "events": report.event_count(),
    }


def _people(user_ids: set[int]) -> dict[int, str]:
    return {user.id: user.display_name for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
