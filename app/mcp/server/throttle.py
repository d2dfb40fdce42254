"""The /mcp rate limits (app.limits counts): per credential, and per client address for invalid credentials.

A random bearer value is a credential of its own, so the first limit would never hold it
back, and it costs a lookup. So invalid credentials are counted per address
(MCP_INVALID_TOKEN_RATE_LIMIT; an IPv6 client by its /64, which one host usually holds),
and an address over that limit is refused before any token it sends that is not already
known is looked up.
"""

from __future__ import annotations

import ipaddress

from flask import request

from app import limits
from app.extensions import this_app


def check(credential: str) -> None:
    """Count a request against its valid credential (a token's digest, or the address of a browser session); 429
    when over MCP_RATE_LIMIT."""
    limits.count("MCP_RATE_LIMIT", credential)


def check_address() -> None:
    """Raise 429 when this address has sent more invalid credentials than MCP_INVALID_TOKEN_RATE_LIMIT allows."""
    limit = this_app().extensions["rate_limits"]["MCP_INVALID_TOKEN_RATE_LIMIT"]
    limits.refuse_after(limit.reached(_address_key()), "MCP_INVALID_TOKEN_RATE_LIMIT")


def count_invalid() -> None:
    """Count an invalid credential against this address."""
    this_app().extensions["rate_limits"]["MCP_INVALID_TOKEN_RATE_LIMIT"].hit(_address_key())


def _address_key() -> str:
    """The client's address; for IPv6 its /64."""
    address = str(request.remote_addr)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network((ip, 64), strict=False) if ip.version == 6 else ip)
