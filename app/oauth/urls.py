"""This server's identity as OAuth names it: the issuer and the protected resource URL."""

from __future__ import annotations

from flask import current_app, request


def base_url() -> str:
    """The externally visible base URL: PUBLIC_URL, else the request's own (development)."""
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


def issuer() -> str:
    """The authorization server's issuer: the base URL, with no path and no trailing slash.

    Clients find the metadata at `<issuer>/.well-known/oauth-authorization-server`
    and must see exactly this string in it (RFC 8414 section 3.3).
    """
    return current_app.config["EXTERNAL_ISSUER"] or base_url()


def resource_url() -> str:
    """The MCP endpoint's canonical URL: the audience of every token for /mcp (RFC 8707)."""
    config = current_app.config  # checked on every MCP call: one context lookup, not three
    return (config["PUBLIC_URL"] or request.host_url.rstrip("/")) + config["MCP_PATH"]


def resource_metadata_url() -> str:
    """Where the protected-resource metadata of the MCP endpoint lives (RFC 9728)."""
    return base_url() + "/.well-known/oauth-protected-resource" + current_app.config["MCP_PATH"]
