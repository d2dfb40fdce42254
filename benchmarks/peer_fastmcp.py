"""Peer C: FastMCP 4, stateless streamable HTTP with JSON responses, JWT (RS256) bearer auth.

Runs in benchmarks/.venv-peers: `uvicorn --workers 2 benchmarks.peer_fastmcp:app`.
"""

from __future__ import annotations

from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import JWTVerifier

from benchmarks.peer_common import from_environ

settings = from_environ()
verifier = JWTVerifier(
    public_key=settings.public_key, issuer=settings.issuer, audience=settings.audience, algorithm="RS256"
)
server = FastMCP("benchmark", auth=verifier)


@server.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


app = server.http_app(path="/mcp", stateless_http=True, json_response=True)
