"""Screenshots of the pages people see, taken from the real app so they stay true.

Starts the app under gunicorn (development settings, the dev sign-in, a throwaway SQLite
database, the person an operator), signs in with Chromium, lets a client in, calls tools in
the playground, and saves PNGs (the operator page last, with every call made): desktop
1280x800, the playground at phone width (390x844), and the playground (its history and log
in use) and the connect page as a system in dark mode shows them.

    .venv/bin/python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import secrets
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import services  # noqa: E402 - the repository root is on the path only now
from tests.support.servers import app_settings, gunicorn_app  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CLIENT_NAME = "Example Desktop Client"
PAGES = (
    "sign-in",
    "home",
    "playground",
    "playground-phone",
    "playground-dark",
    "connect",
    "connect-dark",
    "tokens",
    "consent",
    "connected-apps",
    "activity",
    "operator",
)


def settings(tmp: Path) -> dict[str, str]:
    """The app's environment: development with the dev sign-in, nothing from the caller's .env."""
    return app_settings(tmp, APP_ENV="development", MCP_STATIC_TOKENS="", ADMIN_EMAILS="ada@example.test")


def shoot(page: Page, out: Path, name: str) -> None:
    """Save the whole page, scrolled to the top, as `name`.png.

    The window is made as tall as the page instead of asking for a full-page capture, which leaves out
    frames drawn in a process of their own (a sandboxed MCP Apps view).
    """
    page.mouse.move(0, 0)  # no hover effects
    page.evaluate("window.scrollTo(0, 0)")
    window = page.viewport_size or DESKTOP
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": window["width"], "height": max(height, window["height"])})
    page.wait_for_timeout(300)  # frames of their own draw again at the new size
    page.screenshot(path=out / f"{name}.png")
    page.set_viewport_size(window)
    print(f"  {out / name}.png")


def sign_in(page: Page, url: str, out: Path) -> None:
    page.goto(f"{url}/auth/dev")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("E-mail").fill("ada@example.test")
    page.evaluate("document.activeElement.blur()")
    shoot(page, out, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="You are signed in").wait_for()


def play(page: Page, url: str, out: Path, name: str) -> None:
    """Open the playground and convert a temperature through its form: the result shows in the tool's view (MCP
    Apps) and as the result itself."""
    page.goto(f"{url}/playground")
    page.get_by_role("button", name="convert_temperature").click()
    page.get_by_label("Value").fill("100")
    page.get_by_label("From Unit").select_option("celsius")
    page.get_by_label("To Unit").select_option("fahrenheit")
    page.get_by_role("button", name="Call tool").click()
    page.get_by_role("heading", name="Result").wait_for()
    page.frame_locator("iframe.app-view").get_by_text("212 °F", exact=True).wait_for()
    page.wait_for_timeout(600)  # the thermometer fills (a CSS transition)
    shoot(page, out, name)


def console(page: Page, url: str, out: Path, name: str) -> None:
    """Check a list in the playground (it logs each item) and open the call in the history."""
    page.goto(f"{url}/playground")
    page.get_by_role("button", name="check_items").click()
    add = page.get_by_role("button", name="Add item to items")
    for item in ("milk", " ", "bread"):
        add.click()
        page.keyboard.type(item)
    page.get_by_role("button", name="Call tool").click()
    page.get_by_role("heading", name="Result").wait_for()
    page.locator("#history-list summary").first.click()
    page.get_by_role("heading", name="Request").wait_for()
    shoot(page, out, name)


def consent(page: Page, url: str, out: Path) -> None:
    """Register a client, open its authorization request, allow it, and let it call a tool."""
    redirect_uri = f"http://127.0.0.1:{services.free_port()}/callback"
    body = {"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none", "client_name": CLIENT_NAME}
    registered = requests.post(f"{url}/oauth/register", json=body, timeout=10)
    registered.raise_for_status()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": registered.json()["client_id"],
        "redirect_uri": redirect_uri,
        "state": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": f"{url}/mcp",
    }
    page.route(f"{redirect_uri}**", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>ok"))
    page.goto(f"{url}/oauth/authorize?{urlencode(query)}")
    page.get_by_role("heading", name=f"Allow {CLIENT_NAME} to use this server?").wait_for()
    shoot(page, out, "consent")
    page.get_by_label("Remember my choice for this application").check()
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(f"{redirect_uri}?**")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    exchange = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    exchange |= {key: query[key] for key in ("client_id", "redirect_uri", "resource")}
    token = requests.post(f"{url}/oauth/token", data=exchange, timeout=10).json()["access_token"]
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    requests.post(f"{url}/mcp", json=call, headers={"Authorization": f"Bearer {token}"}, timeout=10).raise_for_status()


def account_pages(page: Page, url: str, out: Path) -> None:
    page.goto(f"{url}/account/tokens")
    page.get_by_label("Name").fill("deploy script")
    page.get_by_role("button", name="Create token").click()
    page.locator("#new-token").wait_for()
    page.goto(f"{url}/account/tokens")  # the list, without the new token's value
    shoot(page, out, "tokens")
    page.goto(f"{url}/account/apps")
    shoot(page, out, "connected-apps")
    page.goto(f"{url}/account/activity")
    shoot(page, out, "activity")


def operator_page(page: Page, url: str, out: Path) -> None:
    """The operator page once every call made so far is written (each worker writes its own within a quarter
    second)."""
    page.wait_for_timeout(500)
    page.goto(f"{url}/admin/")
    page.locator("svg.chart").first.wait_for()
    shoot(page, out, "operator")


def capture(browser: Browser, url: str, out: Path) -> None:
    """Every page, as one signed-in person, then the playground on a phone, then two pages in dark mode."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, url, out)
    page.goto(f"{url}/")
    shoot(page, out, "home")
    play(page, url, out, "playground")
    page.goto(f"{url}/connect")
    shoot(page, out, "connect")
    consent(page, url, out)
    account_pages(page, url, out)
    phone = browser.new_page(viewport=PHONE, storage_state=context.storage_state(), device_scale_factor=2)
    play(phone, url, out, "playground-phone")
    phone.close()
    dark = browser.new_page(viewport=DESKTOP, storage_state=context.storage_state(), color_scheme="dark")
    console(dark, url, out, "playground-dark")
    dark.goto(f"{url}/connect#python")
    shoot(dark, out, "connect-dark")
    dark.close()
    operator_page(page, url, out)
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="directory for the PNGs")
    out: Path = parser.parse_args(argv).out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        with gunicorn_app(settings(Path(tmp)), services.free_port(), Path(tmp) / "gunicorn.log") as url:
            browser = playwright.chromium.launch(executable_path=services.CHROMIUM, args=services.CHROMIUM_ARGS)
            try:
                print(f"Screenshots of {url} into {out}:")
                capture(browser, url, out)
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
