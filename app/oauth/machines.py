"""Machine clients: the client-credentials grant (RFC 6749 section 4.4) and `private_key_jwt` (RFC 7523 2.2).

A CI job or a backend agent calls tools for itself, with no person behind it. An operator
adds it with `flask clients add --machine`, giving the scopes it may have and either a
secret (shown once) or its public keys (a JWKS, or a JWKS URL) for `private_key_jwt`; the
grant is on with MACHINE_CLIENTS. Its tokens speak for the client (`ctx.principal.machine`,
subject `client:<client_id>`), come without a refresh token, and carry only its scopes.

A signed client assertion must come from the client (`iss` and `sub` its id), name this
authorization server as its audience (the issuer, or the token endpoint URL as RFC 7523
first said), live at most an hour (app.oauth.replay), and be used once: its `jti` is marked in
the shared store (app.oauth.replay), so no worker of any instance takes it again.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc.errors import JoseError

from app.errors import oauth_description
from app.oauth import jwks, replay
from app.oauth.grants import requested_resource
from app.oauth.urls import ENDPOINTS, issuer
from app.urls import public_url

GRANT_TYPE = "client_credentials"
PRIVATE_KEY_JWT = "private_key_jwt"


def enabled(config) -> bool:
    """Whether machine clients may get tokens (MACHINE_CLIENTS): their grant is served, their tokens taken."""
    return config["MACHINE_CLIENTS"]


class PrivateKeyJwt(JWTBearerClientAssertion):
    """Client authentication with a JWT the client signed with its private key."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self) -> None:
        super().__init__(validate_jti=True, leeway=replay.LEEWAY)

    def __call__(self, query_client, request):
        client = super().__call__(query_client, request)
        named = request.form.get("client_id")
        if client is not None and named is not None and named != client.get_client_id():
            raise InvalidClientError(description="client_id names another client than the assertion's sub")
        return client

    def get_audiences(self) -> list[str]:
        return [issuer(), public_url() + ENDPOINTS["token"]]

    def resolve_client_public_key(self, client):
        return client  # its keys are picked by the assertion's kid, in process_assertion_claims

    def process_assertion_claims(self, assertion: str, client) -> dict:
        """Check the signature with the client's keys and this server's algorithms (Authlib's default list would
        take a shared-secret one), then the claims."""
        try:
            claims = jwks.decode_with(assertion, client.signing_keys(jwks.header(assertion).get("kid"))).claims
        except JoseError as error:
            why = oauth_description(f"the client assertion does not verify: {error.description or error.error}")
            raise InvalidClientError(description=why) from None
        self.verify_claims(claims)
        return claims

    def verify_claims(self, claims) -> None:
        # Before Authlib's checks, which end by marking the jti: a refused assertion must not use it up.
        if not isinstance(claims.get("jti"), str) or not claims["jti"]:
            raise InvalidClientError(description="the client assertion needs a jti (a string)")
        if replay.lives_too_long(claims.get("exp")):
            raise InvalidClientError(description=f"the client assertion may live at most {replay.MAX_SECONDS} s")
        super().verify_claims(claims)

    def validate_jti(self, claims, jti: str) -> bool:
        return replay.first_use("client", claims["sub"], jti, claims["exp"])


class MachineGrant(ClientCredentialsGrant):
    """Client credentials, for clients an operator added as machines (registered when MACHINE_CLIENTS is on)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested_resource(self.request.form)  # the token is for this MCP endpoint, or none
        self.request.user = None
