"""The official Python SDK's enterprise and machine clients (`mcp` 2.3) against this server under gunicorn.

`IdentityAssertionOAuthProvider` gets its ID-JAG from the test OpenID provider's token exchange
(the person signed in there, as at their company's identity provider) and trades it here with the
jwt-bearer grant; `ClientCredentialsOAuthProvider` and `PrivateKeyJWTOAuthProvider` are machine
clients an operator added with `flask clients add --machine`. Each reaches `tools/call`. Then a
replay: one ID-JAG and one client assertion, each taken by one instance of a two-instance
deployment, are refused by the other, whether the shared store is Redis or PostgreSQL.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from anyio import to_thread
from joserfc import jwt
from joserfc.jwk import RSAKey
from mcp.client.auth.extensions.client_credentials import (
    ClientCredentialsOAuthProvider,
    PrivateKeyJWTOAuthProvider,
    SignedJWTParameters,
)
from mcp.client.auth.extensions.identity_assertion import IdentityAssertionOAuthProvider

from tests.oauth.test_sdk_oauth import MemoryStorage, Wire, connect, run
from tests.support import stores
from tests.support.oidc import OidcProvider
from tests.support.operator_clients import add_live_client
from tests.support.servers import HTTP_TIMEOUT, LiveApp, app_settings, live_app, sqlite_app
from tests.support.services import free_port

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def settings(oidc_settings: dict[str, str]) -> dict[str, str]:
    """Sign-in through the test provider, which also issues ID-JAGs; machine clients on."""
    return {**oidc_settings, "OAUTH_ENTERPRISE": "true", "MACHINE_CLIENTS": "true"}


@contextmanager
def enterprise_app(tmp_path: Path, settings: dict[str, str]) -> Iterator[LiveApp]:
    """The app under gunicorn with 2 workers, on SQLite."""
    with sqlite_app(tmp_path, GUNICORN_WORKERS="2", **settings) as app:
        yield app


def whoami_through(app: LiveApp, auth) -> tuple[dict, Wire]:
    """Call whoami with the SDK client authenticating with `auth`; what it returned, and what went over the wire."""
    wire, seen = Wire(), {}

    async def scenario() -> None:
        async with connect(app, auth, wire) as client:
            seen["me"] = (await client.call_tool("whoami", {})).structured_content

    run(scenario)
    return seen["me"], wire


def test_the_sdk_identity_assertion_provider_reaches_tools(
    tmp_path: Path, oidc_provider: OidcProvider, settings: dict
) -> None:
    with enterprise_app(tmp_path, settings) as app:
        made = add_live_client(app, "Enterprise chat", "--id-jag")
        oidc_provider.map_client(app.base_url, made["client_id"])
        id_token = oidc_provider.id_token("ivy.chen")
        asked: list[tuple[str, str]] = []

        async def id_jag(audience: str, resource: str) -> str:
            asked.append((audience, resource))
            return await to_thread.run_sync(oidc_provider.id_jag, id_token, audience, resource, "mcp")

        auth = IdentityAssertionOAuthProvider(
            server_url=app.mcp_url,
            storage=MemoryStorage(),
            client_id=made["client_id"],
            client_secret=made["client_secret"],
            issuer=app.base_url,
            assertion_provider=id_jag,
        )
        me, wire = whoami_through(app, auth)
        assert me["email"] == "ivy.chen@example.test" and me["name"] == "Ivy Chen" and not me["machine"], me
        assert asked == [(app.base_url, app.mcp_url)]
        [grant] = wire.grants(JWT_BEARER)
        assert grant.status == 200 and grant.form["resource"] == app.mcp_url


def test_the_sdk_client_credentials_provider_reaches_tools(
    tmp_path: Path, oidc_provider: OidcProvider, settings: dict
) -> None:
    with enterprise_app(tmp_path, settings) as app:
        made = add_live_client(app, "Nightly report", "--machine")
        auth = ClientCredentialsOAuthProvider(
            server_url=app.mcp_url,
            storage=MemoryStorage(),
            client_id=made["client_id"],
            client_secret=made["client_secret"],
            issuer=app.base_url,
        )
        me, wire = whoami_through(app, auth)
        assert me == {
            "subject": f"client:{made['client_id']}",
            "name": "Nightly report",
            "email": None,
            "scopes": ["mcp"],
            "machine": True,
        }
        [grant] = wire.grants("client_credentials")
        assert grant.status == 200 and grant.headers["authorization"].startswith("Basic ")


def test_the_sdk_private_key_jwt_provider_reaches_tools(
    tmp_path: Path, oidc_provider: OidcProvider, settings: dict
) -> None:
    key = RSAKey.generate_key(2048)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    pem = key.as_pem(private=True).decode()
    with enterprise_app(tmp_path, settings) as app:
        made = add_live_client(app, "Deploy agent", "--machine", "--jwks", str(jwks))
        assert "client_secret" not in made
        signer = SignedJWTParameters(issuer=made["client_id"], subject=made["client_id"], signing_key=pem)
        auth = PrivateKeyJWTOAuthProvider(
            server_url=app.mcp_url,
            storage=MemoryStorage(),
            client_id=made["client_id"],
            assertion_provider=signer.create_assertion_provider(),
            issuer=app.base_url,
        )
        me, wire = whoami_through(app, auth)
        assert me["subject"] == f"client:{made['client_id']}" and me["machine"] is True
        [grant] = wire.grants("client_credentials")
        assert grant.status == 200 and grant.form["client_assertion_type"] == CLIENT_ASSERTION


@contextmanager
def two_instances(tmp: Path, enterprise: dict[str, str], redis: bool) -> Iterator[tuple[LiveApp, LiveApp]]:
    """A and B, 2 workers each, on one PostgreSQL schema (and one Redis database if `redis`), public URL A's."""
    port_a, port_b = free_port(), free_port()
    while port_b == port_a:
        port_b = free_port()
    with ExitStack() as stack:
        settings = app_settings(
            tmp,
            DATABASE_URL=stack.enter_context(stores.postgres_schema()),
            REDIS_URL=stack.enter_context(stores.redis_database()) if redis else "",
            PUBLIC_URL=f"http://127.0.0.1:{port_a}",
            MCP_ALLOWED_HOSTS="127.0.0.1",
            **enterprise,
        )
        a = stack.enter_context(live_app(settings, tmp / "a.log", port=port_a, workers=2))
        b = stack.enter_context(live_app(settings, tmp / "b.log", port=port_b, workers=2))
        yield a, b


@pytest.mark.services
@pytest.mark.parametrize("redis", [True, False], ids=["redis", "postgresql"])
def test_a_replay_on_the_other_instance_is_refused(
    tmp_path: Path, oidc_provider: OidcProvider, settings: dict[str, str], redis: bool
) -> None:
    key = RSAKey.generate_key(2048)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    with two_instances(tmp_path, settings, redis) as (a, b):
        public = a.base_url
        app = add_live_client(a, "Enterprise chat", "--id-jag")
        oidc_provider.map_client(public, app["client_id"])
        jag = oidc_provider.id_jag(oidc_provider.id_token("jo"), public, f"{public}/mcp")
        form = {"grant_type": JWT_BEARER, "assertion": jag}
        secret = (app["client_id"], app["client_secret"])
        assert _token(a, form, secret).status_code == 200
        replayed = _token(b, form, secret)
        assert (replayed.status_code, replayed.json()["error"]) == (400, "invalid_grant"), replayed.text
        assert "used before" in replayed.json()["error_description"]

        machine = add_live_client(a, "Deploy agent", "--machine", "--jwks", str(jwks))
        now = int(time.time())
        claims = {"iss": machine["client_id"], "sub": machine["client_id"], "aud": public}
        claims |= {"iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
        signed = jwt.encode({"alg": "RS256"}, claims, key)
        form = {"grant_type": "client_credentials", "client_assertion_type": CLIENT_ASSERTION}
        form |= {"client_assertion": signed}
        assert _token(a, form).status_code == 200
        replayed = _token(b, form)
        assert (replayed.status_code, replayed.json()["error"]) == (401, "invalid_client"), replayed.text
        print(f"\nshared store {'Redis' if redis else 'PostgreSQL'}: A took both, B refused both replays")


def _token(app: LiveApp, form: dict[str, str], auth: tuple[str, str] | None = None) -> requests.Response:
    headers = {"Connection": "close"}  # a fresh connection: any worker
    return requests.post(f"{app.base_url}/oauth/token", data=form, auth=auth, headers=headers, timeout=HTTP_TIMEOUT)
