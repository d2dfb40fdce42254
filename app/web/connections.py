"""Connected accounts: a signed-in person links their account at a CONNECTION_PROVIDERS provider, for tools.

`/connections/<provider>` is where a tool's URL-mode elicitation sends the person
(`app.mcp.connected_token`). It says what connecting does, and a POST (with its CSRF
token) starts the provider's authorization code flow, with state, nonce and PKCE S256
kept in this browser's session by Authlib. The callback keeps the token, encrypted per
person and provider (app.auth.upstream), and completes the elicitation the person came
with, once it is theirs: the tool's call goes on, on whichever worker waits for it.
`/account/connections` lists them, and removes one.
"""

from __future__ import annotations

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from app.auth import providers as registry
from app.auth import upstream
from app.auth.routes import offline_access
from app.mcp.server import elicitations
from app.oauth.clients import origin_of
from app.security import SOURCE, content_security_policy, kept_nowhere
from app.urls import public_url
from config.providers import ProviderConfig

bp = Blueprint("connections", __name__, url_prefix=upstream.CONNECTIONS_PATH)
account_bp = Blueprint("account_connections", __name__, url_prefix="/account/connections")
account_bp.after_request(kept_nowhere)


@bp.get("/<name>")
def start(name: str) -> Response:
    """Say what connecting `name` does, and offer the button (a link alone never starts a flow)."""
    provider = _provider(name)
    elicitation = request.args.get("elicitation")
    problem = _elicitation_problem(name, elicitation) if elicitation else None
    page = render_template("account/connect_account.html", provider=provider, elicitation=elicitation, problem=problem)
    response = current_app.response_class(page, 403 if problem else 200)
    if not problem:  # the button's post is answered by a redirect to the provider: the policy allows that one place
        response.headers["Content-Security-Policy"] = content_security_policy(form_action=_authorize_origin(name))
    return response


@bp.post("/<name>")
def go(name: str) -> Response:
    """Send the browser to the provider, remembering the elicitation to complete on the way back."""
    provider = _provider(name)
    elicitation = request.form.get("elicitation") or None
    if elicitation and _elicitation_problem(name, elicitation):
        abort(403)
    session[_pending_key(name)] = {"elicitation": elicitation}
    extra = {"audience": provider.audience} if provider.audience else {}
    try:
        client = registry.client_for(name)
        extra |= offline_access(provider, client, str(current_user.id))
        return client.authorize_redirect(_callback_url(provider), **extra)
    except (requests.RequestException, ValueError):  # discovery failed or was not JSON
        return _failed(provider, "could not be reached")


@bp.get("/<name>/callback")
def callback(name: str) -> Response | str:
    """Keep the token the provider gives for this person, and complete the elicitation they came with."""
    provider = _provider(name)
    pending = session.get(_pending_key(name))
    if pending is None:
        return _failed(provider, "answered a connection this browser did not start")
    try:
        token = registry.client_for(name).authorize_access_token()
    except MismatchingStateError:
        return _failed(provider, "answered a connection this browser did not start")
    except OAuthError as error:
        return _failed(provider, "was declined" if error.error == "access_denied" else "returned an error")
    except (OAuth2Error, JoseError, requests.RequestException, ValueError):
        return _failed(provider, "returned an error")
    session.pop(_pending_key(name), None)  # only now: a forged callback before the real one ends nothing
    upstream.save(current_user.id, name, token)
    finished = _finish(name, pending.get("elicitation"))
    return render_template("account/connected_account.html", provider=provider, finished=finished)


@account_bp.get("")
def index() -> str:
    providers = registry.connection_providers()
    kept = upstream.kept_for(current_user.id, list(providers)) if providers else {}
    return render_template("account/connections.html", providers=providers, kept=kept)


@account_bp.post("/<name>/remove")
def remove(name: str) -> Response:
    provider = _provider(name)
    if not upstream.forget(current_user.id, name):
        abort(404)
    flash(f"Your {provider.name} account is no longer connected: tools that need it will ask you again.")
    return redirect(url_for("account_connections.index"))


def _authorize_origin(name: str) -> tuple[str, ...]:
    """The origin of the provider's authorization endpoint (none if discovery fails: the button then says so)."""
    provider = registry.connection_providers()[name]
    try:
        url = provider.authorization_url or registry.client_for(name).load_server_metadata()["authorization_endpoint"]
    except (requests.RequestException, ValueError, KeyError):
        return ()
    try:
        origin = origin_of(url)
    except ValueError:  # a port out of range, and the like
        return ()
    return (origin,) if origin.startswith(("https://", "http://")) and SOURCE.fullmatch(origin) else ()


def _pending_key(name: str) -> str:
    """Where this browser's session keeps a connection to `name` in progress, and the elicitation it finishes (a
    sign-in clears the session: a flow never finishes for another person than the one who started it)."""
    return f"connecting:{name}"


def _provider(name: str) -> ProviderConfig:
    return registry.connection_providers().get(name) or abort(404)


def _callback_url(provider: ProviderConfig) -> str:
    """The redirect URI to register with the provider: OAUTH_<NAME>_CALLBACK_URL, or this page's callback."""
    return provider.callback_url or public_url() + url_for("connections.callback", name=provider.name)


def _elicitation_problem(name: str, elicitation: str) -> str | None:
    """Why the elicitation cannot be finished by the person signed in here, or None."""
    if elicitations.pending(elicitation, current_user.id, upstream.connect_url(name)):
        return None
    return "This link was made for another person, has expired, or was used already: ask the tool again."


def _finish(name: str, elicitation: str | None) -> bool:
    """Complete the elicitation, if the person came with one of theirs; whether one was."""
    if not elicitation:
        return False
    try:
        elicitations.complete(elicitation, current_user.id, upstream.connect_url(name))
    except elicitations.ElicitationRefused:
        return False
    return True


def _failed(provider: ProviderConfig, what: str) -> Response:
    flash(f"The connection to {provider.name} failed: the provider {what}. Nothing was kept.")
    return redirect(url_for("account_connections.index"))
