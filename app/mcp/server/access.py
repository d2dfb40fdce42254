"""Who may reach /mcp: the Host and Origin it answers, and the credential it accepts.

DNS rebinding: a page on another site can make a browser send requests to this
server; a present but foreign `Origin`, or a `Host` that is not ours, gets 403.
Credentials: a bearer token, or the signed-in browser session from this site's own
pages (checked by `Origin`, which also stands in for a CSRF token). Never a redirect.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask, Request
from flask_login import current_user

from app.auth.principal import Principal
from app.extensions import this_app
from app.mcp.errors import INVALID_REQUEST, ProtocolError
from app.mcp.server import throttle
from app.oauth import events, scopes, verify
from app.oauth.models import digest
from app.oauth.scopes import BASE_SCOPE
from app.oauth.urls import resource_metadata_url
from app.security import bearer_token
from app.urls import LOOPBACK_HOSTS, public_origin

#: Loopback as the Host header spells it (an IPv6 address in brackets).
LOOPBACK_HOST_HEADERS = tuple(f"[{host}]" if ":" in host else host for host in LOOPBACK_HOSTS)


class Unauthorized(ProtocolError):
    """No credential, or one that is not valid: 401, pointing at how to get one."""

    def __init__(self, message: str = "Authentication required: send a bearer token", error: str = "") -> None:
        challenge = f'Bearer resource_metadata="{resource_metadata_url()}", scope="{BASE_SCOPE}"'
        if error:
            challenge += f', error="{error}", error_description="{message}"'
        super().__init__(INVALID_REQUEST, message, status=401, headers={"WWW-Authenticate": challenge})


class InsufficientScope(ProtocolError):
    """A valid token without the scopes an operation needs: 403, naming them all at once."""

    def __init__(self, needed: list[str]) -> None:
        scope = " ".join(dict.fromkeys([BASE_SCOPE, *needed]))
        challenge = f'Bearer error="insufficient_scope", scope="{scope}", resource_metadata="{resource_metadata_url()}"'
        super().__init__(
            INVALID_REQUEST,
            f"Insufficient scope: this needs {scope}",
            status=403,
            headers={"WWW-Authenticate": challenge},
        )


def caller(req: Request) -> Principal:
    """Who is calling, from an allowed Host and Origin, within the rate limit (else 403, 401 or 429).

    Authentication comes first: an invalid credential is counted per address (see
    app.mcp.server.throttle), never as a credential of its own.
    """
    app = this_app()  # handed on to the checks below, which read its settings and registries
    check_host_and_origin(req, app)
    principal, credential = authenticate(req, app)
    throttle.check(credential)
    return principal


def require_scopes(principal: Principal, needed: tuple[str, ...]) -> None:
    """Raise InsufficientScope unless `principal` holds every scope in `needed`."""
    if needed and (missing := scopes.missing(principal.scopes, needed)):
        if principal.client_id:
            reason = f"/mcp refused a call that needs the scope {' '.join(missing)}, which the token lacks"
            events.record("mcp", False, reason, principal.client_id, principal.user_id)
        raise InsufficientScope(list(needed))


def check_host_and_origin(req: Request, app: Flask) -> None:
    """Refuse (403) a request for a foreign Host, or from a foreign Origin."""
    if not _host_allowed(req.host, app):
        raise ProtocolError(INVALID_REQUEST, "Forbidden: this server does not answer for that Host", status=403)
    origin = req.environ.get("HTTP_ORIGIN")
    if origin is not None and not _origin_allowed(origin):
        raise ProtocolError(INVALID_REQUEST, "Forbidden: requests from that Origin are not accepted", status=403)


def authenticate(req: Request, app: Flask) -> tuple[Principal, str]:
    """Return the caller, from a bearer token or a same-origin browser session (else 401), and what its rate
    limit counts by: the token's digest, or (a session) the client's address."""
    authorization = req.environ.get("HTTP_AUTHORIZATION")
    if authorization:
        token = bearer_token(authorization)
        if not token:
            raise Unauthorized("Authorization must be: Bearer <token>", "invalid_request")
        token_hash = digest(token)
        static = app.config["MCP_STATIC_TOKENS"]
        principal = _static_token_principal(static, token, token_hash) if static else None
        if principal is None:
            principal = verify.cached(token_hash, app)
        if principal is None:
            throttle.check_address()  # too many invalid tokens from here: refused before the lookup
            principal = verify.look_up(token, token_hash)
        if principal is None:
            throttle.count_invalid()
            raise Unauthorized("The bearer token is not valid, has expired, or is for another server", "invalid_token")
        if BASE_SCOPE not in principal.scopes:  # held directly, as on nearly every call: nothing more to ask
            require_scopes(principal, (BASE_SCOPE,))
        return principal, token_hash[:32]
    if req.headers.get("Origin") == public_origin() and current_user.is_authenticated:
        user = current_user
        return Principal(f"user:{user.id}", user.id, user.name, user.email, scopes=scopes.ALL), str(req.remote_addr)
    raise Unauthorized()


def _static_token_principal(static: list[str], token: str, token_hash: str) -> Principal | None:
    for configured in static:
        if hmac.compare_digest(configured.encode(), token.encode()):
            short = token_hash[:16]
            return Principal(f"static-token:{short}", name="static token", scopes=scopes.ALL, token_id=short)
    return None


#: Host values remembered per app, allowed or not: a client sends the same one on every call. Bounded, since a
#: client chooses what it sends.
REMEMBERED_HOSTS = 256


@dataclass
class AllowedHosts:
    """The allowed Host values, parsed once per app: exact entries, names on any port, and the verdicts so far."""

    exact: frozenset[str]
    any_port: frozenset[str]
    verdicts: dict[str, bool] = field(default_factory=dict)


def _host_allowed(host: str, app: Flask) -> bool:
    """Match `host` against the allowed list; an entry without a port allows any port."""
    allowed = _allowed_hosts(app)
    verdict = allowed.verdicts.get(host)
    if verdict is None:
        requested = _split_host(host)
        verdict = host in allowed.exact or (requested is not None and requested[0] in allowed.any_port)
        if len(allowed.verdicts) < REMEMBERED_HOSTS:
            allowed.verdicts[host] = verdict
    return verdict


def _allowed_hosts(app: Flask) -> AllowedHosts:
    """The allowed Host values of `app` (parsed on first use)."""
    allowed = app.extensions.get("mcp_allowed_hosts")
    if allowed is None:
        entries = app.config["MCP_ALLOWED_HOSTS"] or _default_hosts()
        split = [(entry, _split_host(entry)) for entry in entries]
        any_port = frozenset(parts[0] for _, parts in split if parts and parts[1] is None)
        allowed = app.extensions["mcp_allowed_hosts"] = AllowedHosts(frozenset(entries), any_port)
    return allowed


def _origin_allowed(origin: str) -> bool:
    allowed = this_app().config["MCP_ALLOWED_ORIGINS"]
    if allowed:
        return origin in allowed
    parts = urlsplit(origin)
    if this_app().config["APP_ENV"] != "production" and parts.hostname in LOOPBACK_HOSTS:
        return parts.scheme in ("http", "https")
    return origin == public_origin()


def _default_hosts() -> list[str]:
    hosts = [urlsplit(this_app().config["PUBLIC_URL"]).netloc] if this_app().config["PUBLIC_URL"] else []
    return hosts + (list(LOOPBACK_HOST_HEADERS) if this_app().config["APP_ENV"] != "production" else [])


def _split_host(host: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(f"//{host}")
        return (parts.hostname or "", parts.port)
    except ValueError:  # a port that is not a number
        return None
