"""The tool playground and the connect-a-client page, both made from the live configuration.

The playground's own script calls the real MCP endpoint with the browser session (this
site's Origin), so it shows exactly what /mcp offers this person; nothing is listed here.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from app.mcp.context import LOG_LEVELS
from app.mcp.views import CSP_KEYS, origins
from app.oauth import connected
from app.oauth.urls import resource_url
from app.security import content_security_policy
from app.web import snippets

bp = Blueprint("playground", __name__)

#: Tools may return audio, which the playground plays from a data: URL.
PLAYGROUND_POLICY = content_security_policy(media_src=("'self'", "data:"))


@bp.get("/playground")
def playground() -> Response:
    """List and call the tools, resources and prompts /mcp offers the signed-in person."""
    page = render_template("web/playground.html", mcp_path=current_app.config["MCP_PATH"], log_levels=LOG_LEVELS)
    response = make_response(page)
    response.headers["Content-Security-Policy"] = PLAYGROUND_POLICY
    return response


@bp.get("/playground/sandbox")
def sandbox() -> Response:
    """The frame an MCP Apps view runs in: sandboxed by the playground (scripts, no origin of its own), with
    the Content-Security-Policy the view declared (`csp`, JSON: the origins it loads from and connects to).

    The page only waits for the view's HTML from the playground (its parent), then becomes that page.
    """
    try:
        policy = view_policy(json.loads(request.args.get("csp") or "{}"))
    except (ValueError, TypeError):
        abort(400)
    response = make_response(render_template("web/sandbox.html"))
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def view_policy(declared: dict) -> str:
    """The policy of a view's frame: nothing but inline script and style and data: images, plus what it declared
    (connectDomains, resourceDomains, frameDomains, baseUriDomains); ValueError for anything else."""
    if not isinstance(declared, dict) or not set(declared) <= set(CSP_KEYS):
        raise ValueError("not a view's csp")
    domains = {key: origins(declared.get(key, [])) for key in CSP_KEYS}
    loads = domains["resourceDomains"]
    directives = {
        "sandbox": ["allow-scripts"],  # opaque however the page is loaded, even outside the playground's frame
        "frame-ancestors": ["'self'"],
        "default-src": ["'none'"],
        "script-src": ["'unsafe-inline'", *loads],
        "style-src": ["'unsafe-inline'", *loads],
        "img-src": ["data:", *loads],
        "font-src": loads or ["'none'"],
        "media-src": ["data:", *loads],
        "connect-src": domains["connectDomains"] or ["'none'"],
        "frame-src": domains["frameDomains"] or ["'none'"],
        "base-uri": domains["baseUriDomains"] or ["'none'"],
        "form-action": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


@bp.get("/connect")
def connect() -> str:
    """The MCP URL and a configuration for each client, ready to copy."""
    url = resource_url()
    guides = snippets.guides(url, current_app.config["MCP_SERVER_NAME"])
    last = connected.history(current_user.id, limit=1) if current_user.is_authenticated else []
    reachable = snippets.reachable_from_the_internet(url)
    return render_template(
        "web/connect.html", mcp_url=url, guides=guides, last_attempt=last[0] if last else None, reachable=reachable
    )
