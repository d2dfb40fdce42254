"""Enterprise-managed authorization (app/oauth/enterprise.py): ID-JAGs from the real test OpenID provider.

The provider issues ID-JAGs through its RFC 8693 token exchange, from an ID token it gave its
own client; this server takes them at /oauth/token with the jwt-bearer grant. Each refusal the
draft and the MCP extension name is tried, with the error it must give.
"""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from app.auth.users import User
from app.extensions import db
from tests.auth.test_oidc import sign_in
from tests.support.mcp_http import call_in_process
from tests.support.operator_clients import add_client as add

ISSUER = "http://localhost"  # this server's, under the test client
RESOURCE = "http://localhost/mcp"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
def enterprise(make_app, oidc_settings, oidc_provider):
    """An app whose sign-in provider opted in, an app allowed ID-JAGs, and the provider told its client id."""
    app = make_app(**oidc_settings, OAUTH_ENTERPRISE="true", MCP_TOOL_PACKAGES="app.tools,tests.oauth.scoped_tools")
    made = add(app, "Enterprise chat", "--id-jag", "--scope", "mcp notes:write")
    oidc_provider.map_client(ISSUER, made["client_id"])
    return app, made


def claims_for(client: str, **changes) -> dict:
    """The claims of a good ID-JAG for `client`, with `changes` (None removes a claim)."""
    now = int(time.time())
    claims = {"iss": None, "sub": "dana", "aud": ISSUER, "resource": RESOURCE, "client_id": client}
    claims |= {"jti": str(uuid.uuid4()), "iat": now, "exp": now + 300, "scope": "mcp"}
    return {key: value for key, value in (claims | changes).items() if value is not None}


def present(app, made: dict, assertion: str, **form):
    data = {"grant_type": JWT_BEARER, "assertion": assertion, "resource": RESOURCE, **form}
    return app.test_client().post("/oauth/token", data=data, auth=(made["client_id"], made["client_secret"]))


def signed(provider, made: dict, **changes) -> str:
    return provider.sign(claims_for(made["client_id"], iss=provider.issuer, **changes))


def test_an_id_jag_from_the_providers_exchange_reaches_tools(enterprise, oidc_provider):
    app, made = enterprise
    jag = oidc_provider.id_jag(oidc_provider.id_token("erin"), ISSUER, RESOURCE, scope="mcp")
    response = present(app, made, jag)
    assert response.status_code == 200, response.text
    assert response.json["token_type"] == "Bearer" and response.json["scope"] == "mcp"
    assert response.json["resource"] == RESOURCE and "refresh_token" not in response.json
    assert response.headers["Cache-Control"] == "no-store"
    caller = call_in_process(app.test_client(), response.json["access_token"]).json["result"]["structuredContent"]
    assert caller["email"] == "erin@example.test" and caller["machine"] is False
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(provider="oidc", subject="erin"))
        assert caller["subject"] == f"user:{user.id}"


def test_the_person_is_the_one_who_signs_in_with_that_provider(enterprise, oidc_provider):
    app, made = enterprise
    browser = app.test_client()
    assert browser.get(sign_in(browser, "frank")).location == "/auth/success"
    assert present(app, made, signed(oidc_provider, made, sub="frank")).status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(User).filter_by(subject="frank")).all()) == 1
    page = browser.get("/account/apps").text
    assert "Enterprise chat" in page  # the grant shows on their connected apps


def test_the_person_revokes_it_on_their_connected_apps(enterprise, oidc_provider):
    app, made = enterprise
    browser = app.test_client()
    browser.get(sign_in(browser, "gina"))
    access = present(app, made, signed(oidc_provider, made, sub="gina")).json["access_token"]
    assert call_in_process(app.test_client(), access).status_code == 200
    page = browser.get("/account/apps").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = browser.post("/account/apps/revoke", data={"client_id": made["client_id"], "csrf_token": token})
    assert answer.status_code == 302
    assert "identity provider lets this app in" in browser.get("/account/apps").text
    assert call_in_process(app.test_client(), access).status_code == 401


def people_of(app) -> dict[str, int]:
    with app.app_context():
        return {user.subject: user.id for user in db.session.scalars(select(User).filter_by(provider="oidc"))}


def test_a_verified_email_links_a_new_subject_to_the_person_with_it(enterprise, oidc_provider):
    """Only when both addresses were verified: the ID-JAG's, and the person's own at their last sign-in."""
    app, made = enterprise
    with app.app_context():
        db.session.add(User(provider="oidc", subject="pairwise-1", email="Hal@example.test", email_verified=True))
        db.session.add(User(provider="elsewhere", subject="h", email="hal@example.test", email_verified=True))
        db.session.add(User(provider="oidc", subject="pairwise-2", email="ivy@example.test", email_verified=False))
        db.session.commit()
    jag = signed(oidc_provider, made, sub="hal-2", email="hal@example.test", email_verified=True)
    assert present(app, made, jag).status_code == 200
    unverified = signed(oidc_provider, made, sub="hal-3", email="hal@example.test", email_verified=False)
    assert present(app, made, unverified).status_code == 200
    theirs_unverified = signed(oidc_provider, made, sub="ivy-2", email="ivy@example.test", email_verified=True)
    assert present(app, made, theirs_unverified).status_code == 200
    people = people_of(app)
    assert "hal-2" not in people  # linked to pairwise-1, of the same provider
    assert {"hal-3", "ivy-2"} <= set(people)  # an unverified address on either side links nothing


def test_an_address_claimed_unverified_first_is_not_taken_over(enterprise, oidc_provider):
    """Someone presents an ID-JAG with another's address, unverified; the owner's verified one is not linked to it."""
    app, made = enterprise
    squat = signed(oidc_provider, made, sub="mallory", email="ceo@example.test", email_verified=False)
    assert present(app, made, squat).status_code == 200
    owner = signed(oidc_provider, made, sub="ceo", email="ceo@example.test", email_verified=True)
    assert present(app, made, owner).status_code == 200
    people = people_of(app)
    assert people["ceo"] != people["mallory"]


@pytest.mark.parametrize(
    ("changes", "header", "why"),
    [
        ({"aud": "https://other-server.example"}, {}, "audience"),
        ({"aud": [ISSUER, "https://other-server.example"]}, {}, "audience"),
        ({"resource": "https://other-server.example/mcp"}, {}, "not this server's"),
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, {}, "expired"),
        ({"client_id": "someone-else"}, {}, "another client"),
        ({"iss": "https://untrusted.example"}, {}, "not one this server trusts"),
        ({}, {"kid": "never-published"}, "does not publish"),
        ({}, {"typ": "JWT"}, "typ"),
        ({"jti": None}, {}, "lacks a claim"),
        ({"resource": None}, {}, "lacks a claim"),
        ({"exp": int(time.time()) + 7200}, {}, "too long"),
    ],
)
def test_refusals_are_invalid_grant_with_a_reason(enterprise, oidc_provider, changes, header, why):
    app, made = enterprise
    jag = oidc_provider.sign(claims_for(made["client_id"], **{"iss": oidc_provider.issuer, **changes}), **header)
    response = present(app, made, jag)
    assert (response.status_code, response.json["error"]) == (400, "invalid_grant"), response.text
    assert why in response.json["error_description"]


def test_a_replayed_id_jag_is_refused(enterprise, oidc_provider):
    app, made = enterprise
    jag = signed(oidc_provider, made)
    assert present(app, made, jag).status_code == 200
    again = present(app, made, jag)
    assert (again.status_code, again.json["error"]) == (400, "invalid_grant")
    assert "used before" in again.json["error_description"]


def test_a_refused_id_jag_can_still_be_taken_once_fixed_elsewhere(enterprise, oidc_provider):
    """A refusal must not mark the jti: only a taken ID-JAG is used."""
    app, made = enterprise
    jti = str(uuid.uuid4())
    assert present(app, made, signed(oidc_provider, made, jti=jti, aud="https://x.example")).status_code == 400
    assert present(app, made, signed(oidc_provider, made, jti=jti)).status_code == 200


def test_scopes_beyond_the_clients(enterprise, oidc_provider):
    app, made = enterprise
    wide = signed(oidc_provider, made, scope="mcp notes:write admin")
    assert present(app, made, wide).json["scope"] == "mcp notes:write"  # what the client may not have is dropped
    asked = present(app, made, signed(oidc_provider, made, scope="mcp admin"), scope="admin")
    assert (asked.status_code, asked.json["error"]) == (400, "invalid_scope")
    beyond_grant = present(app, made, signed(oidc_provider, made, scope="mcp"), scope="notes:write")
    assert (beyond_grant.status_code, beyond_grant.json["error"]) == (400, "invalid_scope")
    assert "did not grant" in beyond_grant.json["error_description"]


@pytest.mark.parametrize(
    ("scope", "granted"),
    [(None, "mcp"), ("admin", "mcp"), ("openid profile", "mcp"), (["mcp", "notes:write"], "mcp notes:write")],
)
def test_the_grant_never_exceeds_the_id_jags_scope(enterprise, oidc_provider, scope, granted):
    """Without a scope claim, or with none the client may have, the base scope only: never all the client's."""
    app, made = enterprise
    response = present(app, made, signed(oidc_provider, made, scope=scope))
    assert (response.status_code, response.json.get("scope")) == (200, granted), response.text


@pytest.mark.parametrize("scope", [5, {"a": 1}, ["mcp", 5]])
def test_a_scope_claim_of_another_type_is_refused(enterprise, oidc_provider, scope):
    app, made = enterprise
    response = present(app, made, signed(oidc_provider, made, scope=scope))
    assert (response.status_code, response.json["error"]) == (400, "invalid_grant")


def test_an_id_jag_refused_for_its_scope_is_not_used_up(enterprise, oidc_provider):
    app, made = enterprise
    jag = signed(oidc_provider, made, scope="mcp")
    assert present(app, made, jag, scope="notes:write").json["error"] == "invalid_scope"
    assert present(app, made, jag).status_code == 200


def test_a_far_future_exp_is_a_refusal_not_an_error(enterprise, oidc_provider):
    app, made = enterprise
    for exp in (10**300, int(time.time()) + 10**12):  # 10**300: a number JavaScript can sign
        response = present(app, made, signed(oidc_provider, made, exp=exp))
        assert (response.status_code, response.json["error"]) == (400, "invalid_grant"), response.text


def test_the_client_must_authenticate_and_be_allowed(enterprise, oidc_provider, make_app):
    app, made = enterprise
    jag = signed(oidc_provider, made)
    data = {"grant_type": JWT_BEARER, "assertion": jag, "client_id": made["client_id"]}
    anonymous = app.test_client().post("/oauth/token", data=data)
    assert (anonymous.status_code, anonymous.json["error"]) == (401, "invalid_client")
    machine = add(app, "Job", "--machine")
    other = app.test_client().post(
        "/oauth/token", data=data | {"client_id": machine["client_id"], "client_secret": machine["client_secret"]}
    )
    assert (other.status_code, other.json["error"]) == (400, "unauthorized_client")


def test_the_grant_is_advertised_only_when_a_provider_opted_in(enterprise, make_app, oidc_settings):
    app, _ = enterprise
    metadata = app.test_client().get("/.well-known/oauth-authorization-server").json
    assert JWT_BEARER in metadata["grant_types_supported"]
    assert metadata["authorization_grant_profiles_supported"] == ["urn:ietf:params:oauth:grant-profile:id-jag"]
    plain = make_app(**oidc_settings).test_client().get("/.well-known/oauth-authorization-server").json
    assert JWT_BEARER not in plain["grant_types_supported"]
    assert "authorization_grant_profiles_supported" not in plain


def test_a_rotated_provider_key_is_fetched(make_app, oidc_settings, monkeypatch, tmp_path):
    """The provider publishes a new key: the next ID-JAG signed with it fetches the keys again."""
    from app.oauth import jwks
    from tests.support.oidc import start_oidc_provider

    monkeypatch.setattr(jwks, "REFETCH_AFTER", 0.0)  # the once-a-minute bound, which its own test keeps
    with start_oidc_provider([]) as provider:
        settings = {**oidc_settings, "OAUTH_ISSUER": provider.issuer, "OAUTH_CLIENT_ID": provider.client_id}
        app = make_app(**settings | {"OAUTH_CLIENT_SECRET": provider.client_secret}, OAUTH_ENTERPRISE="true")
        made = add(app, "Enterprise chat", "--id-jag")
        assert present(app, made, signed(provider, made)).status_code == 200
        provider.rotate_keys()
        assert present(app, made, signed(provider, made)).status_code == 200


def test_enterprise_needs_an_openid_provider(make_app):
    from config.checks import ConfigError

    with pytest.raises(ConfigError, match="ENTERPRISE needs an OpenID Connect provider"):
        make_app(OAUTH_PROVIDER="github", OAUTH_CLIENT_ID="x", OAUTH_CLIENT_SECRET="y", OAUTH_ENTERPRISE="true")


def test_an_unreachable_provider_refuses_with_a_reason(make_app, oidc_settings):
    from tests.support.services import free_port

    app = make_app(**{**oidc_settings, "OAUTH_ISSUER": f"http://127.0.0.1:{free_port()}"}, OAUTH_ENTERPRISE="true")
    made = add(app, "Enterprise chat", "--id-jag")
    jag = "eyJhbGciOiJSUzI1NiIsInR5cCI6Im9hdXRoLWlkLWphZytqd3QifQ.eyJpc3MiOiJodHRwOi8veCJ9.c2ln"
    response = present(app, made, jag)
    assert (response.status_code, response.json["error"]) == (400, "invalid_grant")
    assert "not one this server trusts" in response.json["error_description"]
