"""The authorization server's endpoints and discovery documents."""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from app import limits
from app.oauth import consent, events, metadata, removal
from app.oauth.registration import registration_allowed
from app.oauth.server import server
from app.oauth.urls import ENDPOINTS, issuer
from app.security import content_security_policy

bp = Blueprint("oauth", __name__)
well_known = Blueprint("well_known", __name__, url_prefix="/.well-known")


@well_known.get("/oauth-authorization-server")
def authorization_server_metadata() -> Response:
    return _public(jsonify(metadata.authorization_server_metadata()))


@well_known.get("/oauth-protected-resource")
@well_known.get("/oauth-protected-resource/<path:resource_path>")
def protected_resource_metadata(resource_path: str = "") -> Response:
    if resource_path and f"/{resource_path}" != current_app.config["MCP_PATH"]:
        return _public(jsonify(error="not_found", message="no protected resource at that path")), 404
    return _public(jsonify(metadata.protected_resource_metadata()))


@bp.get(ENDPOINTS["authorize"])
def authorize() -> Response | str:
    """Sign the person in if needed, then ask their consent (or use a remembered one)."""
    grant = _consent_grant()
    if isinstance(grant, Response | tuple):
        return grant
    payload, client = grant.request.payload, grant.request.client
    scope = client.get_allowed_scope(payload.scope)
    # Only a real GET: Flask answers HEAD with this view too, and a HEAD must never issue a code.
    if request.method == "GET" and consent.remembered(current_user.id, client.client_id, scope):
        return _answer(grant, approved=True)
    described = consent.describe(client, payload.redirect_uri or client.get_default_redirect_uri(), scope)
    response = current_app.response_class(render_template("oauth/consent.html", client=described))
    # The decision is a form post answered by a redirect to the client: allow it.
    response.headers["Content-Security-Policy"] = content_security_policy(form_action=(described["redirect_origin"],))
    return response


@bp.post(ENDPOINTS["authorize"])
def decide() -> Response | str:
    """The person's answer from the consent page (a POST, so its CSRF token is checked)."""
    grant = _consent_grant()
    if isinstance(grant, Response | tuple):
        return grant
    approved = request.form.get("decision") == "allow"
    reason = "access allowed" if approved else "the person denied access on the consent page"
    events.record("consent", approved, reason, grant.request.client.client_id, current_user.id)
    if approved and request.form.get("remember") == "yes":
        client = grant.request.client
        consent.remember(current_user.id, client.client_id, client.get_allowed_scope(grant.request.payload.scope))
    return _answer(grant, approved)


def _consent_grant():
    """The checked authorization request; or, for a bad one, a removed client or a signed-out person, the response
    to send."""
    client_id = request.values.get("client_id")
    if client_id and (gone := removal.removed(client_id)):  # for everyone: said before any sign-in
        return _removed_page(gone)
    try:
        grant = server().get_consent_grant(end_user=current_user if current_user.is_authenticated else None)
    except OAuth2Error as error:
        return _authorization_error(error)
    except ValueError:  # Authlib refuses to describe input outside RFC 6749's character set
        return _bad_request_page("The authorization request holds characters OAuth does not allow.")
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if gone := removal.removed(grant.request.client.client_id, current_user.id):
        return _removed_page(gone)
    return grant


def _answer(grant, approved: bool) -> Response:
    """Send the code (or access_denied) to the client, naming this issuer (RFC 9207)."""
    response = server().create_authorization_response(grant=grant, grant_user=current_user if approved else None)
    return _with_issuer(response)


@bp.post(ENDPOINTS["token"])
def token() -> Response:
    response = _client_endpoint(lambda: server().create_token_response())
    if response.status_code >= 400:
        step = "refresh" if request.form.get("grant_type") == "refresh_token" else "token"
        events.record(step, False, f"the token endpoint refused: {_error_of(response)}", _token_client_id())
    return response


def _token_client_id() -> str | None:
    """The client a token request names (in the form, or as Basic credentials; None if they do not parse)."""
    try:
        basic = request.authorization
    except ValueError:  # credentials outside ASCII, and the like: the endpoint refused them already
        basic = None
    return request.form.get("client_id") or (basic.username if basic and basic.type == "basic" else None)


def _error_of(response: Response) -> str:
    """An OAuth error response's error and description, as one line."""
    body = response.get_json(silent=True) or {}
    return ": ".join(part for part in (body.get("error"), body.get("error_description")) if part) or "no reason given"


@bp.post(ENDPOINTS["register"])
def register() -> Response:
    if not registration_allowed(request.headers.get("Authorization")):
        error = jsonify(error="invalid_token", error_description="registration needs a valid initial access token")
        error.status_code, error.headers["WWW-Authenticate"] = 401, 'Bearer error="invalid_token"'
        return _public(error)
    try:
        request.get_json()  # parsed here, where a hostile body can be answered as RFC 7591 says
    except (BadRequest, RecursionError):
        return _oauth_error(400, "invalid_client_metadata", "the body is not valid JSON text")
    response = _client_endpoint(lambda: server().create_endpoint_response("client_registration"))
    if response.status_code >= 400:
        events.record("registration", False, f"dynamic registration refused: {_error_of(response)}")
    return response


@bp.post(ENDPOINTS["revoke"])
def revoke() -> Response:
    return _client_endpoint(lambda: server().create_endpoint_response("revocation"))


@bp.post(ENDPOINTS["introspect"])
def introspect() -> Response:
    return _client_endpoint(lambda: server().create_endpoint_response("introspection"))


def _client_endpoint(respond) -> Response:
    """Answer a client-facing endpoint; input Authlib cannot even parse is a plain 400, not a 500."""
    try:
        return _public(respond())
    except ValueError:  # e.g. an Authorization header that is not Basic credentials
        return _oauth_error(400, "invalid_request", "the request could not be parsed")


def _oauth_error(status: int, error: str, message: str) -> Response:
    response = jsonify(error=error, error_description=message)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return _public(response)


def _removed_page(gone: removal.Removal) -> tuple[str, int]:
    """Tell the person the client was removed: never a redirect to it (its redirect URI is no longer known good)."""
    person = current_user.id if current_user.is_authenticated else None
    client_id = request.values.get("client_id")
    events.record("authorize", False, f"the app was removed: {gone.explained()}", client_id, person)
    return render_template("errors/error.html", status=400, title="This app was removed", message=gone.explained()), 400


def _bad_request_page(message: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=400, title="Invalid authorization request", message=message), 400


@bp.errorhandler(429)
def too_many_requests(error) -> Response:
    """An OAuth error body, with the limiter's Retry-After."""
    response = jsonify(error="temporarily_unavailable", error_description=f"Too many requests: {error.description}")
    response.status_code = 429
    response.headers["Retry-After"] = str(limits.retry_after())
    return _public(response)


def _authorization_error(error: OAuth2Error) -> Response | tuple[str, int]:
    """Send the error to the client when its redirect URI is known good; else show it."""
    person = current_user.id if current_user.is_authenticated else None
    reason = f"authorization request refused: {error.description or error.error.replace('_', ' ')}"
    events.record("authorize", False, reason, request.values.get("client_id"), person)
    if error.redirect_uri:
        params = [("error", error.error)] + ([("error_description", error.description)] if error.description else [])
        params += [("state", error.state)] if error.state else []
        return redirect(add_params_to_uri(error.redirect_uri, params + [("iss", issuer())]))
    return _bad_request_page(error.description or error.error.replace("_", " "))


def _with_issuer(response: Response) -> Response:
    """Name this issuer in every authorization response, errors included (RFC 9207)."""
    if response.location:
        response.location = add_params_to_uri(response.location, {"iss": issuer()})
    return response


def _public(response: Response | tuple) -> Response | tuple:
    """Let browser-based MCP clients read these responses (they carry no cookies)."""
    target = response[0] if isinstance(response, tuple) else response
    target.headers["Access-Control-Allow-Origin"] = "*"
    return response
