"""Client ID metadata documents: fetched safely, checked, cached by their HTTP headers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.oauth import documents
from app.oauth.documents import DocumentError
from tests.conftest import AuthActions
from tests.oauth.conftest import OAuthActions


class DocumentServer(ThreadingHTTPServer):
    """Serves whatever `routes` says, and counts the requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), DocumentHandler)
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def document(self, path: str, body: dict | bytes, status: int = 200, headers: dict | None = None) -> str:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[path] = (status, {"Content-Type": "application/json"} | (headers or {}), raw)
        return self.url(path)


class DocumentHandler(BaseHTTPRequestHandler):
    server: DocumentServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.hits.append(self.path)
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"{}"))
        if self.path == "/slow":
            time.sleep(documents.TIMEOUT_SECONDS + 1)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def site() -> Iterator[DocumentServer]:
    server = DocumentServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def client_document(url: str, **extra) -> dict:
    return {"client_id": url, "client_name": "Doc Client", "redirect_uris": ["http://127.0.0.1:9999/callback"]} | extra


def test_a_document_client_signs_in_without_registering(make_app, site):
    url = site.url("/client.json")
    site.document("/client.json", client_document(url), headers={"Cache-Control": "max-age=3600"})
    client = make_app().test_client()
    AuthActions(client).dev_sign_in()
    actions = OAuthActions(client, client_id=url)
    page = client.get("/oauth/authorize", query_string=actions.authorize_params())
    assert "Doc Client" in page.text and "verified domain" in page.text and "127.0.0.1" in page.text
    tokens = actions.exchange(actions.code())
    assert tokens.status_code == 200, tokens.text
    assert actions.call(tokens.json["access_token"]).status_code == 200
    assert site.hits == ["/client.json"]  # fetched once, then cached per Cache-Control


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (lambda url: client_document("http://127.0.0.1:1/other.json"), "client_id must equal"),
        (lambda url: client_document(url, redirect_uris=[]), "redirect_uris"),
        (lambda url: client_document(url, redirect_uris=["javascript:alert(1)"]), "scheme"),
        (lambda url: client_document(url, redirect_uris=["http://evil.example/cb"]), "loopback"),
        (lambda url: client_document(url, token_endpoint_auth_method="client_secret_basic"), "none"),
        (lambda url: b"not json", "JSON"),
        (lambda url: b"x" * (documents.MAX_BYTES + 10), "larger"),
    ],
)
def test_bad_documents_are_refused(make_app, site, document, message):
    url = site.url("/client.json")
    body = document(url)
    site.document("/client.json", body)
    with make_app().app_context(), pytest.raises(DocumentError, match=message):
        documents.fetch(url)


def test_redirects_are_not_followed(make_app, site):
    site.routes["/moved"] = (302, {"Location": site.url("/client.json")}, b"")
    with make_app().app_context(), pytest.raises(DocumentError, match="302"):
        documents.fetch(site.url("/moved"))


def test_slow_servers_time_out(make_app, site):
    site.document("/slow", client_document(site.url("/slow")))
    started = time.monotonic()
    with make_app().app_context(), pytest.raises(DocumentError, match="could not be fetched"):
        documents.fetch(site.url("/slow"))
    assert time.monotonic() - started < documents.TIMEOUT_SECONDS + 1


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/client.json",  # plain http off loopback
        "https://10.0.0.1/client.json",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[fd00::1]/client.json",  # unique local
        "https://0.0.0.0/client.json",
        "https://no-such-host.invalid/client.json",
    ],
)
def test_ssrf_targets_are_refused_before_any_connection(make_app, url):
    with make_app().app_context(), pytest.raises(DocumentError):
        documents.fetch(url)


def test_loopback_documents_are_refused_in_production(site):
    from app import create_app
    from tests.test_factory import PRODUCTION

    url = site.document("/client.json", client_document(site.url("/client.json")))
    with create_app(PRODUCTION).app_context(), pytest.raises(DocumentError, match="https"):
        documents.fetch(url)
    assert site.hits == []


def test_unfetchable_document_client_cannot_authorize(make_app, site):
    client = make_app().test_client()
    AuthActions(client).dev_sign_in()
    actions = OAuthActions(client, client_id=site.url("/missing.json"))
    response = client.get("/oauth/authorize", query_string=actions.authorize_params())
    assert response.status_code == 400 and response.location is None


def test_cache_lifetime_follows_headers():
    assert documents._lifetime("max-age=120") == documents.timedelta(seconds=120)
    assert documents._lifetime("no-store") == documents.MIN_CACHE
    assert documents._lifetime("max-age=99999999") == documents.MAX_CACHE
    assert documents._lifetime("") == documents.DEFAULT_CACHE
