"""A connected account, end to end: the official SDK client in both eras calls a tool that needs the person's
account at a second service (the real test OpenID provider); its URL elicitation handler opens the link in a
headless Chromium where the person is signed in, they connect, and the call goes on, on either gunicorn worker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from cryptography.fernet import Fernet
from mcp import types
from mcp.client import Client, ClientRequestContext
from mcp.client.streamable_http import streamable_http_client

from tests.support import services
from tests.support.deadline import run_within
from tests.support.oidc import OidcProvider, start_oidc_provider
from tests.support.servers import app_settings, gunicorn_app
from tests.support.services import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: The whole conversation, the browser's sign-ins at two sites included.
DEADLINE_SECONDS = 90


@dataclass(frozen=True)
class Deployment:
    base_url: str
    provider: OidcProvider
    log_path: Path


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    """gunicorn (2 workers) with the dev sign-in, and the test OpenID provider as the service "elsewhere"."""
    services.require(services.have_node(), "Node.js and npm (for the test OpenID provider)")
    tmp = tmp_path_factory.mktemp("connected-accounts")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with start_oidc_provider([f"{base_url}/connections/elsewhere/callback"]) as provider:
        settings = app_settings(
            tmp,
            CONNECTION_PROVIDERS="elsewhere",
            OAUTH_ELSEWHERE_TYPE="oidc",
            OAUTH_ELSEWHERE_ISSUER=provider.issuer,
            OAUTH_ELSEWHERE_CLIENT_ID=provider.client_id,
            OAUTH_ELSEWHERE_CLIENT_SECRET=provider.client_secret,
            UPSTREAM_TOKEN_KEY=Fernet.generate_key().decode(),
            MCP_CLIENT_TIMEOUT="60",
        )
        log_path = tmp / "gunicorn.log"
        with gunicorn_app(settings, port, log_path) as started:
            assert started == base_url
            yield Deployment(base_url, provider, log_path)


async def sign_in_and_make_a_token(page, base_url: str, email: str) -> str:
    """Sign in on the development form in the browser, and make a personal token there."""
    await page.goto(f"{base_url}/auth/dev")
    await page.get_by_label("Name").fill(email.split("@")[0])
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="You are signed in").wait_for()
    await page.goto(f"{base_url}/account/tokens")
    await page.get_by_label("Name").fill("sdk")
    await page.get_by_role("button", name="Create token").click()
    return await page.locator("#new-token").input_value()


async def connect_in_browser(page, url: str, login: str) -> None:
    """What the person does at the link: confirm, sign in at the service, allow; the page says the tool goes on."""
    await page.goto(url)
    await page.get_by_role("button", name="Connect elsewhere").click()
    await page.get_by_label("Login").fill(login)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Allow").click()
    await page.get_by_text("The tool that sent you here goes on now").wait_for()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_the_sdk_client_connects_an_account_through_its_url_handler(deployment: Deployment, mode: str) -> None:
    services.require(services.have_chromium(), f"Chromium at {services.CHROMIUM}")
    from playwright.async_api import async_playwright

    login, email = f"{mode}-person", f"{mode}@example.test"
    opened: list[types.ElicitRequestURLParams] = []
    completions: list[str] = []
    results: list[types.CallToolResult] = []

    async def scenario() -> None:
        async with async_playwright() as playwright:
            chromium = await playwright.chromium.launch(executable_path=services.CHROMIUM, args=services.CHROMIUM_ARGS)
            page = await (await chromium.new_context()).new_page()
            token = await sign_in_and_make_a_token(page, deployment.base_url, email)

            async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
                assert isinstance(params, types.ElicitRequestURLParams), params
                opened.append(params)
                await connect_in_browser(page, params.url, login)
                if mode == "legacy":
                    ARTIFACTS.mkdir(exist_ok=True)
                    await page.screenshot(path=ARTIFACTS / "connected-account.png", full_page=True)
                return types.ElicitResult(action="accept")

            async def on_message(message) -> None:
                if isinstance(message, types.ElicitCompleteNotification):
                    completions.append(message.params.elicitation_id)

            headers = {"Authorization": f"Bearer {token}"}
            async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60)) as http:
                transport = streamable_http_client(f"{deployment.base_url}/mcp", http_client=http)
                async with Client(
                    transport, mode=mode, read_timeout_seconds=60, elicitation_callback=on_elicit,
                    message_handler=on_message,
                ) as client:  # fmt: skip
                    for _ in range(2):  # the second call finds the account connected: no question
                        results.append(await client.call_tool("whoami_elsewhere", {"service": "elsewhere"}))
            await chromium.close()

    run_within(DEADLINE_SECONDS, scenario)
    assert [result.is_error for result in results] == [False, False], results
    assert [result.structured_content["sub"] for result in results] == [login, login]
    assert len(opened) == 1 and opened[0].url.startswith(f"{deployment.base_url}/connections/elsewhere?elicitation=")
    if mode == "legacy":
        assert opened[0].elicitation_id and completions == [opened[0].elicitation_id]
    else:
        assert opened[0].elicitation_id is None and completions == []  # 2026-07-28 has neither
    log = deployment.log_path.read_text()
    assert "GET /connections/elsewhere/callback" in log


@pytest.mark.parametrize("revision", ["2026-07-28", "2025-11-25"])
def test_the_playground_opens_the_page_in_a_new_tab_and_the_call_goes_on(deployment: Deployment, revision: str):
    """The playground as a URL-mode client: the dialog shows the host and the whole address, "Open page" opens
    it in a new tab (the person's consent), and once they connected there the call shows what the service said."""
    services.require(services.have_chromium(), f"Chromium at {services.CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    login, email = f"playground-{revision}", f"playground-{revision}@example.test"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=services.CHROMIUM, args=services.CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{deployment.base_url}/auth/dev")
        page.get_by_label("Name").fill("Playground")
        page.get_by_label("E-mail").fill(email)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="You are signed in").wait_for()
        page.goto(f"{deployment.base_url}/playground")
        expect(page.locator("#catalog-status")).to_contain_text("offers you")
        page.get_by_label("Protocol revision").select_option(revision)
        expect(page.locator("#catalog-status")).to_contain_text("offers you")
        catalog = page.get_by_role("navigation", name="Tools, resources and prompts")
        catalog.get_by_role("button", name=re.compile(r"^whoami_elsewhere(\s|$)")).click()
        page.get_by_role("textbox", name="service").fill("elsewhere")
        page.get_by_role("button", name="Call tool").click()
        dialog = page.get_by_role("dialog", name="The server asks")
        dialog.get_by_text("Connect your elsewhere account to go on.").wait_for()
        host = deployment.base_url.removeprefix("http://")
        assert dialog.locator(".elicit-host").inner_text() == host
        assert dialog.locator(".elicit-url").inner_text().startswith(f"{deployment.base_url}/connections/elsewhere?")
        with context.expect_page() as opened:
            dialog.get_by_role("button", name="Open page").click()
        tab = opened.value
        tab.get_by_role("button", name="Connect elsewhere").click()
        tab.get_by_label("Login").fill(login)
        tab.get_by_role("button", name="Sign in").click()
        tab.get_by_role("button", name="Allow").click()
        tab.get_by_text("The tool that sent you here goes on now").wait_for()
        outcome = page.locator("#outcome")
        outcome.get_by_text(login).first.wait_for(timeout=30_000)
        assert outcome.locator("h3").inner_text() == "Result"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"playground-connected-{revision}.png", full_page=True)
        chromium.close()
