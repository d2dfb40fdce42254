"""Clients as Authlib sees them, and the rules for the redirect URIs they may use."""

from __future__ import annotations

import hmac
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, InvalidScopeError
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from app.errors import oauth_description
from app.oauth import jwks
from app.oauth.models import OAuthClient, digest
from app.oauth.scopes import BASE_SCOPE, split
from app.urls import LOOPBACK_HOSTS

#: Schemes no redirect may use, whatever the client says.
FORBIDDEN_SCHEMES = ("javascript", "data", "file", "vbscript", "about", "blob")
#: A host name as browsers and CSP sources know it: dot-separated labels of letters, digits and hyphens.
NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
HOST_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?")


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
        """The only registered URI, if it passes today's checks (it may have been registered before them)."""
        uris = self.metadata.get("redirect_uris", [])
        if len(uris) != 1 or redirect_problem(uris[0], self.application_type) is not None:
            return None
        return uris[0]

    def get_allowed_scope(self, scope: str | None) -> str:
        """Every token for /mcp carries the base scope, asked for or not. A client an operator added may have
        only the scopes it was given (all of them when it asks for none); asking for more is invalid_scope."""
        requested = list(dict.fromkeys(split(scope)))
        if self.allowed_scopes is not None:
            if beyond := [name for name in requested if name not in self.allowed_scopes]:
                raise InvalidScopeError(oauth_description(f"this client may not have: {' '.join(beyond)}"))
            requested = requested or self.allowed_scopes
        return " ".join(requested if BASE_SCOPE in requested else [BASE_SCOPE, *requested])

    @property
    def allowed_scopes(self) -> list[str] | None:
        """The scopes an operator gave this client (`flask clients add --scope`); None: any the person allows."""
        return split(self.metadata["scope"]) if self.row.kind == "operator" else None

    def signing_keys(self, kid: object) -> list[Key]:
        """This client's keys that may have signed an assertion naming `kid` (private_key_jwt): from the JWKS it was
        added with, or the one it publishes at its JWKS URL."""
        try:
            if uri := self.metadata.get("jwks_uri"):
                return jwks.keys_for(uri, kid)
            found = jwks.matching(KeySet.import_key_set(self.metadata.get("jwks") or {"keys": []}), kid)
        except (jwks.UnknownKey, jwks.KeysUnavailable, JoseError) as error:
            why = oauth_description(f"the client assertion could not be checked: {error}")
            raise InvalidClientError(description=why) from None
        if not found:
            raise InvalidClientError(description="the client assertion is signed with a key this client was not given")
        return found

    @property
    def application_type(self) -> str:
        """What kind of app: a metadata document says so or is taken as native; a registration, as web (RFC 7591)."""
        return self.metadata.get("application_type") or ("native" if self.row.kind == "document" else "web")

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """The presented URI must pass the registration checks itself, then match a registered one."""
        if redirect_problem(redirect_uri, self.application_type) is not None:
            return False
        return any(same_redirect(registered, redirect_uri) for registered in self.metadata.get("redirect_uris", []))

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.row.secret_hash) and hmac.compare_digest(self.row.secret_hash, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """The registered method; a client an operator gave a secret may send it either way (SDKs differ)."""
        registered = self.metadata.get("token_endpoint_auth_method", "none")
        secret_methods = {"client_secret_basic", "client_secret_post"}
        return method == registered or (self.row.kind == "operator" and {method, registered} <= secret_methods)

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.metadata.get("response_types", ["code"])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", ["authorization_code", "refresh_token"])


def same_redirect(registered: str, presented: str) -> bool:
    """Exact match, except that a loopback redirect may use any port (RFC 8252 section 7.3).

    Both must have passed `redirect_problem`: then neither has userinfo, and the host
    and port are what they seem.
    """
    if registered == presented:
        return True
    a, b = urlsplit(registered), urlsplit(presented)
    if a.scheme != "http" or b.scheme != "http" or not is_loopback(a.hostname) or a.hostname != b.hostname:
        return False
    return (a.path, a.query, a.fragment) == (b.path, b.query, b.fragment)


def origin_of(redirect_uri: str) -> str:
    """The origin a redirect URI that passed `redirect_problem` goes to, as a CSP source: `scheme://host[:port]`,
    or `scheme:` for a private-use scheme. Built from the parsed parts, never from the raw text."""
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"{scheme}:"
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{parts.port}" if parts.port is not None else "")


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
    only for native apps; never a fragment, a dangerous scheme, userinfo (`user@`: it
    hides the real host from a reader), or a host or port that is not one. Checked at
    registration and again for the URI each authorization request presents.
    """
    if problem := _text_problem(uri):
        return problem
    try:
        parts = urlsplit(uri)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        return "is not a valid URL"
    scheme = parts.scheme.lower()
    if not scheme or scheme in FORBIDDEN_SCHEMES:
        return "uses a scheme that is not allowed"
    if parts.fragment:
        return "must not have a fragment"
    if scheme not in ("http", "https"):
        return _private_use_problem(scheme, application_type)
    return _authority_problem(parts.netloc, parts.hostname, port) or (
        "may use http only on a loopback address" if scheme == "http" and not is_loopback(parts.hostname) else None
    )


def https_problem(uri: Any) -> str | None:
    """Return why `uri` cannot be a client's page or logo (`client_uri`, `logo_uri`), or None: https only."""
    if problem := _text_problem(uri):
        return problem
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() != "https":
        return "must be an https URL"
    return _authority_problem(parts.netloc, parts.hostname, port)


def _text_problem(uri: Any) -> str | None:
    if not isinstance(uri, str) or not 0 < len(uri) <= 2000:
        return "must be a string of at most 2000 characters"
    if not uri.isascii() or not uri.isprintable() or " " in uri:
        return "must be plain ASCII, without spaces or control characters (percent-encode the rest)"
    return None


def _authority_problem(netloc: str, host: str | None, port: int | None) -> str | None:
    if "@" in netloc:
        return "must not carry a user name or password"
    if port == 0:
        return "must not use port 0"
    return None if is_host(host) else "needs a host name or an IP address"


def ascii_host(host: str) -> str:
    """`host` in ASCII: an internationalised name in its punycode form (`xn--`), where look-alike letters show."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # not a name IDNA can spell: show its escapes, never the letters
        return host.encode("ascii", "backslashreplace").decode("ascii")


def is_host(host: str | None) -> bool:
    """Return whether `host` is a DNS name of letters, digits and hyphens, or an IP address as browsers read it.

    A name whose last label is a number is an IPv4 address to a browser (`127.1` is
    127.0.0.1), so it must be one written in full; an IPv6 zone (`%eth0`) names no
    host outside this machine.
    """
    if not host or "%" in host:
        return False
    if HOST_NAME.fullmatch(host) and not NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _private_use_problem(scheme: str, application_type: str) -> str | None:
    if application_type == "native" and "." in scheme:
        return None
    return "must be https, http on loopback, or (native apps) a private-use scheme like com.example.app:"
