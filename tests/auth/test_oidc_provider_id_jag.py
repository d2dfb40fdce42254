"""The test OpenID provider as an enterprise IdP: ID-JAGs by token exchange, key rotation, and hand-made JWTs.

Tests of the app's jwt-bearer grant rely on these ID-JAGs being what the spec says, so the provider is checked
here on its own. It runs for this module only: rotating its keys must not surprise other tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tests.support import services
from tests.support.oidc import ID_JAG_TYPE, OidcProvider, start_oidc_provider

pytestmark = pytest.mark.node

AUDIENCE = "https://mcp-as.example.test"
RESOURCE = "https://mcp-as.example.test/mcp"
CLIENT_AT_AUDIENCE = "mcp-client-at-as"
SCOPE = "tools:read tools:call"
#: Claims of every ID-JAG for Alice at AUDIENCE, besides iss, scope and the ones that change each time.
ALICE_ID_JAG = {
    "sub": "alice.smith",
    "aud": AUDIENCE,
    "resource": RESOURCE,
    "client_id": CLIENT_AT_AUDIENCE,
    "email": "alice.smith@example.test",
    "email_verified": True,
    "name": "Alice Smith",
}


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    """A provider of its own that knows our client's id at AUDIENCE."""
    services.require(services.have_node(), "Node.js and npm (for the test OpenID provider)")
    with start_oidc_provider([]) as provider:
        provider.map_client(AUDIENCE, CLIENT_AT_AUDIENCE)
        yield provider


@pytest.fixture(scope="module")
def alice_id_token(idp: OidcProvider) -> str:
    return idp.id_token("alice.smith")


def served_keys(provider: OidcProvider) -> KeySet:
    """The keys at the provider's jwks_uri, found through discovery as a verifier finds them."""
    response = requests.get(provider.metadata()["jwks_uri"], timeout=5)
    response.raise_for_status()
    return KeySet.import_key_set(response.json())


def served_kids(provider: OidcProvider) -> set[str]:
    return {key.kid for key in served_keys(provider) if key.kid}


def verified(provider: OidcProvider, token: str) -> jwt.Token:
    """`token` decoded after checking its RS256 signature against the served JWKS."""
    return jwt.decode(token, served_keys(provider), algorithms=["RS256"])


def header_of(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified."""
    return jws.extract_compact(token.encode()).protected


def picked(mapping: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The entries of `mapping` under the keys of `expected`, to compare with it (a diff shows what differs)."""
    return {key: mapping.get(key) for key in expected}


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    return response.json()


def test_exchange_issues_a_signed_id_jag(idp, alice_id_token):
    response = idp.request_id_jag(alice_id_token, AUDIENCE, RESOURCE, scope=SCOPE)

    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    answer = {"issued_token_type": ID_JAG_TYPE, "token_type": "N_A", "expires_in": 300, "scope": SCOPE}
    assert picked(body, answer) == answer
    token = verified(idp, body["access_token"])
    assert token.header["typ"] == "oauth-id-jag+jwt" and token.header["alg"] == "RS256"
    claims = token.claims
    expected = {**ALICE_ID_JAG, "iss": idp.issuer, "scope": SCOPE}
    assert picked(claims, expected) == expected
    assert claims["exp"] - claims["iat"] == 300 and abs(claims["iat"] - time.time()) < 60
    assert claims["jti"] != verified(idp, idp.id_jag(alice_id_token, AUDIENCE, RESOURCE)).claims["jti"]


def test_scope_is_optional(idp, alice_id_token):
    response = idp.request_id_jag(alice_id_token, AUDIENCE, RESOURCE)

    assert response.status_code == 200, response.text
    assert "scope" not in response.json()
    assert "scope" not in verified(idp, response.json()["access_token"]).claims


def test_an_audience_without_a_client_is_an_invalid_target(idp, alice_id_token):
    response = idp.request_id_jag(alice_id_token, "https://unknown-as.example.test", RESOURCE)

    assert error_of(response) == {
        "error": "invalid_target",
        "error_description": "no client registered for this audience",
    }


def test_a_subject_token_not_from_the_provider_is_an_invalid_grant(idp):
    response = idp.request_id_jag("not.an.id-token", AUDIENCE, RESOURCE)

    assert error_of(response)["error"] == "invalid_grant"


def test_an_expired_id_token_is_an_invalid_grant(idp, alice_id_token):
    """Signed with the ID token key itself, so only its expiry is wrong."""
    kid = header_of(alice_id_token)["kid"]
    now = int(time.time())
    claims = {"iss": idp.issuer, "sub": "alice.smith", "aud": idp.client_id, "iat": now - 700, "exp": now - 100}
    expired = idp.sign(claims, kid=kid, typ=None)

    assert error_of(idp.request_id_jag(expired, AUDIENCE, RESOURCE)) == {
        "error": "invalid_grant",
        "error_description": "subject_token has expired",
    }


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"requested_token_type": "urn:ietf:params:oauth:token-type:access_token"}, "requested_token_type must be"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:jwt"}, "subject_token_type must be"),
        ({"resource": None}, "missing required parameter 'resource'"),
    ],
)
def test_malformed_exchanges_are_invalid_requests(idp, alice_id_token, params, description):
    response = idp.request_id_jag(alice_id_token, **{"audience": AUDIENCE, "resource": RESOURCE, **params})

    error = error_of(response)
    assert error["error"] == "invalid_request" and error["error_description"].startswith(description)


def test_rotation_signs_with_a_new_key_and_keeps_the_old_one_served(idp, alice_id_token):
    before = verified(idp, idp.id_jag(alice_id_token, AUDIENCE, RESOURCE)).header["kid"]

    idp.rotate_keys()
    after = verified(idp, idp.id_jag(alice_id_token, AUDIENCE, RESOURCE)).header["kid"]

    assert after != before
    assert {before, after} <= served_kids(idp)
    assert header_of(idp.id_token("bob"))["kid"] in served_kids(idp)


def test_sign_with_an_unknown_kid_uses_an_unpublished_key(idp):
    token = idp.sign({"sub": "mallory"}, kid="not-published")

    assert header_of(token)["kid"] == "not-published"
    assert "not-published" not in served_kids(idp)
    with pytest.raises(JoseError):
        verified(idp, token)


def test_sign_keeps_claims_and_header_as_given(idp):
    token = verified(idp, idp.sign({"aud": "elsewhere", "exp": 1}, typ="JWT"))

    assert token.claims == {"aud": "elsewhere", "exp": 1}
    assert token.header["typ"] == "JWT" and token.header["kid"] in served_kids(idp)
