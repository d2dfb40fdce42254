"""People: sign-in through upstream identity providers, the session, sign-out."""

from __future__ import annotations

from flask import Flask

from app.auth import dev, providers
from app.auth.routes import bp
from app.extensions import login_manager

__all__ = ["bp", "dev", "init_app"]


def init_app(app: Flask) -> None:
    """Bind flask-login, build the provider registry, register the blueprint."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    providers.init_app(app)
    app.register_blueprint(bp)
