"""`flask clients list|revoke` and `flask tokens create|list|revoke`."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.users import User
from app.extensions import db
from app.oauth import enterprise, events, personal, provisioning, removal
from app.oauth.models import OAuthClient
from app.oauth.urls import resource_url

clients_cli = AppGroup("clients", help="MCP clients that registered or were allowed in.")
tokens_cli = AppGroup("tokens", help="Personal access tokens for scripts.")


@clients_cli.command("list")
def list_clients() -> None:
    """List clients with their kind, name, redirect URIs and last use."""
    for row in db.session.scalars(select(OAuthClient).order_by(OAuthClient.created_at)):
        meta = row.client_metadata
        used = row.last_used_at.isoformat(timespec="minutes") if row.last_used_at else "never"
        click.echo(f"{row.client_id}\t{row.kind}\t{meta.get('client_name', '-')}\tlast used {used}")
        click.echo(f"\tredirects: {' '.join(meta.get('redirect_uris', []))}")


@clients_cli.command("events")
@click.option("--client", "client_id", help="Only this client's events.")
@click.option("--user", "email", help="Only the events of the person with this e-mail.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
def list_events(client_id: str | None, email: str | None, as_json: bool) -> None:
    """Each step of clients' ways in, newest first: what went through, what failed and why."""
    user_id = None
    if email:
        user_id = db.session.scalar(select(User.id).filter_by(email=email))
        if user_id is None:
            raise click.ClickException(f"no person with e-mail {email!r}")
    found = events.query(client_id, user_id)
    if as_json:
        click.echo(json.dumps([event.as_dict() for event in found], indent=2))
        return
    for event in found:
        outcome, client = "ok    " if event.ok else "FAILED", event.client_id or "-"
        click.echo(f"{event.at:%Y-%m-%d %H:%M:%S}  {outcome}  {event.step:<12}  {client}  {event.reason}")


@clients_cli.command("add")
@click.argument("name")
@click.option("--machine", is_flag=True, help="A machine client: client credentials, no person (MACHINE_CLIENTS).")
@click.option("--id-jag", "id_jag", is_flag=True, help="An app presenting ID-JAGs from an enterprise provider.")
@click.option("--scope", default="mcp", show_default=True, help="Space-separated scopes it may have.")
@click.option("--jwks", "jwks_file", type=click.File(), help="A JWKS file of its public keys: private_key_jwt.")
@click.option("--jwks-uri", help="Where it publishes its public keys (JWKS): private_key_jwt.")
def add_client(name: str, machine: bool, id_jag: bool, scope: str, jwks_file, jwks_uri: str | None) -> None:
    """Add client NAME and print its id (and its secret, shown this once, unless it signs with its own keys)."""
    if machine == id_jag:
        raise click.UsageError("say what it is: --machine or --id-jag")
    try:
        added = provisioning.add(name, machine, scope, jwks_file.read() if jwks_file else None, jwks_uri)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    kind = "machine client" if machine else "ID-JAG app"
    click.echo(f"{kind} {name!r} added with scopes {added.scope!r}:", err=True)
    click.echo(f"client_id={added.client_id}")
    if added.secret:
        click.echo(f"client_secret={added.secret}")
    if machine and not current_app.config["MACHINE_CLIENTS"]:
        click.echo("note: MACHINE_CLIENTS is off; it cannot get tokens until you set MACHINE_CLIENTS=true", err=True)
    if id_jag and not enterprise.enabled(current_app.config):
        click.echo("note: no sign-in provider takes ID-JAGs yet; set OAUTH_<NAME>_ENTERPRISE=true", err=True)


# Client ids are URL-safe base64 and may begin with "-": such an argument is the id, not an unknown option.
@clients_cli.command("revoke", context_settings={"ignore_unknown_options": True})
@click.argument("client_id")
def revoke_client(client_id: str) -> None:
    """Remove CLIENT_ID for good: revoke its tokens and forget consents; it is told so when it comes back."""
    row = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id, removed_at=None))
    if row is None:
        raise click.ClickException(f"no client {client_id!r}")
    revoked = removal.remove_client(row)
    click.echo(f"revoked {revoked} token(s) and removed {client_id}")


@tokens_cli.command("create")
@click.option("--user", "email", required=True, help="E-mail of the person the token acts for.")
@click.option("--scope", default="mcp", show_default=True, help="Space-separated scopes.")
@click.option(
    "--expires",
    "days",
    default=90,
    show_default=True,
    type=int,
    help="Lifetime in days (up to PERSONAL_TOKEN_MAX_DAYS).",
)
@click.option("--name", default="command line", show_default=True, help="A name to recognise it by.")
@click.option("--resource", help="This server's MCP URL (default: PUBLIC_URL + MCP_PATH, or the dev server's).")
def create_token(email: str, scope: str, days: int, name: str, resource: str | None) -> None:
    """Create a personal access token and print it (it is not shown again)."""
    resource = resource or resource_url()  # PUBLIC_URL's, or the development server's
    user = db.session.scalar(select(User).filter_by(email=email.lower()))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email!r} has signed in yet")
    try:
        row, value = personal.create(user.id, name, scope, days, resource.rstrip("/"))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"token {row.id} for {email}, scopes {row.scope!r}, expires {row.expires_at:%Y-%m-%d}:", err=True)
    click.echo(value)


@tokens_cli.command("list")
@click.option("--user", "email", help="Only this person's tokens.")
def list_tokens(email: str | None) -> None:
    """List personal tokens (never their values)."""
    user = db.session.scalar(select(User).filter_by(email=email.lower())) if email else None
    for row in personal.of_user(user.id if user else None):
        state = "revoked" if row.revoked_at else f"expires {row.expires_at:%Y-%m-%d}"
        click.echo(f"{row.id}\tuser {row.user_id}\t{row.name}\t{row.scope}\t{state}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke personal token TOKEN_ID."""
    if not personal.revoke(token_id):
        raise click.ClickException(f"no personal token {token_id}")
    click.echo(f"revoked token {token_id}")
