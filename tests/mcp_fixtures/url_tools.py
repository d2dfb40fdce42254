"""A tool that sends the person to a page of the server (a URL-mode elicitation) before it answers."""

from __future__ import annotations

from flask import current_app  # a proxy in the module's globals: loading the tools must not touch it

from app.mcp import Context, tool

FINISH_URL = "http://localhost/finish?step=1"


@tool
def test_url_elicitation(ctx: Context) -> str:
    """Send the person to a page; say what the client answered once they finished there."""
    answer = ctx.elicit_url("Finish at the page to go on.", FINISH_URL)
    current_app.logger.info("the person answered %s", answer["action"])
    return f"action={answer['action']}"
