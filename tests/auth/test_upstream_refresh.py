"""Provider tokens that last: 20 concurrent tool calls over 2 gunicorn workers, for more than three lifetimes.

The npm OpenID provider issues access tokens of ACCESS_SECONDS and rotating refresh tokens (the sign-in asks
for `offline_access` with `prompt=consent`, as the app does for a generic issuer that lists that scope). A
person signs in, makes a personal access token, and 20 clients call `provider_token_digest` (it asks for the
person's provider token) without pause for DURATION seconds, each on connections of its own. Every call must
succeed, and the provider must see one refresh per expiry: no refresh refused (a second refresh of a rotated
token is refused, and ends the grant), and as many refreshes as new tokens the tools saw.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet

from tests.support.mcp_http import MODERN, call_tool
from tests.support.oidc import sign_in_at_provider, start_oidc_provider
from tests.support.servers import BIN, ROOT, app_settings, live_app
from tests.support.services import free_port

pytestmark = [pytest.mark.node, pytest.mark.live, pytest.mark.timeout(180)]

ACCESS_SECONDS = 4
DURATION = 3.5 * ACCESS_SECONDS
CLIENTS = 20


def sign_in(base_url: str) -> requests.Session:
    """Sign Ada in through the provider; return the browser session."""
    browser = requests.Session()
    start = browser.get(f"{base_url}/auth/login/oidc", allow_redirects=False)
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert "offline_access" in query["scope"][0].split() and query["prompt"] == ["consent"], query
    back = sign_in_at_provider(browser, authorize, "ada")
    assert browser.get(back, allow_redirects=False).headers["Location"] == "/auth/success"
    return browser


def personal_token(settings: dict[str, str]) -> str:
    command = [str(BIN / "flask"), "--app", "wsgi", "tokens", "create", "--user", "ada@example.test"]
    done = subprocess.run(command, cwd=ROOT, env=settings, capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip().split()[-1]


def provider_settings(tmp_path, provider, base_url: str, **overrides: str) -> dict[str, str]:
    return app_settings(
        tmp_path,
        OAUTH_PROVIDER="oidc",
        OAUTH_CLIENT_ID=provider.client_id,
        OAUTH_CLIENT_SECRET=provider.client_secret,
        OAUTH_ISSUER=provider.issuer,
        PUBLIC_URL=base_url,
        MCP_TOOL_PACKAGES="tests.mcp_fixtures,app.tools",
        MCP_RATE_LIMIT="100000 per minute",
        **overrides,
    )


def call_concurrently(mcp_urls: list[str], token: str) -> tuple[list[str], list[str]]:
    """CLIENTS threads call provider_token_digest for DURATION, spread over `mcp_urls`; (digests, failures)."""
    digests, failures = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + DURATION

    def client(url: str) -> None:
        while time.monotonic() < deadline:
            response = call_tool(url, token, "provider_token_digest", version=MODERN, headers={"Connection": "close"})
            result = response.json().get("result", {})
            with lock:
                if response.status_code != 200 or result.get("isError"):
                    failures.append(response.text[:300])
                else:
                    digests.append(result["content"][0]["text"])

    threads = [threading.Thread(target=client, args=(mcp_urls[n % len(mcp_urls)],)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 60)
    return digests, failures


def assert_one_refresh_per_expiry(digests: list[str], failures: list[str], counted: dict[str, int]) -> None:
    tokens_seen = len(set(digests))
    print(f"\n{len(digests)} calls over {DURATION:.0f} s ({ACCESS_SECONDS} s tokens): {tokens_seen} provider tokens"
          f" seen, {counted['succeeded']} refreshes, {counted['failed']} refused, {len(failures)} failed")  # fmt: skip
    assert not failures, failures[:3]
    assert counted["failed"] == 0
    assert counted["succeeded"] >= 3 and counted["succeeded"] == tokens_seen - 1


def test_concurrent_calls_refresh_once_per_expiry(tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with start_oidc_provider([f"{base_url}/auth/callback"], access_token_seconds=ACCESS_SECONDS) as provider:
        settings = provider_settings(tmp_path, provider, base_url, UPSTREAM_TOKEN_KEY=Fernet.generate_key().decode())
        with live_app(settings, tmp_path / "gunicorn.log", port=port, workers=2) as app:
            sign_in(base_url)
            digests, failures = call_concurrently([app.mcp_url], personal_token({**os.environ, **settings}))
            counted = provider.refreshes()
    assert_one_refresh_per_expiry(digests, failures, counted)


@pytest.mark.services
def test_two_instances_on_postgresql_and_redis_refresh_once_per_expiry(tmp_path, postgres_url, redis_url):
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    with start_oidc_provider([f"{urls[0]}/auth/callback"], access_token_seconds=ACCESS_SECONDS) as provider:
        shared = {"UPSTREAM_TOKEN_KEY": Fernet.generate_key().decode(), "SECRET_KEY": "k" * 48}
        shared |= {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url}
        settings = provider_settings(tmp_path, provider, urls[0], **shared)
        with (
            live_app(settings, tmp_path / "a.log", port=ports[0], workers=2) as first,
            live_app(settings, tmp_path / "b.log", port=ports[1], workers=2) as second,
        ):
            sign_in(urls[0])
            token = personal_token({**os.environ, **settings})
            digests, failures = call_concurrently([first.mcp_url, second.mcp_url], token)
            counted = provider.refreshes()
    assert_one_refresh_per_expiry(digests, failures, counted)
