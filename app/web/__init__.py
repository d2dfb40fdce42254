"""Pages for people: home, and the health and status probes."""

from __future__ import annotations

from flask import Flask

from app.web import account
from app.web.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(account.bp)
