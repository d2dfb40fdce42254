"""Connected accounts: a tool sends the person to connect an account at a second provider (the real test OpenID
provider), the flow keeps its token encrypted for them, and the tool's call goes on."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.auth import upstream
from app.auth.upstream import UpstreamToken
from app.auth.users import Profile, upsert_user
from app.extensions import db
from config.checks import ConfigError
from tests.conftest import AuthActions, csrf_token
from tests.support.mcp_client import McpActions
from tests.support.oidc import sign_in_at_provider

TOOL = "whoami_elsewhere"
URL_MODE = {"elicitation": {"form": {}, "url": {}}}
NEW_TOKEN = 'id="new-token" class="token" readonly value="'


@pytest.fixture
def connection_settings(oidc_provider) -> dict[str, str]:
    """Sign-in with the development form; the test OpenID provider as the service "elsewhere" to connect."""
    return {
        "MCP_TOOL_PACKAGES": "app.tools",
        "MCP_CLIENT_TIMEOUT": "20",
        "CONNECTION_PROVIDERS": "elsewhere",
        "OAUTH_ELSEWHERE_TYPE": "oidc",
        "OAUTH_ELSEWHERE_ISSUER": oidc_provider.issuer,
        "OAUTH_ELSEWHERE_CLIENT_ID": oidc_provider.client_id,
        "OAUTH_ELSEWHERE_CLIENT_SECRET": oidc_provider.client_secret,
        "UPSTREAM_TOKEN_KEY": Fernet.generate_key().decode(),
    }


@pytest.fixture
def connection_app(make_app, connection_settings):
    return make_app(**connection_settings)


def signed_in(app, email: str = "ada@example.test"):
    """A browser signed in as a person (dev form), and an MCP client with a personal token of theirs."""
    browser = app.test_client()
    AuthActions(browser).dev_sign_in(name=email.split("@")[0], email=email)
    page = browser.get("/account/tokens")
    created = browser.post(
        "/account/tokens", data={"name": "t", "scope": "mcp", "days": "1", "csrf_token": csrf_token(page.text)}
    )
    token = created.text.split(NEW_TOKEN, 1)[1].split('"', 1)[0]
    return browser, McpActions(app.test_client(), token)


def call(mcp: McpActions, **params) -> dict:
    arguments = {"name": TOOL, "arguments": {"service": "elsewhere"}} | params
    return mcp.modern("tools/call", arguments, capabilities=URL_MODE).get_json()["result"]


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def connect(browser, url: str, login: str = "bob") -> str:
    """Open the page a tool sent the person to, connect at the provider, and return the page it ends on."""
    page = browser.get(local(url))
    assert page.status_code == 200, page.text
    # The button's post is answered by a redirect to the provider: the page's policy lets the form go there only.
    (form_action,) = [d for d in page.headers["Content-Security-Policy"].split("; ") if d.startswith("form-action")]
    service = browser.application.config["CONNECTION_PROVIDERS"][0]
    issuer = urlsplit(service.server_metadata_url)
    assert form_action == f"form-action 'self' {issuer.scheme}://{issuer.netloc}"
    form = {"csrf_token": csrf_token(page.text)} | parse_qs(urlsplit(url).query)
    started = browser.post(urlsplit(url).path, data={key: value[0] if isinstance(value, list) else value
                                                      for key, value in form.items()})  # fmt: skip
    assert started.status_code == 302, started.text
    authorize = parse_qs(urlsplit(started.location).query)
    assert authorize["code_challenge_method"] == ["S256"] and authorize["state"] and authorize["nonce"]
    assert authorize["redirect_uri"] == ["http://localhost/connections/elsewhere/callback"]
    back = sign_in_at_provider(requests.Session(), started.location, login)
    return browser.get(local(back)).text


def test_a_tool_sends_the_person_to_connect_and_goes_on(connection_app):
    browser, mcp = signed_in(connection_app)
    first = call(mcp)
    assert first["resultType"] == "input_required"
    question = first["inputRequests"]["connect-elsewhere"]["params"]
    assert question["mode"] == "url" and question["url"].startswith("http://localhost/connections/elsewhere?")
    assert "Connect" in question["message"]
    finished = connect(browser, question["url"])
    assert "goes on now" in finished
    done = call(mcp, requestState=first["requestState"], inputResponses={"connect-elsewhere": {"action": "accept"}})
    assert done["structuredContent"]["sub"] == "bob" and not done.get("isError")
    again = call(mcp)  # kept: no question this time
    assert again["resultType"] == "complete" and again["structuredContent"]["sub"] == "bob"
    with connection_app.app_context():
        (row,) = db.session.scalars(select(UpstreamToken)).all()
        assert row.provider == "elsewhere" and "access_token" not in row.encrypted  # kept encrypted


def test_the_account_page_lists_and_removes_the_connection(connection_app):
    browser, mcp = signed_in(connection_app)
    assert "not connected" in browser.get("/account/connections").text
    page = browser.get("/account/connections")
    assert "Accounts" in page.text and page.headers["Cache-Control"] == "no-store"  # in the navigation; not cached
    connect(browser, "http://localhost/connections/elsewhere")
    listed = browser.get("/account/connections").text
    assert "connected <time" in listed
    removed = browser.post("/account/connections/elsewhere/remove", data={"csrf_token": csrf_token(listed)})
    assert removed.status_code == 302
    assert "not connected" in browser.get("/account/connections").text
    assert call(mcp)["resultType"] == "input_required"  # asked again
    assert (
        browser.post("/account/connections/elsewhere/remove", data={"csrf_token": csrf_token(listed)}).status_code
        == 404
    )


def test_another_person_cannot_use_the_link(connection_app):
    _, mcp = signed_in(connection_app)
    url = call(mcp)["inputRequests"]["connect-elsewhere"]["params"]["url"]
    eve, _ = signed_in(connection_app, "eve@example.test")
    refused = eve.get(local(url))
    assert refused.status_code == 403 and "made for another person" in refused.text
    form = {"csrf_token": csrf_token(eve.get("/account/tokens").text)} | {
        "elicitation": parse_qs(urlsplit(url).query)["elicitation"][0]
    }
    assert eve.post("/connections/elsewhere", data=form).status_code == 403


def test_a_callback_this_browser_did_not_start_keeps_nothing(connection_app):
    browser, _ = signed_in(connection_app)
    failed = browser.get("/connections/elsewhere/callback?code=x&state=y", follow_redirects=True)
    assert "answered a connection this browser did not start" in failed.text
    with connection_app.app_context():
        assert db.session.scalars(select(UpstreamToken)).all() == []


def test_a_declined_connection_ends_the_call_plainly(connection_app):
    _, mcp = signed_in(connection_app)
    first = call(mcp)
    declined = call(
        mcp, requestState=first["requestState"], inputResponses={"connect-elsewhere": {"action": "decline"}}
    )
    assert declined["isError"] and "not connected" in declined["content"][0]["text"]


def test_pages_need_a_signed_in_person_and_a_known_provider(connection_app):
    anonymous = connection_app.test_client()
    assert anonymous.get("/connections/elsewhere").location.startswith("/auth/login")
    browser, _ = signed_in(connection_app)
    assert browser.get("/connections/nowhere").status_code == 404


def test_settings_are_checked_at_start_up(make_app, connection_settings):
    without_key = connection_settings | {"UPSTREAM_TOKEN_KEY": ""}
    with pytest.raises(ConfigError, match="CONNECTION_PROVIDERS needs UPSTREAM_TOKEN_KEY"):
        make_app(**without_key)
    with pytest.raises(ConfigError, match="'elsewhere' has no client_secret"):
        make_app(**connection_settings | {"OAUTH_ELSEWHERE_CLIENT_SECRET": ""})
    clash = connection_settings | {"OAUTH_PROVIDERS": "elsewhere"}
    with pytest.raises(ConfigError, match="both a sign-in and a connection provider"):
        make_app(**clash)


def test_an_expired_token_of_a_connected_account_is_refreshed(connection_app, oidc_provider):
    browser, mcp = signed_in(connection_app)
    connect(browser, "http://localhost/connections/elsewhere")
    with connection_app.app_context():
        (row,) = db.session.scalars(select(UpstreamToken)).all()
        row.expires_at = int(time.time()) - 10  # expired at the provider
        db.session.commit()
    refreshes = oidc_provider.refreshes()["succeeded"]
    result = call(mcp)
    assert result["resultType"] == "complete" and not result.get("isError"), result
    assert result["structuredContent"]["sub"] == "bob"
    assert oidc_provider.refreshes()["succeeded"] == refreshes + 1


def test_a_call_that_needs_two_services_asks_for_each(make_app, connection_settings, oidc_provider):
    beta = {f"OAUTH_BETA_{name}": connection_settings[f"OAUTH_ELSEWHERE_{name}"]
            for name in ("TYPE", "ISSUER", "CLIENT_ID", "CLIENT_SECRET")}  # fmt: skip
    both = {"CONNECTION_PROVIDERS": "elsewhere,beta", "MCP_TOOL_PACKAGES": "app.tools,tests.mcp_fixtures"}
    app = make_app(**connection_settings | beta | both)
    browser, mcp = signed_in(app)
    params = {"name": "test_two_services", "arguments": {}}
    first = call(mcp, **params)
    (key,) = first["inputRequests"]
    connect(browser, first["inputRequests"][key]["params"]["url"])
    second = call(mcp, **params, requestState=first["requestState"], inputResponses={key: {"action": "accept"}})
    assert second["resultType"] == "input_required", second
    (other,) = second["inputRequests"]
    assert "/connections/beta?" in second["inputRequests"][other]["params"]["url"]


def test_a_link_finishes_only_what_it_was_made_for(make_app, connection_settings):
    """An elicitation made for another page (here the fixture's /finish) cannot be finished by connecting an
    account, even by its own person: a client could show one page's link with another's elicitation."""
    app = make_app(**connection_settings | {"MCP_TOOL_PACKAGES": "app.tools,tests.mcp_fixtures"})
    browser, mcp = signed_in(app)
    asked = mcp.modern("tools/call", {"name": "test_url_elicitation", "arguments": {}}, capabilities=URL_MODE)
    elicitation = parse_qs(urlsplit(asked.get_json()["result"]["inputRequests"]["url"]["params"]["url"]).query)
    misused = browser.get(f"/connections/elsewhere?elicitation={elicitation['elicitation'][0]}")
    assert misused.status_code == 403 and "made for another person" in misused.text


def test_a_call_waiting_for_the_person_holds_no_database_connection(connection_app):
    """The wait lasts minutes: what the tool read before it (the missing token) must not keep a connection."""
    browser, mcp = signed_in(connection_app)
    first = call(mcp)
    question = first["inputRequests"]["connect-elsewhere"]["params"]
    answers = {"requestState": first["requestState"], "inputResponses": {"connect-elsewhere": {"action": "accept"}}}
    results: list[dict] = []
    waiting = threading.Thread(target=lambda: results.append(call(mcp, **answers)))
    waiting.start()
    time.sleep(1.5)  # the retried call is waiting for the page now
    with connection_app.app_context():
        held = db.engine.pool.checkedout()
    connect(browser, question["url"])
    waiting.join(timeout=30)
    assert results and results[0]["structuredContent"]["sub"] == "bob"
    assert held == 0, f"{held} database connection(s) held while waiting"


def test_the_page_allows_the_provider_however_its_address_is_spelled(make_app, connection_settings):
    spelled = {"OAUTH_ELSEWHERE_AUTHORIZATION_URL": "https://Login.Example.COM:8443/oauth/authorize"}
    browser, _ = signed_in(make_app(**connection_settings | spelled))
    page = browser.get("/connections/elsewhere")
    assert page.status_code == 200
    assert "form-action 'self' https://login.example.com:8443;" in page.headers["Content-Security-Policy"] + ";"


def test_a_forged_callback_does_not_end_the_flow_in_progress(connection_app):
    """A page that sends the browser to the callback with a code of its own is refused, and the person's own
    flow, started before, still finishes."""
    browser, _ = signed_in(connection_app)
    page = browser.get("/connections/elsewhere")
    started = browser.post("/connections/elsewhere", data={"csrf_token": csrf_token(page.text)})
    forged = browser.get("/connections/elsewhere/callback?code=attacker&state=attacker", follow_redirects=True)
    assert "answered a connection this browser did not start" in forged.text
    back = sign_in_at_provider(requests.Session(), started.location, "bob")
    assert "Your elsewhere account is connected" in browser.get(local(back)).text


def test_a_flow_finishes_only_for_the_person_who_started_it(connection_app):
    browser, _ = signed_in(connection_app)
    page = browser.get("/connections/elsewhere")
    started = browser.post("/connections/elsewhere", data={"csrf_token": csrf_token(page.text)})
    AuthActions(browser).dev_sign_in(name="eve", email="eve@example.test")  # another person, same browser
    back = sign_in_at_provider(requests.Session(), started.location, "bob")
    failed = browser.get(local(back), follow_redirects=True)
    assert "The connection to elsewhere failed" in failed.text
    with connection_app.app_context():
        assert db.session.scalars(select(UpstreamToken)).all() == []


def test_the_sign_in_providers_token_stays_the_default(connection_app):
    """upstream_token(user) without a provider means the provider the person signs in with, never a service they
    connected afterwards (both are kept in the same table)."""
    with connection_app.app_context():
        user = upsert_user("dev", Profile(subject="ada@example.test", email="ada@example.test", name="Ada"))
        upstream.save(user.id, "dev", {"access_token": "signed-in-token", "expires_in": 3600})
        upstream.save(user.id, "elsewhere", {"access_token": "connected-token", "expires_in": 3600})
        assert upstream.upstream_token(user.id) == "signed-in-token"
        assert upstream.upstream_token(user.id, "elsewhere") == "connected-token"
