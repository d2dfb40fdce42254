"""What both peer servers read from the environment: the key and claims of the benchmark's JWT.

Imported by the peer servers (benchmarks/.venv-peers) as well as by the runner, so it
uses the standard library only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PUBLIC_KEY_VARIABLE = "BENCH_JWT_PUBLIC_KEY"
ISSUER_VARIABLE = "BENCH_JWT_ISSUER"
AUDIENCE_VARIABLE = "BENCH_JWT_AUDIENCE"


@dataclass(frozen=True)
class JwtSettings:
    """The RSA public key (PEM) that verifies the RS256 tokens, and the claims they must carry."""

    public_key: str
    issuer: str
    audience: str

    def environ(self) -> dict[str, str]:
        """Return these settings as the environment variables `from_environ` reads."""
        return {PUBLIC_KEY_VARIABLE: self.public_key, ISSUER_VARIABLE: self.issuer, AUDIENCE_VARIABLE: self.audience}


def from_environ() -> JwtSettings:
    """Read the settings the runner passed to a peer server."""
    return JwtSettings(os.environ[PUBLIC_KEY_VARIABLE], os.environ[ISSUER_VARIABLE], os.environ[AUDIENCE_VARIABLE])
