"""The authorization server for MCP clients: discovery, registration, consent, tokens."""

from __future__ import annotations

import logging

from flask import Flask

from app import errors
from app.extensions import csrf
from app.oauth import audit, housekeeping, scopes, server, verify
from app.oauth.cli import clients_cli, tokens_cli
from app.oauth.routes import bp, well_known
from app.oauth.urls import CLIENT_ENDPOINTS, ENDPOINTS


def init_app(app: Flask) -> None:
    """Serve discovery documents; serve the built-in server unless EXTERNAL_ISSUER is set."""
    # Authlib logs issued tokens and PKCE verifiers at DEBUG: never let those lines exist.
    authlib_logger = logging.getLogger("authlib")
    authlib_logger.setLevel(max(authlib_logger.getEffectiveLevel(), logging.INFO))
    verify.init_app(app)
    scopes.init_app(app)
    app.register_blueprint(well_known)
    app.cli.add_command(tokens_cli)
    if app.config["EXTERNAL_ISSUER"]:
        return
    server.init_app(app)
    housekeeping.init_app(app)
    audit.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(clients_cli)
    for name in CLIENT_ENDPOINTS:
        csrf.exempt(app.view_functions[f"oauth.{name}"])
    errors.answer_as_oauth(app, [ENDPOINTS[name] for name in CLIENT_ENDPOINTS])
