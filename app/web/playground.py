"""The tool playground and the connect-a-client page, both made from the live configuration.

The playground's own script calls the real MCP endpoint with the browser session (this
site's Origin), so it shows exactly what /mcp offers this person; nothing is listed here.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from app.mcp.context import LOG_LEVELS
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
