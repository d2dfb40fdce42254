"""Machine clients (app/oauth/machines.py): client credentials with a secret or a signed assertion, no person."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from tests.oauth.conftest import RESOURCE
from tests.support.mcp_http import call_in_process
from tests.support.operator_clients import add_client as add


@pytest.fixture
def machines(make_app):
    return make_app(MACHINE_CLIENTS="true", MCP_TOOL_PACKAGES="app.tools,tests.oauth.scoped_tools")


def token_request(client, **data):
    return client.post("/oauth/token", data={"grant_type": "client_credentials", "resource": RESOURCE, **data})


def assertion(key: RSAKey, client_id: str, **claims) -> str:
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": "http://localhost", "iat": now, "exp": now + 300}
    body |= {"jti": str(uuid.uuid4()), **claims}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, {k: v for k, v in body.items() if v is not None}, key)


def test_a_machine_client_with_a_secret_calls_tools_as_itself(machines):
    made = add(machines, "Nightly job", "--machine")
    client = machines.test_client()
    response = token_request(client, client_id=made["client_id"], client_secret=made["client_secret"])
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json and response.json["scope"] == "mcp"
    caller = call_in_process(client, response.json["access_token"]).json["result"]["structuredContent"]
    assert caller == {
        "subject": f"client:{made['client_id']}",
        "name": "Nightly job",
        "email": None,
        "scopes": ["mcp"],
        "machine": True,
    }


def test_the_secret_may_come_in_the_authorization_header(machines):
    made = add(machines, "Job", "--machine")
    auth = (made["client_id"], made["client_secret"])
    response = machines.test_client().post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert response.status_code == 200, response.text


def test_a_wrong_secret_is_invalid_client(machines):
    made = add(machines, "Job", "--machine")
    response = token_request(machines.test_client(), client_id=made["client_id"], client_secret="nope")
    assert (response.status_code, response.json["error"]) == (401, "invalid_client")


def test_scopes_beyond_the_clients_are_invalid_scope(machines):
    made = add(machines, "Job", "--machine", "--scope", "mcp notes:write")
    client = machines.test_client()
    credentials = {"client_id": made["client_id"], "client_secret": made["client_secret"]}
    response = token_request(client, scope="mcp admin", **credentials)
    assert (response.status_code, response.json["error"]) == (400, "invalid_scope")
    assert "admin" in response.json["error_description"]
    assert token_request(client, scope="notes:write", **credentials).json["scope"] == "mcp notes:write"
    assert token_request(client, **credentials).json["scope"] == "mcp notes:write"  # all it has, when it asks none


def test_per_tool_scopes_apply_to_machine_tokens(machines):
    made = add(machines, "Job", "--machine")
    client = machines.test_client()
    access = token_request(client, client_id=made["client_id"], client_secret=made["client_secret"]).json
    response = call_in_process(client, access["access_token"], "shut_down")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_client_credentials_are_off_unless_enabled(make_app):
    app = make_app()
    made = add(app, "Job", "--machine")
    response = token_request(app.test_client(), client_id=made["client_id"], client_secret=made["client_secret"])
    assert (response.status_code, response.json["error"]) == (400, "unsupported_grant_type")
    assert (
        "client_credentials"
        not in app.test_client().get("/.well-known/oauth-authorization-server").json["grant_types_supported"]
    )


def test_metadata_advertises_the_grant_and_the_signing_algorithms(machines):
    metadata = machines.test_client().get("/.well-known/oauth-authorization-server").json
    assert "client_credentials" in metadata["grant_types_supported"]
    assert {"client_secret_basic", "private_key_jwt"} <= set(metadata["token_endpoint_auth_methods_supported"])
    assert "RS256" in metadata["token_endpoint_auth_signing_alg_values_supported"]


def test_a_browser_client_cannot_use_client_credentials(machines):
    client = machines.test_client()
    registered = client.post(
        "/oauth/register",
        json={"redirect_uris": ["http://127.0.0.1:9/cb"], "token_endpoint_auth_method": "client_secret_post"},
    ).json
    response = token_request(client, client_id=registered["client_id"], client_secret=registered["client_secret"])
    assert (response.status_code, response.json["error"]) == (400, "unauthorized_client")


@pytest.fixture
def signer(machines, tmp_path):
    key = RSAKey.generate_key(2048, parameters={"kid": "job-key-1"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    made = add(machines, "Signed job", "--machine", "--jwks", str(path))
    assert "client_secret" not in made
    return key, made["client_id"]


def test_private_key_jwt_gets_a_token(machines, signer):
    key, client_id = signer
    client = machines.test_client()
    for audience in ("http://localhost", "http://localhost/oauth/token"):  # the issuer, or the token endpoint
        response = token_request(
            client,
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion=assertion(key, client_id, aud=audience),
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"aud": "https://elsewhere.example"}, "aud"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"jti": None}, "jti"),
        ({"jti": 5}, "jti"),
        ({"exp": 10**400}, "at most"),
        ({"exp": int(time.time()) + 10**12}, "at most"),
        ({"exp": int(time.time()) + 7200}, "at most"),
        ({"iss": "someone-else"}, "Issuer and Subject"),
    ],
)
def test_bad_client_assertions_are_invalid_client(machines, signer, claims, why):
    key, client_id = signer
    response = token_request(
        machines.test_client(),
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion=assertion(key, client_id, **claims),
    )
    assert (response.status_code, response.json["error"]) == (401, "invalid_client"), response.text
    assert why.lower() in response.json["error_description"].lower()


def test_a_client_assertion_is_taken_once(machines, signer):
    key, client_id = signer
    signed = assertion(key, client_id)
    client = machines.test_client()
    form = {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed,
    }
    assert token_request(client, **form).status_code == 200
    replayed = token_request(client, **form)
    assert (replayed.status_code, replayed.json["error"]) == (401, "invalid_client")
    assert "used before" in replayed.json["error_description"]


def test_an_assertion_signed_with_another_key_is_refused(machines, signer):
    _, client_id = signer
    stranger = RSAKey.generate_key(2048, parameters={"kid": "job-key-1"})
    response = token_request(
        machines.test_client(),
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion=assertion(stranger, client_id),
    )
    assert (response.status_code, response.json["error"]) == (401, "invalid_client")


def test_the_cli_refuses_private_keys_and_unknown_scopes(machines, tmp_path):
    key = RSAKey.generate_key(2048)
    path = tmp_path / "private.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    runner = machines.test_cli_runner()
    result = runner.invoke(args=["clients", "add", "Job", "--machine", "--jwks", str(path)])
    assert result.exit_code != 0 and "private key" in result.output
    result = runner.invoke(args=["clients", "add", "Job", "--machine", "--scope", "root"])
    assert result.exit_code != 0 and "unknown scope" in result.output
    result = runner.invoke(args=["clients", "add", "Job"])
    assert result.exit_code != 0 and "--machine or --id-jag" in result.output


def test_revoking_a_machine_client_ends_its_tokens(machines):
    made = add(machines, "Job", "--machine")
    client = machines.test_client()
    access = token_request(client, client_id=made["client_id"], client_secret=made["client_secret"]).json
    assert call_in_process(client, access["access_token"]).status_code == 200
    result = machines.test_cli_runner().invoke(args=["clients", "revoke", made["client_id"]])
    assert result.exit_code == 0, result.output
    assert call_in_process(client, access["access_token"]).status_code == 401


def signed_form(key, client_id: str, algorithm: str = "RS256", **header) -> dict[str, str]:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": "http://localhost", "iat": now, "exp": now + 300}
    signed = jwt.encode({"alg": algorithm, **header}, claims | {"jti": str(uuid.uuid4())}, key, algorithms=[algorithm])
    return {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed,
    }


def test_every_advertised_algorithm_is_taken(machines, tmp_path):
    """What the metadata lists in token_endpoint_auth_signing_alg_values_supported must work."""
    keys = {"PS256": RSAKey.generate_key(2048), "ES256": ECKey.generate_key("P-256"), "Ed25519": OKPKey.generate_key()}
    client = machines.test_client()
    advertised = client.get("/.well-known/oauth-authorization-server").json
    for algorithm, key in keys.items():
        assert algorithm in advertised["token_endpoint_auth_signing_alg_values_supported"]
        path = tmp_path / f"{algorithm}.json"
        path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
        made = add(machines, algorithm, "--machine", "--jwks", str(path))
        response = token_request(client, **signed_form(key, made["client_id"], algorithm))
        assert response.status_code == 200, (algorithm, response.text)


@responses.activate
def test_a_shared_secret_key_at_a_jwks_url_signs_nothing(machines):
    """HS256 with an "oct" key the client's JWKS URL publishes: a public document must not hold a signing secret."""
    secret = OctKey.generate_key(256, parameters={"kid": "shared"})
    responses.get("https://keys.example/jwks.json", json={"keys": [secret.as_dict(private=True)]})
    responses.add_passthru("http://localhost")
    made = add(machines, "Job", "--machine", "--jwks-uri", "https://keys.example/jwks.json")
    response = token_request(machines.test_client(), **signed_form(secret, made["client_id"], "HS256", kid="shared"))
    assert (response.status_code, response.json["error"]) == (401, "invalid_client")


@responses.activate
def test_a_jwks_url_that_fails_is_not_fetched_again_at_once(machines):
    responses.get("https://keys.example/jwks.json", status=503)
    made = add(machines, "Job", "--machine", "--jwks-uri", "https://keys.example/jwks.json")
    key = RSAKey.generate_key(2048)
    client = machines.test_client()
    for kid in ("a", "b", "c"):
        response = token_request(client, **signed_form(key, made["client_id"], kid=kid))
        assert (response.status_code, response.json["error"]) == (401, "invalid_client")
    assert len(responses.calls) == 1  # made-up kids do not make this server hammer the client's host


def test_an_assertion_without_kid_is_checked_with_each_of_the_clients_keys(machines, tmp_path):
    first, second = RSAKey.generate_key(2048), RSAKey.generate_key(2048)
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [first.as_dict(private=False), second.as_dict(private=False)]}))
    made = add(machines, "Job", "--machine", "--jwks", str(path))
    assert token_request(machines.test_client(), **signed_form(second, made["client_id"])).status_code == 200


def test_a_client_id_naming_another_client_is_refused(machines, signer):
    key, client_id = signer
    other = add(machines, "Other", "--machine")
    form = signed_form(key, client_id, kid=key.kid) | {"client_id": other["client_id"]}
    response = token_request(machines.test_client(), **form)
    assert (response.status_code, response.json["error"]) == (401, "invalid_client")


def test_machine_tokens_stop_when_machine_clients_are_turned_off(machines):
    made = add(machines, "Job", "--machine")
    client = machines.test_client()
    access = token_request(client, client_id=made["client_id"], client_secret=made["client_secret"]).json
    machines.config["MACHINE_CLIENTS"] = False  # as a restart with MACHINE_CLIENTS=false would have it
    machines.extensions["token_cache"].clear()
    assert call_in_process(client, access["access_token"]).status_code == 401


def test_a_signing_client_revokes_its_own_token(machines, signer):
    key, client_id = signer
    client = machines.test_client()
    access = token_request(client, **signed_form(key, client_id, kid=key.kid)).json["access_token"]
    form = signed_form(key, client_id, kid=key.kid) | {"token": access}
    assert client.post("/oauth/revoke", data=form).status_code == 200
    assert call_in_process(client, access).status_code == 401
