"""Enterprise-managed authorization: an ID-JAG from the company's identity provider buys an access token.

The MCP client signs the person in at the company's identity provider, exchanges the ID
token there (RFC 8693) for an Identity Assertion JWT Authorization Grant (ID-JAG), and
presents it here with the `jwt-bearer` grant (RFC 7523) and its own client credentials:
no browser, no consent page, because the company's policy decided at the exchange
(draft-ietf-oauth-identity-assertion-authz-grant; the MCP extension "enterprise-managed
authorization").

Trusted issuers are the sign-in providers that opt in (OAUTH_<NAME>_ENTERPRISE): an
ID-JAG's signature is checked against that provider's published keys (app.oauth.jwks),
then its `typ`, issuer, audience (this authorization server's issuer), client (the one that
authenticated), resource (this MCP endpoint), times, and `jti`, which is taken once across
every worker and instance (app.oauth.replay): the draft lets a client present one again for
a new access token, this server does not, so that a stolen ID-JAG cannot be replayed (the
SDK asks its identity provider for a new one for each exchange). The person is the
provider's subject, as at a sign-in with that provider (app.auth.users.known_or_new). Scopes are those
the ID-JAG grants and the client may have. No refresh token: the client asks its identity
provider for a new ID-JAG instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, UnauthorizedClientError
from authlib.oauth2.rfc6749.grants.base import BaseGrant, TokenEndpointMixin
from authlib.oauth2.rfc6749.hooks import hooked
from flask import current_app
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError

from app.auth.providers import client_for, providers
from app.auth.users import Profile, User, known_or_new
from app.errors import oauth_description
from app.oauth import events, jwks, replay
from app.oauth.grants import CONFIDENTIAL_METHODS, requested_resource
from app.oauth.machines import PRIVATE_KEY_JWT
from app.oauth.scopes import BASE_SCOPE, split
from app.oauth.urls import issuer, resource_url

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: What the authorization server metadata says it takes (`authorization_grant_profiles_supported`).
PROFILE = "urn:ietf:params:oauth:grant-profile:id-jag"
TYP = "oauth-id-jag+jwt"
#: The audit log's step for a refused ID-JAG: not the connection doctor's, since the person it names is unproven
#: and an enterprise app is shared by many (each would see the others' refusals).
REFUSED = "id_jag"


def enabled(config) -> bool:
    """Whether ID-JAGs are taken at all: some sign-in provider opted in."""
    return any(provider.enterprise for provider in config["OAUTH_PROVIDERS"])


class Refused(Exception):
    """Why an ID-JAG is not taken, in words the client's developer can act on."""


@dataclass(frozen=True)
class TrustedIssuer:
    """A sign-in provider whose ID-JAGs are taken, as its discovery document names it."""

    provider: str
    issuer: str
    jwks_uri: str


class EnterpriseGrant(BaseGrant, TokenEndpointMixin):
    """The jwt-bearer grant with an ID-JAG, for confidential clients allowed it."""

    GRANT_TYPE = GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL_METHODS, PRIVATE_KEY_JWT]

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(GRANT_TYPE):
            raise UnauthorizedClientError("this client may not use ID-JAGs: an operator allows it with --id-jag")
        self.request.client = client
        assertion = self.request.form.get("assertion")
        if not assertion:
            raise InvalidRequestError("assertion is required: the ID-JAG from your identity provider")
        requested_resource(self.request.form)
        try:
            claims, trusted = verified(assertion, client.get_client_id())
            self.granted_scope = granted_scope(client, claims, self.request.payload.scope)
            # Last: an ID-JAG refused for any other reason is not used up.
            if not replay.first_use("id-jag", trusted.issuer, claims["jti"], claims["exp"]):
                raise Refused("it was used before (its jti was seen): ask the identity provider for a new one")
        except Refused as refusal:
            events.record(REFUSED, False, f"an ID-JAG was refused: {refusal}", client.get_client_id())
            raise InvalidGrantError(oauth_description(f"the ID-JAG was refused: {refusal}")) from None
        self.request.user = person_for(trusted, claims)

    @hooked
    def create_token_response(self):
        token = self.generate_token(user=self.request.user, scope=self.granted_scope, include_refresh_token=False)
        self.save_token(token)
        return 200, {**token, "resource": resource_url()}, self.TOKEN_RESPONSE_HEADER


def verified(assertion: str, client_id: str) -> tuple[dict[str, Any], TrustedIssuer]:
    """The claims of a valid ID-JAG for `client_id`, and who issued it; Refused says what is wrong."""
    try:
        header, unverified = jwks.header(assertion), jwks.unverified_claims(assertion)
    except JoseError:
        raise Refused("it is not a signed JWT") from None
    typ = str(header.get("typ", "")).lower().removeprefix("application/")
    if typ != TYP:
        raise Refused(f"its typ header is {str(header.get('typ'))[:64]!r}, not {TYP!r}")
    trusted = trusted_issuer(unverified.get("iss"))
    try:
        claims = jwks.decode(assertion, trusted.jwks_uri).claims
    except (jwks.UnknownKey, jwks.KeysUnavailable) as error:
        raise Refused(str(error)) from None
    except JoseError:
        raise Refused(f"its signature does not verify with the keys of {trusted.issuer}") from None
    _check_claims(claims, trusted, client_id)
    return claims, trusted


def trusted_issuer(name: object) -> TrustedIssuer:
    """The opted-in sign-in provider whose discovery document names issuer `name`; Refused if none does."""
    for provider in providers().values():
        if not provider.enterprise:
            continue
        try:
            metadata = client_for(provider.name).load_server_metadata()
        except Exception as error:  # noqa: BLE001 - any failure to reach one provider must not hide the others
            current_app.logger.warning("provider %s could not be reached for its ID-JAG keys: %s", provider.name, error)
            continue
        if metadata.get("issuer") == name and metadata.get("jwks_uri"):
            return TrustedIssuer(provider.name, metadata["issuer"], metadata["jwks_uri"])
    raise Refused(f"its issuer {str(name)[:200]!r} is not one this server trusts (OAUTH_<NAME>_ENTERPRISE)")


def _check_claims(claims: dict[str, Any], trusted: TrustedIssuer, client_id: str) -> None:
    registry = jwt.JWTClaimsRegistry(
        leeway=replay.LEEWAY,
        iss={"essential": True, "value": trusted.issuer},
        **{name: {"essential": True} for name in ("sub", "aud", "client_id", "jti", "exp", "iat", "resource")},
    )
    try:
        registry.validate(claims)
    except MissingClaimError as error:
        raise Refused(f"it lacks a claim it must carry ({error.description})") from None
    except ExpiredTokenError:
        raise Refused("it expired: ask the identity provider for a new one") from None
    except (InvalidClaimError, JoseError) as error:
        raise Refused(f"a claim is not valid ({error.description})") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if audiences != [issuer()]:  # one audience, ours: a string, or an array of exactly that one (the draft)
        shown = " and ".join(map(str, audiences))[:200]
        raise Refused(f"its audience is {shown}, not this authorization server's issuer {issuer()}")
    if claims["client_id"] != client_id:
        raise Refused("it was issued to another client than the one that presented it (its client_id)")
    resources = claims["resource"] if isinstance(claims["resource"], list) else [claims["resource"]]
    if resource_url() not in [str(resource).rstrip("/") for resource in resources]:
        raise Refused(f"it is for {str(claims['resource'])[:200]!r}, not this server's {resource_url()}")
    if len(claims["sub"]) > 255:
        raise Refused("its sub is longer than 255 characters")
    if replay.lives_too_long(claims["exp"]):
        raise Refused(f"it lives too long: its exp may be at most {replay.MAX_SECONDS} s ahead")


def granted_scope(client, claims: dict[str, Any], requested: str | None) -> str:
    """The scopes to grant, within what the ID-JAG grants (its `scope`; the base scope alone without one) and what
    the client may have: those asked for (invalid_scope beyond the ID-JAG's or the client's), else the ID-JAG's that
    the client may have, the others dropped as the draft allows."""
    granted = _scopes_claim(claims.get("scope", BASE_SCOPE))
    asked = list(dict.fromkeys(split(requested)))
    if beyond := [name for name in asked if name not in granted]:
        raise InvalidScopeError(oauth_description(f"the identity provider did not grant: {' '.join(beyond)}"))
    if not asked:
        known, allowed = current_app.extensions["scopes_supported"], client.allowed_scopes
        asked = [name for name in granted if name in known and (allowed is None or name in allowed)]
    return client.get_allowed_scope(" ".join(asked) or BASE_SCOPE)


def _scopes_claim(value: object) -> list[str]:
    """The `scope` claim's names: a space-separated string, as the draft says, or an array of names."""
    if isinstance(value, str):
        return split(value)
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return [name for item in value for name in split(item)]
    raise Refused("its scope claim is neither a string nor an array of strings")


def person_for(trusted: TrustedIssuer, claims: dict[str, Any]) -> User:
    """The person the ID-JAG is about, as a sign-in with its provider would know them (app.auth.users)."""
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    verified = bool(email) and claims.get("email_verified") is True
    profile = Profile(subject=claims["sub"], email=email, name=name, email_verified=verified)
    return known_or_new(trusted.provider, profile)
