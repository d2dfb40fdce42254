"""A person lets an MCP client in with Chromium, turns one down, revokes it, and makes a personal token.

The app runs under gunicorn with two workers on SQLite, with the dev sign-in. The client is
a public one registered over HTTP; nothing listens on its redirect URI: Playwright answers
the browser's navigation there, and the test reads the authorization response from its URL.
The client's own calls (token exchange, /mcp) go over HTTP with `requests`.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import services
from tests.support.browser import dev_sign_in
from tests.support.mcp_http import whoami, whoami_result
from tests.support.oauth_client import Pkce, PublicClient, query_of
from tests.support.servers import ROOT, LiveApp, sqlite_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

pytestmark = [pytest.mark.browser, pytest.mark.live]

ARTIFACTS = ROOT / "test-artifacts"
CLIENT_NAME = "Playwright Client"
PERSON_NAME = "Katherine Johnson"
PERSON_EMAIL = "katherine@example.test"
#: How long a worker trusts a verified token here (TOKEN_CACHE_SECONDS), and a margin past it.
TOKEN_CACHE_SECONDS = 1
CACHE_WAIT = 1.2


@dataclass(frozen=True)
class AppWithClient(LiveApp):
    """The app under gunicorn and the public client registered with it (its tokens are for the app's /mcp)."""

    client: PublicClient


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppWithClient]:
    """Start the app under gunicorn (-w 2) and register a public client whose redirect port is free."""
    port, redirect_port = services.free_port(), services.free_port()
    tmp = tmp_path_factory.mktemp("consent")
    with sqlite_app(tmp, port=port, TOKEN_CACHE_SECONDS=str(TOKEN_CACHE_SECONDS)) as app:
        client = PublicClient.register(app.base_url, f"http://127.0.0.1:{redirect_port}/callback", CLIENT_NAME)
        yield AppWithClient(**vars(app), client=client)


@pytest.fixture(scope="module")
def page(browser: Browser, deployment: AppWithClient) -> Iterator[Page]:
    """One signed-in person's tab; the client's redirect URI answers with a tiny page of its own."""
    context = browser.new_context()
    page = context.new_page()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(deployment.client.redirect_uri))
    page.route(f"{origin}/**", _answer_callback)
    dev_sign_in(page, deployment.base_url, PERSON_NAME, PERSON_EMAIL)
    yield page
    context.close()


def _answer_callback(route: Route) -> None:
    """Stand in for the client's redirect endpoint, which nothing serves."""
    route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Callback</title><p>Received.")


def open_consent(page: Page, deployment: AppWithClient, pkce: Pkce) -> None:
    """Open the client's authorization request in the browser: the consent page."""
    page.goto(deployment.client.authorization_url(deployment.base_url, pkce))
    page.get_by_role("heading", name=f"Allow {CLIENT_NAME} to use this server?").wait_for()


def decide(page: Page, deployment: AppWithClient, decision: str) -> dict[str, str]:
    """Click Allow or Deny; return the query of the authorization response at the redirect URI."""
    page.get_by_role("button", name=decision, exact=True).click()
    page.wait_for_url(f"{deployment.client.redirect_uri}?**")
    return query_of(page.url)


def grant(page: Page, deployment: AppWithClient) -> str:
    """Walk the whole code flow with Allow; return the access token."""
    pkce = Pkce()
    open_consent(page, deployment, pkce)
    code = decide(page, deployment, "Allow")["code"]
    return deployment.client.exchange(deployment.base_url, code, pkce)["access_token"]


def caller_email(response: requests.Response) -> str | None:
    return whoami_result(response)["email"]


def test_allow_gives_the_client_a_token_for_mcp(deployment: AppWithClient, page: Page) -> None:
    pkce = Pkce()
    open_consent(page, deployment, pkce)
    facts = page.locator("dl.facts")
    assert page.locator(".client-name").inner_text() == CLIENT_NAME
    assert facts.get_by_text("unverified", exact=True).is_visible()
    assert facts.locator("code", has_text="127.0.0.1").inner_text() == "127.0.0.1"
    assert page.locator("ul.scopes li code").all_inner_texts() == ["mcp"]
    assert "use this server's tools, resources and prompts as you" in page.locator("ul.scopes li").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "consent.png", full_page=True)

    callback = decide(page, deployment, "Allow")
    assert callback["state"] == pkce.state
    assert callback["iss"] == deployment.base_url
    assert "error" not in callback
    tokens = deployment.client.exchange(deployment.base_url, callback["code"], pkce)
    assert tokens["token_type"].lower() == "bearer"
    assert caller_email(whoami(deployment.mcp_url, tokens["access_token"])) == PERSON_EMAIL


def test_deny_sends_access_denied_to_the_client(deployment: AppWithClient, page: Page) -> None:
    pkce = Pkce()
    open_consent(page, deployment, pkce)
    callback = decide(page, deployment, "Deny")
    assert callback["error"] == "access_denied"
    assert callback["state"] == pkce.state
    assert callback["iss"] == deployment.base_url
    assert "code" not in callback


def test_the_connection_history_names_each_cause_of_failure(deployment: AppWithClient, page: Page) -> None:
    """An authorization request with a redirect URI the client never registered, then a revoked token: the
    Connected apps page shows both failures in its timeline, the newest highlighted with what to do."""
    elsewhere = deployment.client.authorization_url(deployment.base_url, Pkce(), redirect_uri="http://127.0.0.1:9/x")
    page.goto(elsewhere)
    page.get_by_role("heading", name="Invalid authorization request").wait_for()
    token = grant(page, deployment)
    deployment.client.revoke(deployment.base_url, token)
    assert whoami(deployment.mcp_url, token).status_code == 401
    page.goto(f"{deployment.base_url}/account/apps")
    alert = page.get_by_role("alert")
    assert "it was revoked" in alert.inner_text() and "What to do:" in alert.inner_text()
    failed = page.locator("ol.timeline li.failed").all_inner_texts()
    assert any("it was revoked" in item for item in failed)
    assert any("redirect" in item.lower() and "authorize" in item for item in failed)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "connection-history.png", full_page=True)


def test_revoking_a_connected_app_ends_its_tokens(deployment: AppWithClient, page: Page) -> None:
    token = grant(page, deployment)
    assert caller_email(whoami(deployment.mcp_url, token)) == PERSON_EMAIL  # now cached by a worker

    page.goto(f"{deployment.base_url}/account/apps")
    row = page.get_by_role("row").filter(has_text=CLIENT_NAME)
    assert row.count() == 1
    assert row.locator(".tag").all_inner_texts() == ["mcp"]
    assert row.get_by_text(deployment.client.client_id).is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "connected-apps.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())  # "Remove ...? Its tokens stop working ..."
    row.get_by_role("button", name=f"Revoke {CLIENT_NAME}").click()
    page.get_by_role("status").filter(has_text="Access revoked").wait_for()
    assert page.get_by_role("row").filter(has_text=CLIENT_NAME).count() == 0  # no longer connected
    assert page.get_by_text("No application has access.").is_visible()

    time.sleep(CACHE_WAIT)
    refused = whoami(deployment.mcp_url, token)
    assert refused.status_code == 401, refused.text
    assert "resource_metadata=" in refused.headers.get("WWW-Authenticate", "")


def test_a_personal_token_from_the_tokens_page_works_on_mcp(deployment: AppWithClient, page: Page) -> None:
    page.goto(f"{deployment.base_url}/account/tokens")
    page.get_by_label("Name").fill("playwright script")
    page.get_by_role("button", name="Create token").click()
    new_token = page.locator("#new-token")
    new_token.wait_for()
    value = new_token.input_value()
    assert value
    assert page.get_by_role("row").filter(has_text="playwright script").count() == 1
    assert caller_email(whoami(deployment.mcp_url, value)) == PERSON_EMAIL
    page.get_by_role("button", name="Copy").click()  # plain http: no clipboard API, so the value is selected
    page.wait_for_function("() => document.getElementById('new-token-copied').textContent !== ''")
    assert page.locator("#new-token-copied").inner_text() in ("Copied", "Selected: press Ctrl+C (⌘C) to copy")

    # Revoking asks first: dismissed, the token lives on; accepted, it is revoked and the page says when it stops.
    page.goto(f"{deployment.base_url}/account/tokens")
    revoke = page.get_by_role("button", name="Revoke playwright script")
    page.once("dialog", lambda dialog: dialog.dismiss())
    revoke.click()
    page.wait_for_timeout(300)
    assert page.get_by_role("row").filter(has_text="playwright script").get_by_text("revoked").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()
    when = f"stops working everywhere within {TOKEN_CACHE_SECONDS} second"
    page.get_by_role("status").filter(has_text=when).wait_for()


@pytest.mark.parametrize("crafted", [False, True], ids=["plain", "csp-injecting-redirect"])
def test_the_consent_page_cannot_be_framed(browser: Browser, deployment: AppWithClient, crafted: bool) -> None:
    """A same-site page frames the consent page, to have the person click Allow in it. A redirect URI with userinfo
    once put `frame-ancestors *` into the page's policy ahead of `'none'`, and Chromium honours the first."""
    redirect = urlsplit(deployment.client.redirect_uri)
    netloc = f"x;frame-ancestors *;a@{redirect.netloc}" if crafted else redirect.netloc
    crafted_uri, pkce = f"http://{netloc}{redirect.path}", Pkce(state="framed")
    url = deployment.client.authorization_url(deployment.base_url, pkce, redirect_uri=crafted_uri, resource=None)
    iframe = f'<iframe src="{html.escape(url)}"></iframe>'
    context = browser.new_context()
    page = context.new_page()
    # A real server on loopback, as the app is (Chromium keeps pages from elsewhere off loopback), and the same site
    # as the app (another port), so the session cookie goes along with the framed request.
    with serve_page(f"<!doctype html><title>Win a prize</title>{iframe}") as attacker:
        try:
            dev_sign_in(page, deployment.base_url, PERSON_NAME, PERSON_EMAIL)
            page.goto(attacker, wait_until="load")
            [framed] = [frame for frame in page.frames if frame is not page.main_frame]
            assert framed.get_by_role("button", name="Allow").count() == 0, "the consent page rendered in the frame"
            assert framed.url.startswith("chrome-error://"), f"the framed page loaded: {framed.url}"
        finally:
            context.close()


@contextmanager
def serve_page(body: str) -> Iterator[str]:
    """Serve `body` as HTML at every path of a server on 127.0.0.1; yield its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
