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


def calls_and_refreshes(provider, mcp_urls: list[str], token: str) -> tuple[set[str], list[str], int]:
    """One call, then CLIENTS threads calling provider_token_digest for DURATION, spread over `mcp_urls`.

    Returns the provider tokens the threads saw that the first call did not, their failures, and the refreshes
    the provider answered meanwhile. The first call settles the token the threads start from: the one from
    the sign-in may have expired already on a busy machine (making the personal token takes a second or two).
    """
    first = call_tool(mcp_urls[0], token, "provider_token_digest", version=MODERN).json()["result"]
    refreshes_before = provider.refreshes()["succeeded"]
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
    print(f"\n{len(digests)} calls over {DURATION:.0f} s ({ACCESS_SECONDS} s tokens)", end="")
    return set(digests) - {first["content"][0]["text"]}, failures, provider.refreshes()["succeeded"] - refreshes_before


def assert_one_refresh_per_expiry(new_tokens: set[str], failures: list[str], refreshes: int, refused: int) -> None:
    """Every call succeeded, nothing was refused, and each refresh gave a token that calls used."""
    seen = f"{len(new_tokens)} new provider tokens seen"
    print(f": {seen}, {refreshes} refreshes, {refused} refused, {len(failures)} failed")
    assert not failures, failures[:3]
    assert refused == 0
    assert refreshes >= 3 and refreshes == len(new_tokens)


def test_concurrent_calls_refresh_once_per_expiry(tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with start_oidc_provider([f"{base_url}/auth/callback"], access_token_seconds=ACCESS_SECONDS) as provider:
        settings = provider_settings(tmp_path, provider, base_url, UPSTREAM_TOKEN_KEY=Fernet.generate_key().decode())
        with live_app(settings, tmp_path / "gunicorn.log", port=port, workers=2) as app:
            sign_in(base_url)
            token = personal_token({**os.environ, **settings})
            new_tokens, failures, refreshes = calls_and_refreshes(provider, [app.mcp_url], token)
            refused = provider.refreshes()["failed"]
    assert_one_refresh_per_expiry(new_tokens, failures, refreshes, refused)


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
            new_tokens, failures, refreshes = calls_and_refreshes(provider, [first.mcp_url, second.mcp_url], token)
            refused = provider.refreshes()["failed"]
    assert_one_refresh_per_expiry(new_tokens, failures, refreshes, refused)
