"""Personal access tokens and connected apps: pages and command line."""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.extensions import db
from app.oauth import personal, registration, scopes
from app.oauth.models import Token
from config import ConfigError
from tests.conftest import AuthActions, csrf_token
from tests.oauth.conftest import OAuthActions


def new_token(client, name: str = "script", scope: str = "mcp", days: str = "30"):
    page = client.get("/account/tokens")
    return client.post(
        "/account/tokens", data={"csrf_token": csrf_token(page.text), "name": name, "scope": scope, "days": days}
    )


def ping(client, value: str):
    return client.post(
        "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"Authorization": f"Bearer {value}"}
    )


def test_create_use_and_revoke_a_personal_token(app):
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    created = new_token(client)
    assert created.status_code == 201
    value = re.search(r'id="new-token"[^>]*value="([^"]+)"', created.text).group(1)
    assert value.startswith("mcp_pat_")
    assert ping(client, value).status_code == 200
    listing = client.get("/account/tokens").text
    assert "script" in listing and value not in listing  # shown once only
    token_id = re.search(r"/account/tokens/(\d+)/revoke", listing).group(1)
    revoke = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(listing)})
    assert revoke.status_code == 302
    assert ping(client, value).status_code == 401


def test_bad_lifetime_and_foreign_revocation(app):
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    assert new_token(client, days="999").status_code == 302  # refused, with a message
    assert "between 1 and 365 days" in client.get("/account/tokens").text
    other = app.test_client()
    AuthActions(other).dev_sign_in(name="Eve", email="eve@example.test")
    new_token(client)
    token_id = re.search(r"/account/tokens/(\d+)/revoke", client.get("/account/tokens").text).group(1)
    page = other.get("/account/tokens")
    assert (
        other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page.text)}).status_code == 404
    )


@pytest.mark.parametrize("scope", ["*", "mcp *", "admin:*", "mcp root", "notes:write:all"])
def test_personal_tokens_take_only_the_scopes_the_server_knows(oauth_app, scope):
    """A `* admin` token once called an admin tool: `*` is what the browser session holds, never a token."""
    client = oauth_app.test_client()
    AuthActions(client).dev_sign_in()
    assert new_token(client, scope=scope).status_code == 302  # refused, with a message
    assert "not a scope this server knows" in client.get("/account/tokens").text
    created = oauth_app.test_cli_runner().invoke(
        args=["tokens", "create", "--user", "ada@example.test", "--scope", scope]
    )
    assert created.exit_code != 0 and "not a scope this server knows" in created.output
    assert new_token(client, scope="mcp notes:write admin").status_code == 201


def test_a_wildcard_stored_before_the_check_grants_nothing(oauth_app):
    client = oauth_app.test_client()
    AuthActions(client).dev_sign_in()
    value = re.search(r'id="new-token"[^>]*value="([^"]+)"', new_token(client).text).group(1)
    with oauth_app.app_context():
        db.session.execute(update(Token).values(scope="mcp * admin:*"))
        db.session.commit()
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "shut_down", "arguments": {}}}
    assert client.post("/mcp", json=call, headers={"Authorization": f"Bearer {value}"}).status_code == 403


def test_personal_token_lifetime_has_a_configurable_maximum(make_app):
    client = make_app(PERSONAL_TOKEN_MAX_DAYS="7").test_client()
    AuthActions(client).dev_sign_in()
    assert new_token(client, days="8").status_code == 302
    assert "between 1 and 7 days" in client.get("/account/tokens").text
    assert new_token(client, days="7").status_code == 201


def test_cli_tokens(app):
    AuthActions(app.test_client()).dev_sign_in(email="ada@example.test")
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["tokens", "create", "--user", "ada@example.test", "--resource", "http://localhost/mcp"]
    )
    assert created.exit_code == 0, created.output
    value = created.stdout.strip().splitlines()[-1]
    assert ping(app.test_client(), value).status_code == 200
    listed = runner.invoke(args=["tokens", "list"]).output
    assert "command line" in listed and value not in listed
    token_id = listed.split()[0]
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert "no personal token" in runner.invoke(args=["tokens", "revoke", "999"]).output
    assert "no user" in runner.invoke(args=["tokens", "create", "--user", "x@y.z"]).output


def test_a_client_id_that_starts_with_a_dash_is_revoked_from_the_cli(oauth_app, oauth, monkeypatch):
    """Client ids are URL-safe base64, which may begin with "-": the command takes it as the id, not an option."""
    real = secrets.token_urlsafe
    dashed_ids = SimpleNamespace(token_urlsafe=lambda size: "-" + "x" * 31 if size == 24 else real(size))
    monkeypatch.setattr(registration, "secrets", dashed_ids)
    dashed = OAuthActions(oauth.client)
    dashed.register(client_name="Dashed")
    dashed.tokens()
    assert dashed.client_id.startswith("-")
    result = oauth_app.test_cli_runner().invoke(args=["clients", "revoke", dashed.client_id])
    assert result.exit_code == 0 and "revoked 1 token(s)" in result.output, result.output


def test_connected_apps_page_and_cli(oauth_app, oauth):
    tokens = oauth.tokens()
    page = oauth.client.get("/account/apps")
    assert "Test client" in page.text and "mcp" in page.text
    revoke = oauth.client.post(
        "/account/apps/revoke", data={"csrf_token": csrf_token(page.text), "client_id": oauth.client_id}
    )
    listed = oauth.client.get("/account/apps").text.split("Connection history")[0]  # the history still tells
    assert revoke.status_code == 302 and "Test client" not in listed
    assert oauth.call(tokens["access_token"]).status_code == 401
    runner = oauth_app.test_cli_runner()
    second = OAuthActions(oauth.client)
    second.register(client_name="Second")
    second.tokens()
    assert "Second" in runner.invoke(args=["clients", "list"]).output
    result = runner.invoke(args=["clients", "revoke", second.client_id])
    assert result.exit_code == 0 and "revoked 1 token(s)" in result.output
    assert "no client" in runner.invoke(args=["clients", "revoke", "nope"]).output


@pytest.mark.parametrize("days", ["0", "99999999999"])
def test_a_maximum_lifetime_out_of_range_stops_start_up(make_app, days):
    with pytest.raises(ConfigError, match="PERSONAL_TOKEN_MAX_DAYS"):
        make_app(PERSONAL_TOKEN_MAX_DAYS=days)


def test_the_tokens_page_offers_known_scopes_and_dates(oauth_app, oauth):
    page = oauth.client.get("/account/tokens").text
    assert 'type="checkbox" name="scope" value="notes:write"' in page and 'name="scope" value="mcp"' in page
    form = {"csrf_token": csrf_token(page), "name": "two scopes", "days": "30", "scope": ["mcp", "notes:write"]}
    created = oauth.client.post("/account/tokens", data=form)
    assert created.status_code == 201
    listed = oauth.client.get("/account/tokens").text
    assert "Created" in listed and "Last used" in listed and "Expires" in listed
    assert ">notes:write</span>" in listed


def test_revocation_says_when_it_takes_effect(make_app, redis_url):
    for settings, words in (({}, "within 30 seconds"), ({"REDIS_URL": redis_url}, "at once")):
        app = make_app(**settings)
        client = app.test_client()
        AuthActions(client).dev_sign_in()
        page = client.get("/account/tokens").text
        client.post("/account/tokens", data={"csrf_token": csrf_token(page), "name": "t", "days": "1"})
        with app.app_context():
            token_id = personal.of_user()[0].id
        page = client.get("/account/tokens").text
        client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)})
        assert words in client.get("/account/tokens").text, settings


def test_scopes_are_described_in_words_once_for_every_page(oauth_app, oauth):
    with oauth_app.app_context():
        described = {scope: scopes.describe(scope) for scope in scopes.supported()}
    assert described["mcp"].startswith("use this server's tools")
    assert described["notes:write"] == "what write_note needs"
    assert described["notes"] == "everything under notes: notes:write"
    assert described["admin"].startswith("what ") and "shut_down" in described["admin"]
    assert described["notes:write"] in oauth.client.get("/account/tokens").text
    consent = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params(scope="mcp notes:write")).text
    assert described["notes:write"] in consent and "use this server&#39;s tools" in consent
