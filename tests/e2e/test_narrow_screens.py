"""Every page fits a phone: no horizontal scroll at 390 and 320 px, with long names, ids and a new token shown.

One person signs in, lets a client with a long name in (so Connected apps has a row and a history) and makes a
personal token; then each page is loaded at each width and its document must be no wider than the viewport.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support import services
from tests.support.browser import dev_sign_in
from tests.support.oauth_client import Pkce, PublicClient, query_of
from tests.support.servers import LiveApp, sqlite_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.live]

WIDTHS = (390, 320)
PAGES = ("/", "/playground", "/connect", "/account/apps", "/account/tokens", "/account/activity", "/auth/login")
PAGES += ("/admin/",)  # the person is an operator
CLIENT_NAME = "A Client With A Rather Long Name For A Phone Screen"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with sqlite_app(tmp_path_factory.mktemp("narrow"), ADMIN_EMAILS="ada@example.test") as app:
        yield app


@pytest.fixture(scope="module")
def page(browser: Browser, deployment: LiveApp) -> Iterator[Page]:
    """A signed-in person with a connected client and a personal token."""
    context = browser.new_context()
    page = context.new_page()
    dev_sign_in(page, deployment.base_url, "Ada Lovelace", "ada@example.test")
    redirect = f"http://127.0.0.1:{services.free_port()}/callback"
    client = PublicClient.register(deployment.base_url, redirect, CLIENT_NAME)
    page.route(f"{redirect.rsplit('/', 1)[0]}/**", lambda route: route.fulfill(status=200, body="received"))
    pkce = Pkce()
    page.goto(client.authorization_url(deployment.base_url, pkce))
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(f"{redirect}?**")
    client.exchange(deployment.base_url, query_of(page.url)["code"], pkce)
    yield page
    context.close()


def width_of(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(deployment: LiveApp, page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    widths = {}
    for path in PAGES:
        page.goto(f"{deployment.base_url}{path}")
        page.wait_for_load_state("networkidle")
        widths[path] = width_of(page)
    page.goto(f"{deployment.base_url}/account/tokens")
    page.get_by_label("Name").fill("the deploy script of the nightly job")
    page.get_by_role("button", name="Create token").click()
    page.locator("#new-token").wait_for()
    page.wait_for_load_state("networkidle")  # the token shows before the stylesheet applies: measure after
    widths["/account/tokens (new token shown)"] = width_of(page)
    page.goto(f"{deployment.base_url}/playground")
    page.get_by_role("button", name="convert_temperature").click()
    page.get_by_label("Value").fill("21")
    page.get_by_label("From Unit").select_option("celsius")
    page.get_by_role("button", name="Call tool").click()
    page.locator("#history-list summary").first.click()
    page.get_by_role("heading", name="Request").wait_for()
    widths["/playground (a call's request and response open)"] = width_of(page)
    print(f"\n{width} px: {widths}")
    assert all(measured <= width for measured in widths.values()), widths
