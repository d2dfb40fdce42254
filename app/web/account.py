"""A person's own pages: the applications they let in, their personal tokens, and their activity."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.oauth import audit, connected, personal, revocation
from app.oauth.scopes import BASE_SCOPE, supported
from app.oauth.scopes import describe as describe_scope
from app.oauth.urls import resource_url
from app.security import kept_nowhere

bp = Blueprint("account", __name__, url_prefix="/account")
bp.after_request(kept_nowhere)


@bp.get("/apps")
def apps() -> str:
    steps = connected.history(current_user.id)
    failure = next((step for step in steps if not step.event.ok), None)
    return render_template(
        "account/apps.html",
        connections=connected.of_user(current_user.id),
        steps=steps,
        last_failure=failure,
        kept_days=current_app.config["CONNECTION_EVENT_DAYS"],
    )


@bp.post("/apps/revoke")
def revoke_app() -> Response:
    client_id = request.form.get("client_id") or abort(400)
    if connected.revoke(current_user.id, client_id):
        flash(
            f"Access revoked ({revocation.takes_effect()}) and the app removed: to use it again, remove its"
            " connector in your client and add it again."
        )
    else:
        flash(
            f"Access revoked ({revocation.takes_effect()}). Your organization's identity provider lets this app in"
            " for you, so it may get access again without asking; your administrator can remove it for good."
        )
    return redirect(url_for("account.apps"))


@bp.get("/activity")
def activity() -> str:
    """What the audit log holds of the person: their tool calls and the security events of their account."""
    found = audit.activity(current_user.id)
    names = connected.names_of(sorted({event.client_id for event in found if event.client_id}))
    return render_template(
        "account/activity.html", events=found, names=names, kept_days=current_app.config["AUDIT_DAYS"]
    )


@bp.get("/tokens")
def tokens() -> str:
    return _tokens_page()


@bp.post("/tokens")
def create_token() -> Response | tuple[str, int]:
    form = request.form
    try:
        days = int(form.get("days", "90"))
        scope = " ".join(dict.fromkeys(form.getlist("scope") or [BASE_SCOPE]))  # ticked boxes, or one text field
        row, value = personal.create(current_user.id, form.get("name", ""), scope, days, resource_url())
    except ValueError as error:
        flash(str(error))
        return redirect(url_for("account.tokens"))
    return _tokens_page(new=(row, value)), 201


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    if not personal.revoke(token_id, current_user.id):
        abort(404)
    flash(f"Token revoked: {revocation.takes_effect()}.")
    return redirect(url_for("account.tokens"))


def _tokens_page(**extra) -> str:
    mine = personal.of_user(current_user.id)
    return render_template(
        "account/tokens.html",
        tokens=mine,
        base_scope=BASE_SCOPE,
        scopes=supported(),
        describe_scope=describe_scope,
        **extra,
    )
