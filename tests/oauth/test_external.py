"""External authorization server mode: the issuer's JWTs, verified through its JWKS."""

from __future__ import annotations

import time

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import RSAKey

ISSUER = "https://auth.example.com"
JWKS = f"{ISSUER}/jwks.json"
RESOURCE = "http://localhost/mcp"


@pytest.fixture
def keys():
    return RSAKey.generate_key(2048, parameters={"kid": "k1"}), RSAKey.generate_key(2048, parameters={"kid": "k2"})


@pytest.fixture
def external(make_app):
    return make_app(EXTERNAL_ISSUER=ISSUER).test_client()


def token(key, **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": RESOURCE, "sub": "u-1", "exp": now + 300, "iat": now, "scope": "mcp"} | claims
    return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)


def publish(*keys) -> None:
    responses.get(f"{ISSUER}/.well-known/oauth-authorization-server", json={"issuer": ISSUER, "jwks_uri": JWKS})
    responses.get(JWKS, json={"keys": [key.as_dict(private=False) for key in keys]})


def call(client, bearer: str):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    return client.post("/mcp", json=body, headers={"Authorization": f"Bearer {bearer}"})


@responses.activate
def test_metadata_points_at_the_external_server(external):
    assert external.get("/.well-known/oauth-protected-resource/mcp").json["authorization_servers"] == [ISSUER]
    assert external.get("/oauth/authorize").status_code != 200
    assert external.post("/oauth/register", json={}).status_code == 404


@responses.activate
def test_valid_token_and_its_principal(external, keys):
    publish(keys[0])
    response = call(external, token(keys[0], email="x@example.test"))
    assert response.status_code == 200
    assert response.json["result"]["structuredContent"]["subject"] == "external:u-1"


@responses.activate
@pytest.mark.parametrize(
    "claims",
    [{"iss": "https://other.example"}, {"aud": "https://elsewhere/mcp"}, {"exp": int(time.time()) - 120}],
)
def test_wrong_issuer_audience_or_expiry_is_refused(external, keys, claims):
    publish(keys[0])
    assert call(external, token(keys[0], **claims)).status_code == 401


@responses.activate
def test_unknown_key_triggers_one_jwks_refresh(make_app, keys):
    app = make_app(EXTERNAL_ISSUER=ISSUER, EXTERNAL_JWKS_URI=JWKS)
    client, cache = app.test_client(), app.extensions.setdefault("jwks", {})
    responses.get(JWKS, json={"keys": [keys[0].as_dict(private=False)]})
    assert call(client, token(keys[0])).status_code == 200
    cache[JWKS] = (time.monotonic() - 120, cache[JWKS][1])  # the cached set is old enough to refetch
    responses.replace(responses.GET, JWKS, json={"keys": [k.as_dict(private=False) for k in keys]})
    assert call(client, token(keys[1])).status_code == 200  # a rotated-in key, fetched on demand
    forged = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assert call(client, token(forged)).status_code == 401


@responses.activate
def test_scopes_come_from_the_token(external, keys):
    publish(keys[0])
    assert call(external, token(keys[0], scope="profile")).status_code == 403  # no mcp scope


@responses.activate
def test_a_wildcard_scope_in_an_external_token_grants_nothing(make_app, keys):
    """`*` is what the browser session holds; from a token it must not stand for every scope."""
    publish(keys[0])
    client = make_app(EXTERNAL_ISSUER=ISSUER, MCP_TOOL_PACKAGES="app.tools,tests.oauth.scoped_tools").test_client()
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "shut_down", "arguments": {}}}
    headers = {"Authorization": f"Bearer {token(keys[0], scope='mcp *')}"}
    assert client.post("/mcp", json=body, headers=headers).status_code == 403
