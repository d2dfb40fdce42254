"""Who is an operator: a verified address in ADMIN_EMAILS, or ADMIN_ROLE in the provider's ADMIN_ROLE_CLAIM."""

from __future__ import annotations

import pytest

from app.auth import operators
from app.auth.operators import roles_in
from config import ConfigError
from tests.auth.test_oidc import sign_in
from tests.conftest import AuthActions


def test_an_address_in_admin_emails_makes_an_operator_whatever_its_case(make_app):
    app = make_app(ADMIN_EMAILS="Ops@Example.test, other@example.test")
    operator, person = app.test_client(), app.test_client()
    AuthActions(operator).dev_sign_in("Olga", "ops@example.TEST")
    AuthActions(person).dev_sign_in("Ada", "ada@example.test")
    assert operator.get("/admin/").status_code == 200
    assert 'href="/admin/"' in operator.get("/").text
    refused = person.get("/admin/")
    assert refused.status_code == 403 and "operators of this server" in refused.text
    assert 'href="/admin/"' not in person.get("/").text


def test_nobody_is_an_operator_by_default_and_strangers_sign_in_first(make_app):
    app = make_app()
    assert app.test_client().get("/admin/").location.startswith("/auth/login?next=/admin/")
    client = app.test_client()
    AuthActions(client).dev_sign_in("Ada", "ada@example.test")
    assert client.get("/admin/").status_code == 403


def test_an_address_taken_out_of_the_settings_stops_at_once(make_app):
    app = make_app(ADMIN_EMAILS="ops@example.test")
    client = app.test_client()
    AuthActions(client).dev_sign_in("Olga", "ops@example.test")
    assert client.get("/admin/").status_code == 200
    app.config["ADMIN_EMAILS"] = []  # what a restart with the address removed reads
    assert client.get("/admin/").status_code == 403


def test_a_role_from_the_providers_claims_makes_an_operator(make_app, oidc_settings):
    app = make_app(**oidc_settings, ADMIN_ROLE_CLAIM="groups", ADMIN_ROLE="mcp-admins")
    operator, person = app.test_client(), app.test_client()
    assert operator.get(sign_in(operator, "ops.grace")).location == "/auth/success"
    assert person.get(sign_in(person, "alice.smith")).location == "/auth/success"  # in "staff" only
    assert operator.get("/admin/").status_code == 200
    assert person.get("/admin/").status_code == 403


def test_an_address_the_provider_did_not_verify_proves_nothing(make_app, oidc_settings):
    app = make_app(**oidc_settings, ADMIN_EMAILS="unverified.bob@example.test,alice.smith@example.test")
    claimed, verified = app.test_client(), app.test_client()
    claimed.get(sign_in(claimed, "unverified.bob"))
    verified.get(sign_in(verified, "alice.smith"))
    assert claimed.get("/admin/").status_code == 403
    assert verified.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("name", "claims", "roles"),
    [
        ("groups", {"groups": ["staff", "mcp-admins"]}, ("staff", "mcp-admins")),
        ("roles", {"roles": "reader mcp-admins"}, ("reader", "mcp-admins")),
        ("realm_access.roles", {"realm_access": {"roles": ["mcp-admins"]}}, ("mcp-admins",)),
        ("https://example.com/roles", {"https://example.com/roles": ["mcp-admins"]}, ("mcp-admins",)),
        ("realm_access.roles", {"realm_access": ["not", "a", "mapping"]}, ()),
        ("groups", {"groups": {"unexpected": "shape"}}, ()),
        ("groups", {}, ()),
    ],
)
def test_the_role_claim_is_read_flat_nested_or_namespaced(app, name, claims, roles):
    with app.app_context():
        app.config["ADMIN_ROLE_CLAIM"] = name
        assert roles_in(claims) == roles


def test_a_role_only_in_the_user_info_is_read(make_app, oidc_settings):
    """The test provider gives "infoops." logins their groups in its user info response, not in the ID token."""
    app = make_app(**oidc_settings, ADMIN_ROLE_CLAIM="groups", ADMIN_ROLE="mcp-admins")
    client = app.test_client()
    client.get(sign_in(client, "infoops.grace"))
    assert client.get("/admin/").status_code == 200


def test_an_operator_signs_in_again_after_a_while(make_app):
    """The session lives on while it is used; what made an operator is trusted only OPERATOR_HOURS from the sign-in
    that proved it (a role taken away at the provider must end)."""
    app = make_app(ADMIN_EMAILS="ops@example.test")
    client = app.test_client()
    AuthActions(client).dev_sign_in("Olga", "ops@example.test")
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session[operators.SIGNED_IN_AT] -= operators.OPERATOR_HOURS * 3600 + 1
    refused = client.get("/admin/")
    assert refused.status_code == 403 and "sign in again" in refused.text
    assert 'href="/admin/"' not in client.get("/").text


def test_a_person_in_many_groups_keeps_the_role(app):
    with app.app_context():
        app.config |= {"ADMIN_ROLE_CLAIM": "groups", "ADMIN_ROLE": "mcp-admins"}
        groups = [f"team-{number}" for number in range(500)] + ["mcp-admins"]
        assert operators.holds_role({"groups": groups})
        assert not operators.holds_role({"groups": [True, 1, "mcp-admin"]})


def test_a_role_claim_needs_its_role(make_app):
    with pytest.raises(ConfigError, match="ADMIN_ROLE_CLAIM and ADMIN_ROLE go together"):
        make_app(ADMIN_ROLE_CLAIM="groups")
