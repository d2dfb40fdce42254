"""Client ID metadata documents: fetched safely, checked, cached by their HTTP headers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import urllib3
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.oauth import documents, events, fetching
from app.oauth.documents import DocumentError
from app.oauth.fetching import FetchError
from app.oauth.models import OAuthClient
from tests.conftest import AuthActions
from tests.oauth.conftest import REDIRECT, OAuthActions
from tests.support import services
from tests.support.servers import app_settings, gunicorn_app
from tests.support.waiting import wait_until

#: The slow-drip server: a byte every DRIP_INTERVAL seconds, for at most DRIP_SECONDS.
DRIP_INTERVAL, DRIP_SECONDS = 0.2, 20.0


class DocumentServer(ThreadingHTTPServer):
    """Serves whatever `routes` says, and counts the requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), DocumentHandler)
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        self.cut: list[str] = []

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
        if self.path.startswith("/drip"):
            return self.drip()
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"{}"))
        if self.path == "/slow":
            time.sleep(fetching.TIMEOUT_SECONDS + 1)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self) -> None:
        """Answer one byte every DRIP_INTERVAL seconds, for DRIP_SECONDS: each read gets a byte in time, the whole never
        comes. Counts the connections it saw cut (`server.cut`)."""
        started = time.monotonic()
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 10_000:
                if time.monotonic() - started > DRIP_SECONDS:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(DRIP_INTERVAL)
        except OSError:
            self.server.cut.append(self.path)

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def site() -> Iterator[DocumentServer]:
    server = DocumentServer()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
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


def test_an_internationalised_host_is_shown_in_its_ascii_form(make_app):
    """A look-alike letter (a Cyrillic а in exаmple) must not pass for the domain it imitates on the consent page."""
    url = "https://ex\u0430mple.com/client.json"
    app = make_app()
    with app.app_context():
        db.session.add(
            OAuthClient(
                client_id=url,
                kind="document",
                metadata_json=json.dumps(client_document(url)),
                refresh_after=utcnow() + documents.timedelta(hours=1),  # fetched a moment ago
            )
        )
        db.session.commit()
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    page = client.get("/oauth/authorize", query_string=OAuthActions(client, client_id=url).authorize_params())
    assert page.status_code == 200 and "verified domain" in page.text
    assert "xn--exmple-4nf.com" in page.text and "ex\u0430mple" not in page.text


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (lambda url: client_document("http://127.0.0.1:1/other.json"), "client_id must equal"),
        (lambda url: client_document(url, redirect_uris=[]), "redirect_uris"),
        (lambda url: client_document(url, redirect_uris=["javascript:alert(1)"]), "scheme"),
        (lambda url: client_document(url, redirect_uris=["http://evil.example/cb"]), "loopback"),
        (lambda url: client_document(url, token_endpoint_auth_method="client_secret_basic"), "none"),
        (lambda url: client_document(url, client_uri="javascript:alert(1)"), "client_uri"),
        (lambda url: client_document(url, logo_uri="http://example.com/logo.png"), "logo_uri"),
        (lambda url: b"not json", "JSON"),
        (lambda url: b"x" * (fetching.MAX_BYTES + 10), "larger"),
    ],
)
def test_bad_documents_are_refused(make_app, site, document, message):
    url = site.url("/client.json")
    body = document(url)
    site.document("/client.json", body)
    with make_app().app_context(), pytest.raises(FetchError, match=message):
        documents.fetch(url)


def test_redirects_are_not_followed(make_app, site):
    site.routes["/moved"] = (302, {"Location": site.url("/client.json")}, b"")
    with make_app().app_context(), pytest.raises(DocumentError, match="302"):
        documents.fetch(site.url("/moved"))


def test_slow_servers_time_out(make_app, site, monkeypatch):
    monkeypatch.setattr(fetching, "TIMEOUT_SECONDS", 1)
    site.document("/slow", client_document(site.url("/slow")))
    started = time.monotonic()
    with make_app().app_context(), pytest.raises(FetchError, match="within"):
        documents.fetch(site.url("/slow"))
    # The deadline ends the wait; the margin is for a loaded machine (the server answers after TIMEOUT_SECONDS + 1).
    assert time.monotonic() - started < fetching.TIMEOUT_SECONDS + 3


@pytest.mark.parametrize("timeout", [TimeoutError("timed out"), urllib3.exceptions.ReadTimeoutError(None, "/", "t")])
def test_a_read_that_times_out_at_the_deadline_says_so(make_app, site, monkeypatch, timeout):
    """A socket timeout can fire just before the waiting thread's: it is the same deadline, said the same way."""

    def times_out(self):
        raise timeout

    monkeypatch.setattr(fetching.Download, "_get", times_out)
    with (
        make_app().app_context(),
        pytest.raises(FetchError, match=f"did not answer within {fetching.TIMEOUT_SECONDS} s"),
    ):
        documents.fetch(site.url("/slow"))


def test_a_server_that_drips_bytes_is_cut_at_the_deadline(make_app, site, monkeypatch):
    """Every read gets a byte in time, so per-read timeouts never fire: only a deadline on the whole fetch ends it."""
    monkeypatch.setattr(fetching, "TIMEOUT_SECONDS", 1)
    started = time.monotonic()
    with make_app().app_context(), pytest.raises(FetchError, match="within 1 s"):
        documents.fetch(site.url("/drip"))
    elapsed = time.monotonic() - started
    assert elapsed < 1 + 3, f"the fetch took {elapsed:.1f} s against a 1 s deadline (the drip lasts {DRIP_SECONDS} s)"
    # The connection is cut, not left to drip on in a thread of its own.
    wait_until(lambda: site.cut == ["/drip"], "the drip connection cut", 5)


def test_fetches_in_flight_are_capped_per_process_and_per_client_id(make_app, site, monkeypatch):
    """Extra fetches are refused (Busy), not queued behind slow ones; a refusal is not remembered as a failure."""
    monkeypatch.setattr(fetching, "TIMEOUT_SECONDS", 2)
    app = make_app()
    failures: dict[str, str] = {}

    def fetch_in_background(path: str) -> threading.Thread:
        def run() -> None:
            with app.app_context():
                try:
                    documents.fetch(site.url(path))
                except FetchError as error:
                    failures[path] = str(error)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    first = fetch_in_background("/drip/a")
    wait_until(lambda: "/drip/a" in site.hits, "the first fetch reaching the server")
    with app.app_context():
        with pytest.raises(fetching.Busy, match="already"):
            documents.fetch(site.url("/drip/a"))
        others = [fetch_in_background(f"/drip/{name}") for name in "bcdefg"[: fetching.MAX_CONCURRENT_FETCHES - 1]]
        wait_until(lambda: len(site.hits) == fetching.MAX_CONCURRENT_FETCHES, "the other fetches reaching the server")
        with pytest.raises(fetching.Busy, match="too many"):
            documents.load(site.url("/drip/z"))
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert all("within 2 s" in reason for reason in failures.values()) and len(failures) == len(others) + 1
    # Each fetch's thread gives its slot back as it ends, just after the deadline.
    wait_until(lambda: fetching._slots._value == fetching.MAX_CONCURRENT_FETCHES, "every slot released")
    site.document("/drip/z", client_document(site.url("/drip/z")))  # not a drip any more: "/drip" is matched first
    with app.app_context(), pytest.raises(FetchError, match="within"):
        documents.load(site.url("/drip/z"))  # fetched now: the earlier refusal was not remembered
    assert site.hits.count("/drip/z") == 1


def test_a_failed_fetch_is_remembered_for_a_short_while(make_app, site):
    url = site.url("/missing.json")
    with make_app().app_context():
        for _ in range(3):
            with pytest.raises(DocumentError, match="HTTP 404"):
                documents.load(url)
    assert site.hits == ["/missing.json"]


@pytest.mark.live
def test_health_answers_while_slow_documents_are_fetched(tmp_path, site):
    """Eight sign-in-free authorize requests naming dripping documents: as many as gunicorn.conf.py has threads."""
    workers, threads = 2, 4
    port = services.free_port()
    outcomes: list[tuple[int, float]] = []

    def authorize(base_url: str, path: str) -> None:
        started = time.monotonic()
        params = {"response_type": "code", "client_id": site.url(path), "redirect_uri": REDIRECT, "state": "s"}
        params |= {"code_challenge": "x" * 43, "code_challenge_method": "S256"}
        response = requests.get(f"{base_url}/oauth/authorize", params=params, timeout=60, allow_redirects=False)
        outcomes.append((response.status_code, time.monotonic() - started))

    settings = app_settings(tmp_path, GUNICORN_THREADS=str(threads))
    with gunicorn_app(settings, port, tmp_path / "gunicorn.log", workers=workers) as base_url:
        requests.get(f"{base_url}/health", timeout=10)  # each worker up
        callers = [threading.Thread(target=authorize, args=(base_url, f"/drip/{n}")) for n in range(workers * threads)]
        for caller in callers:
            caller.start()
        wait_until(lambda: len(site.hits) >= 1, "a fetch reaching the document server")
        started = time.monotonic()
        assert requests.get(f"{base_url}/health", timeout=60).ok
        health = time.monotonic() - started
        for caller in callers:
            caller.join(timeout=60)
    print(f"\n/health answered in {health:.2f} s; authorize: {sorted(outcomes)}; fetches started: {len(site.hits)}")
    assert health < 2.0, f"/health waited {health:.1f} s behind the slow fetches"
    assert len(outcomes) == workers * threads and all(status == 400 for status, _ in outcomes)
    assert max(elapsed for _, elapsed in outcomes) < fetching.TIMEOUT_SECONDS + 3
    assert len(site.hits) <= workers  # one address: one fetch at a time per worker


def test_one_address_fetches_one_document_at_a_time(make_app, site, monkeypatch):
    monkeypatch.setattr(fetching, "TIMEOUT_SECONDS", 2)
    app = make_app()

    def fetch_slowly() -> None:
        with app.app_context(), pytest.raises(FetchError, match="within"):
            documents.fetch(site.url("/drip/one"), requester="203.0.113.7")

    first = threading.Thread(target=fetch_slowly)
    first.start()
    wait_until(lambda: "/drip/one" in site.hits, "the first fetch reaching the server")
    with app.app_context():
        with pytest.raises(fetching.Busy, match="for this address"):
            documents.fetch(site.url("/drip/two"), requester="203.0.113.7")
        with pytest.raises(FetchError, match="within"):  # another address has its own turn
            documents.fetch(site.url("/drip/three"), requester="198.51.100.9")
    first.join(timeout=10)


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
    with make_app().app_context(), pytest.raises(FetchError):
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


def test_documents_are_fetched_while_the_shared_store_is_down(make_app, site):
    """The failure cache is a shortcut: with Redis down, a document is fetched (and a failure refused) all the same."""
    url = site.document("/client.json", client_document(site.url("/client.json")))
    closed = f"redis://127.0.0.1:{services.free_port()}/0"
    with make_app(REDIS_URL=closed).app_context():
        assert documents.load(url).client_metadata["client_name"] == "Doc Client"
        with pytest.raises(DocumentError, match="HTTP 404"):
            documents.load(site.url("/missing.json"))


def test_a_document_client_is_recorded_as_registered_once(make_app, site):
    """The audit log holds its first use as a registration; fetching its document again later adds nothing."""
    url = site.url("/client.json")
    site.document("/client.json", client_document(url))
    app = make_app()
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    actions = OAuthActions(client, client_id=url)
    assert client.get("/oauth/authorize", query_string=actions.authorize_params()).status_code == 200
    with app.app_context():  # the document is due to be fetched again
        db.session.scalar(select(OAuthClient).filter_by(client_id=url)).refresh_after = utcnow()
        db.session.commit()
    assert client.get("/oauth/authorize", query_string=actions.authorize_params()).status_code == 200
    with app.app_context():
        registered = [(e.ok, e.reason) for e in events.query(client_id=url) if e.step == "registration"]
    assert len(site.hits) == 2
    assert registered == [(True, "registered through its client metadata document as Doc Client")]
