"""Pages for people: home, the playground and connect pages, connected accounts, the operator page, and the health
and status probes."""

from __future__ import annotations

from flask import Flask

from app.auth.operators import is_operator
from app.web import account, admin, connections, playground
from app.web.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(playground.bp)
    app.register_blueprint(connections.bp)
    app.register_blueprint(connections.account_bp)
    app.register_blueprint(admin.bp)
    app.jinja_env.globals["is_operator"] = is_operator
