"""The application factory: configuration, storage, security, sign-in, pages, guard."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from app import auth, bodies, errors, frame, guard, hooks, limits, logs, metrics, oauth, security, storage, tracing, web
from app.mcp import apps as mcp_apps
from app.mcp import legacy as mcp_legacy
from app.mcp import server as mcp_server
from app.mcp import skills as mcp_skills
from app.mcp import tasks as mcp_tasks
from config import load_config
from config.settings import VERSION

__version__ = VERSION

#: Extensions of the MCP protocol, each a package whose `init_app(app)` plugs it into the engine.
#: To drop one, delete it here (its line and its import) and its folder.
MCP_EXTENSIONS = (
    mcp_legacy,  # the initialize-based revisions (2025-03-26, 2025-06-18, 2025-11-25)
    mcp_skills,  # skills over MCP (io.modelcontextprotocol/skills), from MCP_SKILL_PATHS
    mcp_tasks,  # tools run as tasks (io.modelcontextprotocol/tasks), followed from any instance
    mcp_apps,  # views tools show their results in (io.modelcontextprotocol/ui), for hosts of MCP Apps
)


class App(Flask):
    """Flask, remembering which views and hooks are coroutines instead of asking each time.

    Flask inspects every hook and view on every request (`ensure_sync`); on the MCP
    hot path that costs more than some tool calls. The answers are kept per app.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        try:
            return self._sync[func]
        except KeyError:
            wrapped = self._sync[func] = super().ensure_sync(func)
            return wrapped
        except TypeError:  # not hashable
            return super().ensure_sync(func)


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    """Create the application from environment-style settings (default: `os.environ`).

    Raises `config.ConfigError`, naming every missing or unsafe setting, before
    anything is bound.
    """
    app = App(__name__, template_folder="../templates")
    app.config.from_mapping(load_config(os.environ if environ is None else environ, app.instance_path))
    # Each line's hooks run in this order on every request; where the order matters, the comment says why.
    frame.init_app(app)  # the WSGI frame's pieces (put in place last)
    hooks.init_app(app)  # the template's own hooks, run by one before and one after hook: first, and last
    logs.init_app(app)  # a request id, first: every later hook may log
    storage.init_app(app)  # database, Redis, browser sessions, shared store: what everything below keeps data in
    security.init_app(app)  # proxy headers, CSRF, response headers
    auth.init_app(app)  # upstream providers, sign-in routes, user loader
    web.init_app(app)  # home, account pages, playground, health and status
    mcp_server.init_app(app)  # the MCP endpoint and the tools it serves
    for extension in MCP_EXTENSIONS:
        extension.init_app(app)
    oauth.init_app(app)  # the authorization server: after mcp, since it offers the scopes the tools need
    limits.init_app(app)  # rate limits: after every blueprint, since it wraps the views it limits
    guard.init_app(app)  # sign-in required outside public paths: after CSRF and the session's store check
    metrics.init_app(app)  # /metrics and the request counter, if METRICS_TOKEN is set
    tracing.init_app(app)  # traces, if OTEL_* asks for them: a span per request, around every hook above
    bodies.init_app(app)  # read unread request bodies once answered: outside every view and hook that may answer
    errors.init_app(app)  # error pages, and the last resort for what escapes Flask
    frame.wrap(app)  # the WSGI frame: outermost, around every middleware, so the last resort's page has the headers
    return app
