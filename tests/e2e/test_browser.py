"""A person signs in with Chromium: through a real OpenID provider, and the dev sign-in.

The app runs under gunicorn with two workers, once on SQLite with database sessions
and once on PostgreSQL with Redis sessions. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, text

from config.loader import database_uri
from tests.support import services, stores
from tests.support.oidc import OidcProvider, start_oidc_provider
from tests.support.servers import ROOT, LiveApp, app_settings, live_app

ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.live]


@dataclass(frozen=True)
class SignInApp(LiveApp):
    """The app, signing people in through the test OpenID provider or the dev sign-in, on one storage setup."""

    provider: OidcProvider
    storage: str

    @property
    def database_url(self) -> str:
        return self.settings["DATABASE_URL"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql+redis"])
def deployment(request, tmp_path_factory) -> Iterator[SignInApp]:
    """Start the test provider and the app under gunicorn (-w 2) on one storage setup."""
    services.require(services.have_node(), "Node.js and npm (for the test OpenID provider)")
    port = services.free_port()
    tmp = tmp_path_factory.mktemp(request.param.replace("+", "-"))
    with ExitStack() as stack:
        provider = stack.enter_context(start_oidc_provider([f"http://127.0.0.1:{port}/auth/callback/oidc"]))
        stored: dict[str, str] = {}
        if request.param == "postgresql+redis":
            stored["DATABASE_URL"] = stack.enter_context(stores.postgres_schema())
            stored["REDIS_URL"] = stack.enter_context(stores.redis_database())
        settings = app_settings(
            tmp,
            OAUTH_PROVIDERS="oidc,dev",
            OAUTH_OIDC_ISSUER=provider.issuer,
            OAUTH_OIDC_CLIENT_ID=provider.client_id,
            OAUTH_OIDC_CLIENT_SECRET=provider.client_secret,
            **stored,
        )
        app = stack.enter_context(live_app(settings, tmp / "gunicorn.log", port=port))
        yield SignInApp(**vars(app), provider=provider, storage=request.param)


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def users(database_url: str) -> list[tuple[str, str, str | None]]:
    engine = create_engine(database_uri(database_url))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT provider, subject, email FROM users ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_sign_in_through_the_oidc_provider(deployment, page):
    callbacks: list[str] = []
    page.on("request", lambda request: callbacks.append(request.url) if "/auth/callback/" in request.url else None)
    page.goto(f"{deployment.base_url}/?from=browser")
    assert "/auth/login" in page.url
    page.get_by_role("link", name="Continue with Oidc").click()
    assert page.url.startswith(deployment.provider.issuer)
    page.get_by_label("Login").fill("carol.jones")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{deployment.base_url}/?from=browser")
    assert page.get_by_role("heading", name="Welcome, Carol Jones").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"signed-in-oidc-{deployment.storage}.png", full_page=True)
    assert ("oidc", "carol.jones", "carol.jones@example.test") in users(deployment.database_url)

    # Nothing secret reached the logs: not the code, the state, the cookie or the client secret.
    [callback] = callbacks
    query = parse_qs(urlsplit(callback).query)
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "session")
    log = deployment.log_path.read_text()
    assert "GET /auth/callback/oidc" in log
    for secret in (query["code"][0], query["state"][0], cookie, deployment.provider.client_secret):
        assert secret not in log


def test_dev_sign_in_and_sign_out(deployment, page):
    page.goto(f"{deployment.base_url}/auth/login")
    page.get_by_role("link", name="Continue with Dev").click()
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("E-mail").fill("grace@example.test")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="You are signed in").is_visible()
    page.get_by_role("link", name="Continue").click()
    assert page.get_by_role("heading", name="Welcome, Grace Hopper").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"signed-in-dev-{deployment.storage}.png", full_page=True)
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="You are signed out").is_visible()
    page.goto(f"{deployment.base_url}/")
    assert "/auth/" in page.url
    assert ("dev", "grace@example.test", "grace@example.test") in users(deployment.database_url)
