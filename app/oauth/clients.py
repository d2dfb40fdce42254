"""Clients as Authlib sees them, and the rules for the redirect URIs they may use."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin

from app.oauth.models import OAuthClient, digest
from app.oauth.scopes import BASE_SCOPE, split

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Schemes no redirect may use, whatever the client says.
FORBIDDEN_SCHEMES = ("javascript", "data", "file", "vbscript", "about", "blob")


class Client(ClientMixin):
    """A stored client, with the checks Authlib's grants and endpoints call."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.metadata: dict[str, Any] = row.client_metadata

    @property
    def client_id(self) -> str:
        return self.row.client_id

    @property
    def name(self) -> str:
        return self.metadata.get("client_name") or self.row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.metadata.get("redirect_uris", [])
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """Every token for /mcp carries the base scope, asked for or not."""
        requested = split(scope)
        return " ".join(requested if BASE_SCOPE in requested else [BASE_SCOPE, *requested])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(same_redirect(registered, redirect_uri) for registered in self.metadata.get("redirect_uris", []))

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.row.secret_hash) and hmac.compare_digest(self.row.secret_hash, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.metadata.get("token_endpoint_auth_method", "none")

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.metadata.get("response_types", ["code"])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", ["authorization_code", "refresh_token"])


def same_redirect(registered: str, presented: str) -> bool:
    """Exact match, except that a loopback redirect may use any port (RFC 8252 section 7.3)."""
    if registered == presented:
        return True
    a, b = urlsplit(registered), urlsplit(presented)
    if a.scheme != "http" or b.scheme != "http" or not is_loopback(a.hostname) or a.hostname != b.hostname:
        return False
    return (a.path, a.query, a.fragment) == (b.path, b.query, b.fragment)


def is_loopback(host: str | None) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def redirect_problem(uri: Any, application_type: str = "web") -> str | None:
    """Return why `uri` cannot be a redirect URI, or None if it can.

    https anywhere; http only on loopback; a private-use scheme (`com.example.app:/cb`)
    only for native apps; never a fragment or a dangerous scheme.
    """
    if not isinstance(uri, str) or not 0 < len(uri) <= 2000:
        return "must be a string of at most 2000 characters"
    if not uri.isascii() or not uri.isprintable() or " " in uri:
        return "must be plain ASCII, without spaces or control characters (percent-encode the rest)"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises for a port that is not one
    except ValueError:
        return "is not a valid URL"
    scheme = parts.scheme.lower()
    if not scheme or scheme in FORBIDDEN_SCHEMES:
        return "uses a scheme that is not allowed"
    if parts.fragment:
        return "must not have a fragment"
    if scheme == "https":
        return None if parts.hostname else "needs a host"
    if scheme == "http":
        return None if is_loopback(parts.hostname) else "may use http only on a loopback address"
    if application_type == "native" and "." in scheme:
        return None
    return "must be https, http on loopback, or (native apps) a private-use scheme like com.example.app:"
