"""The last step of every sign-in, and the one place that decides where it returns to."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from app.auth import operators
from app.auth.users import Profile, User


def safe_next_url(unsafe_next: str | None) -> str | None:
    """Return `unsafe_next` if it is a path on this site, else None (no open redirect)."""
    if not unsafe_next or not unsafe_next.startswith("/") or unsafe_next.startswith("//"):
        return None
    if "\\" in unsafe_next or any(ord(char) < 0x20 or ord(char) == 0x7F for char in unsafe_next):
        return None
    parts = urlsplit(unsafe_next)
    return unsafe_next if not parts.scheme and not parts.netloc else None


def finish_sign_in(user: User, profile: Profile) -> Response:
    """Sign `user` in on a fresh session id, keep what `profile` proved of them, then go to the remembered page."""
    next_url = safe_next_url(session.get("next"))
    # Nothing from before sign-in survives (provider state, a planted value), and the
    # session gets a new id, so an id fixed before sign-in is worth nothing after it.
    session.clear()
    login_user(user)
    operators.remember(profile)
    current_app.session_interface.regenerate(session)
    current_app.logger.info("sign-in: user %s via %s", user.id, user.provider)
    return redirect(next_url or url_for("auth.success"))
