"""People: sign-in through upstream identity providers, the session, sign-out."""

from __future__ import annotations

from flask import Flask

from app import hooks
from app.auth import dev, providers
from app.auth.routes import bp
from app.extensions import login_manager

__all__ = ["bp", "dev", "init_app"]


def init_app(app: Flask) -> None:
    """Bind flask-login, build the provider registry, register the blueprint."""
    login_manager.init_app(app)
    # Its remember-me cookie is a page's matter: held with the hooks for pages (app.hooks), not run for the MCP
    # endpoint.
    remember_cookie = login_manager._update_remember_cookie
    app.after_request_funcs[None].remove(remember_cookie)
    hooks.after(app, lambda _request, response: remember_cookie(response), pages_only=True)
    login_manager.login_view = "auth.login"
    providers.init_app(app)
    app.register_blueprint(bp)
