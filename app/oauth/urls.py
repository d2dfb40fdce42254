"""This server's identity as OAuth names it: the issuer, the protected resource URL, and where its endpoints are."""

from __future__ import annotations

from app.extensions import this_app
from app.urls import public_url

#: The authorization server's endpoints, by view name: the routes, the metadata and the error pages read them here.
ENDPOINTS = {
    "authorize": "/oauth/authorize",
    "token": "/oauth/token",
    "register": "/oauth/register",
    "revoke": "/oauth/revoke",
    "introspect": "/oauth/introspect",
}
#: Those that clients call with their own credentials, never with a person's browser: no CSRF token, OAuth errors.
CLIENT_ENDPOINTS = ("token", "register", "revoke", "introspect")


def issuer() -> str:
    """The authorization server's issuer: the base URL, with no path and no trailing slash.

    Clients find the metadata at `<issuer>/.well-known/oauth-authorization-server`
    and must see exactly this string in it (RFC 8414 section 3.3).
    """
    return this_app().config["EXTERNAL_ISSUER"] or public_url()


def resource_url() -> str:
    """The MCP endpoint's canonical URL: the audience of every token for /mcp (RFC 8707)."""
    return public_url() + this_app().config["MCP_PATH"]


def resource_metadata_url() -> str:
    """Where the protected-resource metadata of the MCP endpoint lives (RFC 9728)."""
    return public_url() + "/.well-known/oauth-protected-resource" + this_app().config["MCP_PATH"]
