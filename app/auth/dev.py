"""The development sign-in: pick a name and an e-mail, no password.

It exists only when `dev` is a configured provider, which the production checks
refuse, so it can never let anyone into a production deployment.
"""

from __future__ import annotations

from flask import abort, current_app, render_template
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from app.auth import providers as registry
from app.auth.routes import bp
from app.auth.signin import finish_sign_in
from app.auth.users import Profile, upsert_user


class DevSignInForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    # Any address shape will do (me@localhost included): nothing is ever sent to it.
    email = EmailField(
        "E-mail",
        validators=[DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+$", message="Enter an e-mail address."), Length(max=320)],
    )


@bp.get("/dev")
def dev_login() -> str:
    """Show the development sign-in form."""
    _require_enabled()
    return render_template("auth/dev_login.html", form=DevSignInForm())


@bp.post("/dev")
def dev_sign_in() -> Response | tuple[str, int]:
    """Sign in whoever the form names."""
    _require_enabled()
    form = DevSignInForm()
    if not form.validate_on_submit():
        return render_template("auth/dev_login.html", form=form), 400
    email = form.email.data.strip().lower()
    # The address counts as verified: in development whoever types an ADMIN_EMAILS address is an operator, on
    # purpose (this page never exists in production).
    profile = Profile(subject=email, email=email, name=form.name.data.strip(), email_verified=True)
    return finish_sign_in(upsert_user("dev", profile), profile)


def _require_enabled() -> None:
    """404 unless the dev sign-in is a configured provider, and never in production."""
    enabled = any(p.type == "dev" for p in registry.providers().values())
    if not enabled or current_app.config["APP_ENV"] == "production":
        abort(404)
