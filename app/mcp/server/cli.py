"""`flask mcp tools` and `flask mcp call`: look at and try tools without a client."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.principal import Principal
from app.auth.users import User
from app.extensions import db
from app.mcp.context import Context
from app.mcp.server import changes, invoke
from app.oauth import scopes

mcp_cli = AppGroup("mcp", help="Look at and call this server's MCP tools.")


class Console:
    """The channel of a call made from the command line: notifications go to stderr."""

    answers: dict[str, Any] = {}

    def notify(self, method: str, params: dict[str, Any]) -> None:
        click.echo(f"{method}: {json.dumps(params)}", err=True)

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        raise click.ClickException("this tool asks the client questions; call it from an MCP client")

    def is_cancelled(self) -> bool:
        return False

    def announce(self, kind: str, uri: str | None = None) -> None:
        """A change announced from the command line reaches the server's listeners too."""
        changes.publish(changes.Change(kind, uri))


@mcp_cli.command("tools")
def list_tools() -> None:
    """List the tools with their input schemas."""
    for spec in current_app.extensions["mcp"].tools.values():
        click.echo(f"{spec.name}: {spec.description.splitlines()[0] if spec.description else ''}")
        click.echo(f"  input: {json.dumps(spec.input_schema or spec.arguments.schema)}")
        if spec.output_schema:
            click.echo(f"  output: {json.dumps(spec.output_schema)}")


@mcp_cli.command("call")
@click.argument("name")
@click.argument("arguments", default="{}")
@click.option("--user", "email", help="Call as the user with this e-mail (default: an anonymous caller).")
def call_tool(name: str, arguments: str, email: str | None) -> None:
    """Call tool NAME with ARGUMENTS (a JSON object), in-process, and print the result."""
    spec = current_app.extensions["mcp"].tools.get(name)
    if spec is None:
        raise click.ClickException(f"no tool named {name!r}; see `flask mcp tools`")
    try:
        values = json.loads(arguments)
    except ValueError as error:
        raise click.ClickException(f"ARGUMENTS must be a JSON object: {error}") from None
    if not isinstance(values, dict):
        raise click.ClickException("ARGUMENTS must be a JSON object")
    ctx = Context(_principal(email), Console(), request_id="cli", progress_token="cli", log_level="debug")
    result = invoke.call_tool(spec, values, lambda: ctx)
    click.echo(json.dumps(result, indent=2))
    if result.get("isError"):
        raise SystemExit(1)


def _principal(email: str | None) -> Principal:
    if email is None:
        return Principal("cli", name="command line", scopes=scopes.ALL)
    user = db.session.scalar(select(User).filter_by(email=email.lower()))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email!r} has signed in yet")
    return Principal(f"user:{user.id}", user.id, user.name, user.email, scopes=scopes.ALL)
