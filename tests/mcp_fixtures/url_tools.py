"""A tool that sends the person to a page of the server (a URL-mode elicitation) before it answers."""

from __future__ import annotations

from flask import current_app  # a proxy in the module's globals: loading the tools must not touch it

from app.mcp import Context, connected_token, tool
from app.urls import public_url


@tool
def test_url_elicitation(ctx: Context) -> str:
    """Send the person to a page; say what the client answered once they finished there."""
    answer = ctx.elicit_url("Finish at the page to go on.", f"{public_url()}/finish?step=1")
    current_app.logger.info("the person answered %s", answer["action"])
    return f"action={answer['action']}"


@tool
def test_two_services(ctx: Context) -> str:
    """Use the person's accounts at two connected services."""
    first, second = connected_token(ctx, "elsewhere"), connected_token(ctx, "beta")
    return f"tokens for both: {bool(first and second)}"


@tool
def test_url_of_another_site(ctx: Context) -> str:
    """Try to send the person to another site's page (refused: only this server can check who opened it)."""
    return str(ctx.elicit_url("Pay there.", "https://payments.example.org/pay"))
