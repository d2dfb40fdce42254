"""Peer D: the official MCP Python SDK's MCPServer, stateless JSON, JWT (RS256) bearer auth.

Runs in benchmarks/.venv-peers: `uvicorn --workers 2 benchmarks.peer_sdk:app`.
"""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

from benchmarks.peer_common import JwtSettings, from_environ


class JwtVerifier:
    """Verify an RS256 JWT (signature, expiry, issuer, audience) with PyJWT; the key is parsed once."""

    def __init__(self, settings: JwtSettings) -> None:
        self.settings = settings
        self.key = load_pem_public_key(settings.public_key.encode())

    async def verify_token(self, token: str) -> AccessToken | None:
        """Return the token's access, or None when it is not a valid token for this server."""
        try:
            claims = jwt.decode(
                token, self.key, algorithms=["RS256"], audience=self.settings.audience, issuer=self.settings.issuer
            )
        except jwt.PyJWTError:
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id", claims["sub"])),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=claims["exp"],
            resource=self.settings.audience,
            subject=claims["sub"],
        )


settings = from_environ()
auth = AuthSettings(issuer_url=settings.issuer, resource_server_url=settings.audience, validate_token_resource=True)
server = MCPServer("benchmark", token_verifier=JwtVerifier(settings), auth=auth, log_level="WARNING")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


app = server.streamable_http_app(stateless_http=True, json_response=True)
