"""The operator page and a person's activity page in Chromium, after a real client's calls through OAuth.

The app runs under gunicorn with two workers on SQLite. An operator (ADMIN_EMAILS) lets a
registered client in; the client calls tools with its token (one call fails); the operator
page must then show each tool with its charts, the client with its failure, and the
security events, with no script error and no Content Security Policy violation. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support import services
from tests.support.browser import dev_sign_in
from tests.support.mcp_http import MODERN, call_tool, messages
from tests.support.oauth_client import Pkce, PublicClient, query_of
from tests.support.servers import ROOT, LiveApp, sqlite_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.live]

ARTIFACTS = ROOT / "test-artifacts"
OPERATOR = ("Olga Operator", "olga@example.test")
CLIENT_NAME = "Dashboard Client"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with sqlite_app(tmp_path_factory.mktemp("operator"), ADMIN_EMAILS=OPERATOR[1]) as app:
        yield app


@pytest.fixture(scope="module")
def page(browser: Browser, deployment: LiveApp) -> Iterator[Page]:
    """The operator, signed in, after their client's calls; any CSP violation or script error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    dev_sign_in(page, deployment.base_url, *OPERATOR)
    token = let_a_client_in(page, deployment)
    for arguments in ({"value": 100, "from_unit": "celsius"}, {"value": 0, "from_unit": "celsius"}, {"value": -500}):
        answer = call_tool(deployment.mcp_url, token, "convert_temperature", arguments, version=MODERN)
        assert answer.status_code == 200, answer.text
    assert messages(call_tool(deployment.mcp_url, token, "whoami", version=MODERN))[0]["result"]
    yield page
    context.close()
    assert not problems, problems


def let_a_client_in(page: Page, deployment: LiveApp) -> str:
    """Register a client, allow it on the consent page, trade its code; return its access token."""
    redirect = f"http://127.0.0.1:{services.free_port()}/callback"
    client = PublicClient.register(deployment.base_url, redirect, CLIENT_NAME)
    page.route(f"{redirect}**", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>ok"))
    pkce = Pkce()
    page.goto(client.authorization_url(deployment.base_url, pkce))
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(f"{redirect}?**")
    return client.exchange(deployment.base_url, query_of(page.url)["code"], pkce)["access_token"]


def open_admin(page: Page, deployment: LiveApp) -> None:
    """The operator page, once the calls are written (each worker writes its own within a quarter second)."""
    for _attempt in range(20):
        page.goto(f"{deployment.base_url}/admin/")
        if page.locator("svg.chart").count() >= 3:
            return
        page.wait_for_timeout(250)
    raise AssertionError("the calls never reached the operator page")


def test_the_operator_page_shows_tools_clients_and_events(deployment: LiveApp, page: Page) -> None:
    open_admin(page, deployment)
    tools = page.get_by_role("table").first
    convert = tools.get_by_role("row").filter(has=page.get_by_role("rowheader", name="convert_temperature"))
    assert convert.get_by_role("cell").all_inner_texts()[:2] == ["3", "1"]  # calls, errors
    chart = page.get_by_role("img", name="convert_temperature: 3 calls and 1 error in the last 24 hours")
    assert chart.is_visible() and chart.bounding_box()["width"] >= 100
    assert page.locator("svg.chart rect.errors").count() == 1
    assert page.get_by_role("img", name="whoami: latency per hour").is_visible()
    clients = page.get_by_role("rowheader", name=CLIENT_NAME)
    assert clients.is_visible()
    row = page.get_by_role("row").filter(has=clients)
    assert "tool_error" in row.inner_text() and "convert_temperature" in row.inner_text()
    assert page.get_by_role("cell", name="consent").first.is_visible()
    assert page.get_by_role("cell", name=OPERATOR[0]).first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "operator.png", full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=ARTIFACTS / "operator-dark.png", full_page=True)
    page.emulate_media(color_scheme="light")


def test_the_activity_page_lists_the_persons_calls(deployment: LiveApp, page: Page) -> None:
    open_admin(page, deployment)  # the calls are written by now
    page.goto(f"{deployment.base_url}/account/activity")
    calls = page.get_by_role("row").filter(has=page.get_by_role("cell", name="convert_temperature"))
    assert calls.count() == 3
    assert [row.get_by_role("cell").last.inner_text() for row in calls.all()].count("tool_error") == 1
    app_cells = page.get_by_role("cell", name=CLIENT_NAME)
    assert app_cells.count() >= 4  # the four calls, and the consent, came through the client
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "activity.png", full_page=True)


def test_someone_else_is_refused(browser: Browser, deployment: LiveApp) -> None:
    context = browser.new_context()
    page = context.new_page()
    dev_sign_in(page, deployment.base_url, "Ada Lovelace", "ada@example.test")
    assert page.get_by_role("link", name="Operator").count() == 0
    response = page.goto(f"{deployment.base_url}/admin/")
    assert response.status == 403 and page.get_by_text("operators of this server").is_visible()
    context.close()
