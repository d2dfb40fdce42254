"""The official Python SDK's OAuth client (`mcp` 2.3) against this server: from nothing to a tool call.

`OAuthClientProvider` is the `auth` of the `httpx2.AsyncClient` handed to `streamable_http_client`.
The first MCP request gets 401; the SDK then reads the protected resource metadata and the
authorization server metadata, registers (dynamic registration) or names itself by a client ID
metadata document URL, and calls its `redirect_handler` with the authorization URL. Here that
handler is the person's browser, headless: a `requests.Session` that signs in (the dev sign-in,
or through a real OpenID provider), answers the consent page with "allow" and its CSRF token, and
stops at the redirect back to the client's redirect URI, which nobody serves: its `Location`
carries `code`, `state` and `iss`, and the `callback_handler` hands them to the SDK. The SDK then
exchanges the code (PKCE, `resource` = the MCP endpoint) and retries the MCP request.

The app runs under gunicorn with two workers on SQLite. An httpx2 request/response hook records
every request the SDK sent, OAuth ones included.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import anyio
import httpx2
import pytest
import requests
from anyio import to_thread
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from mcp.client import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from sqlalchemy import create_engine, update

from app.oauth.models import OAuthClient, Token
from tests.support import services
from tests.support.accounts import submit_dev_form
from tests.support.deadline import run_within
from tests.support.mcp_http import MODERN, whoami
from tests.support.oauth_client import PublicClient, answer_consent, query_of
from tests.support.oidc import sign_in_at_provider, start_oidc_provider
from tests.support.servers import BIN, ROOT, LiveApp, sqlite_app

#: The app runs under gunicorn; one test also signs in through the npm OpenID provider.
pytestmark = pytest.mark.live

#: Upper bound for one test's whole client conversation, sign-in included.
DEADLINE_SECONDS = 60
#: Redirects and pages between the authorization URL and the redirect back to the client.
BROWSER_STEPS = 20
REQUEST_TIMEOUT = 10


# --- The app under gunicorn ----------------------------------------------------------------------------------------


@contextmanager
def run_app(tmp_path: Path, port: int | None = None, **settings: str) -> Iterator[LiveApp]:
    """Start the app (2 workers, SQLite in `tmp_path`, the tools of app.tools); `settings` override the defaults."""
    with sqlite_app(tmp_path, port=port, GUNICORN_WORKERS="2", GUNICORN_THREADS="4", **settings) as app:
        yield app


# --- The person's browser, and the SDK's handlers around it --------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Who signs in: with the dev sign-in by name and e-mail, at the OpenID provider by `login`."""

    name: str
    email: str
    login: str = ""


ADA = Person("Ada Lovelace", "ada@example.test")


class AuthorizationRefused(Exception):
    """The authorization server showed the person a page refusing the client instead of asking for consent."""


class Browser:
    """The person's browser, headless: follows an authorization URL the way a person would, and allows.

    Redirects are followed by hand. A visit to the OpenID provider is left to `sign_in_at_provider`;
    the first redirect leaving both the app and the provider is the one back to the client: it is
    returned, not requested.
    """

    def __init__(self, app: LiveApp, person: Person, provider_issuer: str | None = None) -> None:
        self.app, self.person, self.provider_issuer = app, person, provider_issuer
        self.session = requests.Session()
        self.pages: list[str] = []  # the paths of the app pages shown, in order
        self.consent_pages: list[str] = []
        self.refusals: list[str] = []  # authorization pages that refused the client

    def authorize(self, authorize_url: str) -> str:
        """Go from `authorize_url` to the redirect back to the client; return that redirect's URL."""
        response = self._get(authorize_url)
        for _ in range(BROWSER_STEPS):
            if not response.is_redirect:
                response = self._act_on(response)
                continue
            location = urljoin(response.url, response.headers["Location"])
            if self.provider_issuer and location.startswith(f"{self.provider_issuer}/"):
                location = sign_in_at_provider(self.session, location, self.person.login)
            if not location.startswith(f"{self.app.base_url}/"):
                return location
            response = self._get(location)
        raise AssertionError(f"no redirect back to the client after {BROWSER_STEPS} steps (last: {response.url})")

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.close()

    def _act_on(self, page: requests.Response) -> requests.Response:
        """Do what the person does on an app page: pick the provider, sign in, or allow."""
        path = urlsplit(page.url).path
        if path == "/oauth/authorize" and page.status_code == 400:
            self.refusals.append(page.text)  # the page the person reads; the client gets nothing
            raise AuthorizationRefused(page.text)
        assert page.status_code == 200, (page.url, page.status_code, page.text[:500])
        self.pages.append(path)
        if path == "/auth/login":  # several providers: the chooser
            assert 'href="/auth/login/oidc"' in page.text, page.text
            return self._get(urljoin(page.url, "/auth/login/oidc"))
        if path == "/auth/dev":
            return submit_dev_form(self.session, page, self.person.name, self.person.email, timeout=REQUEST_TIMEOUT)
        if path == "/oauth/authorize":
            self.consent_pages.append(page.text)
            return answer_consent(self.session, page, "allow", timeout=REQUEST_TIMEOUT)
        raise AssertionError(f"unexpected page {page.url}:\n{page.text[:500]}")

    def _get(self, url: str) -> requests.Response:
        return self.session.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT)


@dataclass
class BrowserHandlers:
    """The SDK's `redirect_handler` and `callback_handler`: the browser runs, its redirect's query goes back."""

    browser: Browser
    authorize_urls: list[str] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)

    async def redirect(self, authorize_url: str) -> None:
        """Open the authorization URL in the browser (in a thread: it blocks) up to the redirect back."""
        self.authorize_urls.append(authorize_url)
        self.returns.append(await to_thread.run_sync(self.browser.authorize, authorize_url))

    async def callback(self) -> AuthorizationCodeResult:
        """What a redirect URI listener would hand back: the code, the state and the issuer."""
        query = query_of(self.returns[-1])
        assert "error" not in query, self.returns[-1]
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    def authorize_query(self) -> dict[str, str]:
        [url] = self.authorize_urls
        return query_of(url)


@dataclass
class MemoryStorage:
    """The SDK's `TokenStorage`, in memory; keeps every token set it was given, in order."""

    history: list[OAuthToken] = field(default_factory=list)
    client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.history[-1] if self.history else None

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.history.append(tokens)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


# --- What went over the wire ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class Exchange:
    """One HTTP request the SDK sent, as it was sent (the SDK resends the same request object, changed), and its status.

    `request` is kept only to pair the request with its response.
    """

    request: httpx2.Request
    method: str
    path: str
    headers: dict[str, str]
    rpc: str | None
    form: dict[str, str]
    status: int | None = None

    def line(self) -> str:
        """E.g. `POST /mcp tools/call 200` or `POST /oauth/token refresh_token 200`."""
        what = self.rpc or self.form.get("grant_type")
        return " ".join(str(part) for part in (self.method, self.path, what, self.status) if part)


@dataclass
class Wire:
    """Every request the SDK's httpx2 client sent, MCP and OAuth alike (httpx2 hooks see auth-flow requests too)."""

    exchanges: list[Exchange] = field(default_factory=list)

    async def on_request(self, request: httpx2.Request) -> None:
        rpc, form = None, {}
        content_type = request.headers.get("content-type", "")
        if request.url.path.endswith("/mcp") and content_type.startswith("application/json"):
            body = json.loads(request.content)
            rpc = body.get("method", "response") if isinstance(body, dict) else "batch"
        elif content_type.startswith("application/x-www-form-urlencoded"):
            form = query_of(f"?{request.content.decode()}")
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.exchanges.append(Exchange(request, request.method, request.url.path, headers, rpc, form))

    async def on_response(self, response: httpx2.Response) -> None:
        """Note the status on the latest sending of the response's request."""
        for exchange in reversed(self.exchanges):
            if exchange.request is response.request:
                exchange.status = response.status_code
                return

    def lines(self) -> list[str]:
        return [exchange.line() for exchange in self.exchanges]

    def to(self, path: str) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if exchange.path == path]

    def grants(self, grant_type: str) -> list[Exchange]:
        return [exchange for exchange in self.to("/oauth/token") if exchange.form.get("grant_type") == grant_type]

    def after(self, exchange: Exchange) -> Exchange:
        """The request sent right after `exchange`."""
        return self.exchanges[self.exchanges.index(exchange) + 1]


@asynccontextmanager
async def connect(
    app: LiveApp, auth: OAuthClientProvider, wire: Wire, fresh_connections: bool = False
) -> AsyncIterator[Client]:
    """An SDK `Client` (default mode) on the app's /mcp, authenticating with `auth`.

    With `fresh_connections`, no connection is kept alive: each request opens its own, so
    consecutive requests are spread over gunicorn's workers rather than pinned to one.
    """
    hooks = {"request": [wire.on_request], "response": [wire.on_response]}
    options: dict[str, Any] = {"limits": httpx2.Limits(max_keepalive_connections=0)} if fresh_connections else {}
    async with httpx2.AsyncClient(auth=auth, timeout=httpx2.Timeout(30), event_hooks=hooks, **options) as http:
        async with Client(streamable_http_client(app.mcp_url, http_client=http), read_timeout_seconds=30) as client:
            yield client


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    run_within(DEADLINE_SECONDS, scenario)


def oauth_provider(
    app: LiveApp, browser: Browser, storage: MemoryStorage, metadata: dict[str, Any], document_url: str | None = None
) -> tuple[OAuthClientProvider, BrowserHandlers]:
    """The SDK's OAuth provider for the app's /mcp, its browser handlers, and the client metadata given."""
    handlers = BrowserHandlers(browser)
    provider = OAuthClientProvider(
        server_url=app.mcp_url,
        client_metadata=OAuthClientMetadata.model_validate(metadata),
        storage=storage,
        redirect_handler=handlers.redirect,
        callback_handler=handlers.callback,
        client_metadata_url=document_url,
    )
    return provider, handlers


def unserved_redirect_uri() -> str:
    """A loopback redirect URI nothing listens on: the browser only captures the redirect to it."""
    return f"http://127.0.0.1:{services.free_port()}/callback"


# --- Checks shared by the tests ------------------------------------------------------------------------------------


def assert_discovery_and_sign_in(wire: Wire, handlers: BrowserHandlers, storage: MemoryStorage, app: LiveApp) -> None:
    """The 401 challenge, both metadata documents, one authorization, one code exchange; `resource` everywhere."""
    lines = wire.lines()
    assert lines[0] == "POST /mcp server/discover 401", lines
    assert "authorization" not in wire.exchanges[0].headers
    assert "GET /.well-known/oauth-protected-resource/mcp 200" in lines, lines
    assert "GET /.well-known/oauth-authorization-server 200" in lines, lines
    [exchange] = wire.grants("authorization_code")
    assert exchange.status == 200, lines
    retried = wire.after(exchange)
    assert retried.line() == "POST /mcp server/discover 200", lines
    assert retried.headers["authorization"] == f"Bearer {storage.history[0].access_token}"
    assert {call.headers.get("mcp-protocol-version") for call in wire.to("/mcp")} == {MODERN}
    query = handlers.authorize_query()
    assert query["code_challenge_method"] == "S256" and query["scope"] == "mcp", query
    # Audience binding, asked for: the SDK names the MCP endpoint in the authorization and token requests.
    assert query["resource"] == exchange.form["resource"] == app.mcp_url
    # RFC 9207: the redirect back named this issuer (the SDK checks it against the metadata).
    assert query_of(handlers.returns[0])["iss"] == app.base_url


def assert_audience_bound(app: LiveApp, access_token: str) -> None:
    """The token works at the MCP endpoint it was issued for, and not at the same server under another name."""
    here = whoami(app.mcp_url, access_token, version=MODERN, timeout=REQUEST_TIMEOUT)
    assert here.status_code == 200, here.text
    other_host = {"Host": f"localhost:{app.port}"}  # resource http://localhost:<port>/mcp
    elsewhere = whoami(app.mcp_url, access_token, version=MODERN, headers=other_host, timeout=REQUEST_TIMEOUT)
    assert elsewhere.status_code == 401, elsewhere.text
    assert 'error="invalid_token"' in elsewhere.headers["WWW-Authenticate"]


# --- The tests -----------------------------------------------------------------------------------------------------


def test_dynamic_registration_and_dev_sign_in(tmp_path: Path) -> None:
    """Register dynamically, sign in with the dev sign-in, allow; then whoami is the person and tools work."""
    wire, storage = Wire(), MemoryStorage()
    with run_app(tmp_path) as app, Browser(app, ADA) as browser:
        metadata = {"client_name": "SDK test client", "redirect_uris": [unserved_redirect_uri()]}
        provider, handlers = oauth_provider(app, browser, storage, metadata)
        seen: dict[str, Any] = {}

        async def scenario() -> None:
            async with connect(app, provider, wire) as client:
                seen["version"] = client.protocol_version
                seen["me"] = (await client.call_tool("whoami", {})).structured_content
                converted = await client.call_tool(
                    "convert_temperature", {"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}
                )
                assert not converted.is_error, converted
                seen["converted"] = converted.structured_content

        run(scenario)
        assert seen["version"] == MODERN
        assert seen["me"]["email"] == "ada@example.test" and seen["me"]["name"] == "Ada Lovelace", seen["me"]
        assert seen["me"]["scopes"] == ["mcp"]
        assert seen["converted"] == {"value": 212.0, "unit": "fahrenheit"}

        # The client registered, was authorized under the id it got, and the browser signed in and allowed.
        [registration] = wire.to("/oauth/register")
        assert registration.status == 201
        assert storage.client is not None and storage.client.client_secret  # client_secret_basic, the default
        assert handlers.authorize_query()["client_id"] == storage.client.client_id
        assert browser.pages == ["/auth/dev", "/oauth/authorize"]
        assert "SDK test client" in browser.consent_pages[0]
        assert_discovery_and_sign_in(wire, handlers, storage, app)

        # Audience binding, granted: introspection (the client is confidential) names the MCP endpoint.
        access_token = storage.history[-1].access_token
        credentials = (storage.client.client_id, storage.client.client_secret)
        introspected = requests.post(
            f"{app.base_url}/oauth/introspect", data={"token": access_token}, auth=credentials, timeout=REQUEST_TIMEOUT
        ).json()
        assert introspected["active"] and introspected["aud"] == app.mcp_url, introspected
        assert_audience_bound(app, access_token)
        assert "POST /oauth/register" in app.log()


def test_sdk_takes_only_https_document_urls() -> None:
    """Why the document below is served over https: the SDK refuses any other client ID metadata document URL."""
    with pytest.raises(ValueError, match="HTTPS"):
        OAuthClientProvider(
            server_url="http://127.0.0.1:1/mcp",
            client_metadata=OAuthClientMetadata.model_validate({"redirect_uris": ["http://127.0.0.1:2/callback"]}),
            storage=MemoryStorage(),
            client_metadata_url="http://127.0.0.1:3/client.json",
        )


@pytest.mark.node
def test_client_id_metadata_document_and_oidc_sign_in(tmp_path: Path) -> None:
    """The client names itself by its metadata document URL (no registration); the person signs in at a real OP."""
    services.require(services.have_node(), "Node.js and npm (for the test OpenID provider)")
    tls = make_tls_files(tmp_path)
    port = services.free_port()
    redirect_uri = unserved_redirect_uri()
    wire, storage = Wire(), MemoryStorage()
    with start_oidc_provider([f"http://127.0.0.1:{port}/auth/callback/oidc"]) as op, serve_document(tls) as home:
        home.document = {
            "client_id": home.url,
            "client_name": "SDK document client",
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }
        settings = {
            "OAUTH_PROVIDERS": "oidc,dev",
            "OAUTH_OIDC_ISSUER": op.issuer,
            "OAUTH_OIDC_CLIENT_ID": op.client_id,
            "OAUTH_OIDC_CLIENT_SECRET": op.client_secret,
            "SSL_CERT_FILE": str(tls.ca),  # the app trusts the test CA that signed the document host's certificate
        }
        carol = Person("Carol Jones", "carol.jones@example.test", login="carol.jones")
        with run_app(tmp_path, port=port, **settings) as app, Browser(app, carol, op.issuer) as browser:
            metadata = {"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none"}
            provider, handlers = oauth_provider(app, browser, storage, metadata, document_url=home.url)
            seen: dict[str, Any] = {}

            async def scenario() -> None:
                async with connect(app, provider, wire) as client:
                    seen["version"] = client.protocol_version
                    seen["me"] = (await client.call_tool("whoami", {})).structured_content

            run(scenario)
            assert seen["version"] == MODERN
            assert (seen["me"]["email"], seen["me"]["name"]) == (carol.email, carol.name), seen["me"]

            # No registration: the client id is the document's URL, and the server fetched the document.
            assert not wire.to("/oauth/register") and "/oauth/register" not in app.log()
            assert storage.client is not None and storage.client.client_id == home.url
            assert handlers.authorize_query()["client_id"] == home.url
            assert "/client.json" in home.fetches
            [exchange] = wire.grants("authorization_code")
            assert exchange.form["client_id"] == home.url and "authorization" not in exchange.headers
            # The person chose the provider, signed in there (the app's callback ran), and saw who asks.
            assert browser.pages == ["/auth/login", "/oauth/authorize"]
            assert "GET /auth/callback/oidc" in app.log()
            assert "SDK document client" in browser.consent_pages[0]
            assert "verified domain" in browser.consent_pages[0]
            assert_discovery_and_sign_in(wire, handlers, storage, app)
            assert_audience_bound(app, storage.history[-1].access_token)


REFRESH_ROUNDS = 3
ACCESS_TOKEN_SECONDS = 2


def test_expired_access_token_is_refreshed_with_rotation(tmp_path: Path) -> None:
    """Access tokens live 2 s: after each expiry the SDK refreshes (a new refresh token each time) and calls on.

    No connection is kept alive, so the refresh and the calls around it land on either worker.
    """
    wire, storage = Wire(), MemoryStorage()
    settings = {"ACCESS_TOKEN_SECONDS": str(ACCESS_TOKEN_SECONDS), "REFRESH_GRACE_SECONDS": "1"}
    with run_app(tmp_path, **settings) as app, Browser(app, ADA) as browser:
        metadata = {"client_name": "SDK refreshing client", "redirect_uris": [unserved_redirect_uri()]}
        provider, handlers = oauth_provider(app, browser, storage, metadata)
        emails: list[str] = []

        async def scenario() -> None:
            async with connect(app, provider, wire, fresh_connections=True) as client:
                for _ in range(REFRESH_ROUNDS):
                    emails.append((await client.call_tool("whoami", {})).structured_content["email"])
                    await anyio.sleep(ACCESS_TOKEN_SECONDS + 0.5)
                emails.append((await client.call_tool("whoami", {})).structured_content["email"])
                # While the last access token lives (2 s): the refreshed token is still bound to this endpoint.
                await to_thread.run_sync(assert_audience_bound, app, storage.history[-1].access_token)

        run(scenario)
        assert emails == ["ada@example.test"] * (REFRESH_ROUNDS + 1)
        assert len(handlers.authorize_urls) == 1, "the SDK signed in again instead of refreshing"

        # One refresh per expiry, each answered with a new pair, each followed by a call that works.
        refreshes = wire.grants("refresh_token")
        assert [exchange.status for exchange in refreshes] == [200] * REFRESH_ROUNDS, wire.lines()
        assert all(exchange.form["resource"] == app.mcp_url for exchange in refreshes)
        for exchange in refreshes:
            after = wire.after(exchange).line()
            assert after.startswith("POST /mcp ") and after.endswith(" 200"), wire.lines()
        assert [token.expires_in for token in storage.history] == [ACCESS_TOKEN_SECONDS] * (REFRESH_ROUNDS + 1)
        for kind in ("access_token", "refresh_token"):
            issued = [getattr(token, kind) for token in storage.history]
            assert len(set(issued)) == REFRESH_ROUNDS + 1, f"{kind} was not replaced on refresh"

        # The first access token has expired: the calls above worked because of the refreshes.
        first, last = storage.history[0], storage.history[-1]
        assert whoami(app.mcp_url, first.access_token, version=MODERN, timeout=REQUEST_TIMEOUT).status_code == 401

        # Rotation: the first refresh token, replaced long ago, is refused, and its reuse revokes the family.
        assert storage.client is not None and storage.client.client_secret
        credentials = (storage.client.client_id, storage.client.client_secret)
        for refresh_token in (first.refresh_token, last.refresh_token):
            replay = requests.post(
                f"{app.base_url}/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=credentials,
                timeout=REQUEST_TIMEOUT,
            )
            assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text


def age_database(app: LiveApp, days: int) -> None:
    """Make every client registration and token of the app `days` older: made, last used and expired that long ago."""
    past = datetime.now(UTC) - timedelta(days=days)
    engine = create_engine(app.settings["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(update(OAuthClient).values(created_at=past, last_used_at=past))
        connection.execute(update(Token).values(expires_at=past, refresh_expires_at=past))
    engine.dispose()


def remove_client(app: LiveApp, client_id: str) -> None:
    """`flask clients revoke CLIENT_ID`, as the operator runs it."""
    command = [str(BIN / "flask"), "--app", "wsgi", "clients", "revoke", client_id]
    subprocess.run(command, cwd=ROOT, env=os.environ | app.settings, check=True, capture_output=True, timeout=60)


def test_a_client_back_after_months_signs_in_once_and_a_removed_one_is_told(tmp_path: Path) -> None:
    """The SDK keeps its registration and tokens. 400 days pass (past CLIENT_IDLE_DAYS; every token long dead) and
    another client registers, which prunes registrations. Back, the SDK signs in once with the client id it holds
    and calls a tool. After the operator removes it, the person is shown why, and the client gets no redirect."""
    storage = MemoryStorage()
    metadata = {"client_name": "SDK client back after months", "redirect_uris": [unserved_redirect_uri()]}

    async def call_whoami(provider: OAuthClientProvider, wire: Wire) -> None:
        async with connect(app, provider, wire) as client:
            result = await client.call_tool("whoami", {})
            assert result.structured_content["email"] == ADA.email

    with run_app(tmp_path, TOKEN_CACHE_SECONDS="1") as app:
        with Browser(app, ADA) as browser:
            first, _ = oauth_provider(app, browser, storage, metadata)
            run(lambda: call_whoami(first, Wire()))
        assert storage.client is not None
        client_id = storage.client.client_id
        age_database(app, 400)
        PublicClient.register(app.base_url, unserved_redirect_uri(), "Another client")  # runs the pruning
        time.sleep(1.5)  # months later no worker still trusts the token it verified (TOKEN_CACHE_SECONDS=1)

        wire = Wire()
        with Browser(app, ADA) as browser:
            back, handlers = oauth_provider(app, browser, storage, metadata)
            run(lambda: call_whoami(back, wire))
        print("\nback after 400 days:\n  " + "\n  ".join(wire.lines()))
        assert not wire.to("/oauth/register") and storage.client.client_id == client_id
        assert len(handlers.authorize_urls) == 1 and query_of(handlers.authorize_urls[0])["client_id"] == client_id
        assert "POST /mcp tools/call 200" in wire.lines(), wire.lines()

        remove_client(app, client_id)
        time.sleep(1.5)  # the workers trust a token they verified for TOKEN_CACHE_SECONDS (no Redis to tell them)
        wire = Wire()
        with Browser(app, ADA) as browser:
            removed, _ = oauth_provider(app, browser, storage, metadata)
            with pytest.raises(BaseException) as refused:  # the SDK's redirect handler never returns
                run(lambda: call_whoami(removed, wire))
            print("after removal:\n  " + "\n  ".join(wire.lines()))
            assert (
                refused.group_contains(AuthorizationRefused)
                if isinstance(refused.value, BaseExceptionGroup)
                else (isinstance(refused.value, AuthorizationRefused))
            )
            [page] = browser.refusals
        assert "was removed by the operator of this server" in page
        assert "remove this connector in your MCP client and add it again" in page


# --- A client's home on loopback: its metadata document over https -------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    """A throwaway CA certificate, and a certificate and key for 127.0.0.1 signed by it (PEM files)."""

    ca: Path
    certificate: Path
    key: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """Make a test CA and a server certificate for 127.0.0.1 (P-256, one day) in `directory`."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA for client metadata documents")])
    usage = {name: False for name in ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement")}
    ca = (
        _builder(ca_name, ca_name, ca_key, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False, **usage),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (
        _builder(name, ca_name, key, now)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    files.key.write_bytes(private)
    return files


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, now: datetime
) -> x509.CertificateBuilder:
    """A certificate for `key`'s public half, valid from five minutes ago for a day."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
    )


@dataclass
class DocumentHome:
    """The client's web server: its document, its URL, and the paths fetched from it."""

    url: str = ""
    document: dict[str, Any] = field(default_factory=dict)
    fetches: list[str] = field(default_factory=list)


@contextmanager
def serve_document(tls: TlsFiles) -> Iterator[DocumentHome]:
    """Serve `home.document` at https://127.0.0.1:<port>/client.json from a thread, until the block ends."""
    home = DocumentHome()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            home.fetches.append(self.path)
            found = self.path == "/client.json"
            body = json.dumps(home.document if found else {"error": "not found"}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "max-age=60")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep quiet: the test reads `home.fetches` instead."""

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.certificate, tls.key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    home.url = f"https://127.0.0.1:{server.server_address[1]}/client.json"
    thread = threading.Thread(target=server.serve_forever, name="client-metadata-document", daemon=True)
    thread.start()
    try:
        yield home
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
