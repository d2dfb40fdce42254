"""The app behind nginx terminating TLS, exactly as deploy/nginx.conf sets it up.

A throwaway CA signs a certificate for mcp.test (and 127.0.0.1). deploy/nginx.conf is rendered with the same
directives: only ports, certificate and ACME paths, the server name and the upstream are substituted (and the
[::] listeners dropped), and nginx runs as the current user with its own prefix directory in tmp, on free
loopback ports. Behind it, gunicorn (2 workers, as gunicorn.conf.py says) runs the app on PostgreSQL with Redis
sessions and TRUSTED_PROXY_HOPS=1, as deploy/docker-compose.yml does; APP_ENV is testing only so that the dev
sign-in and a static token exist, and SESSION_COOKIE_SECURE is left at its default (on outside development).

Clients are `requests` sessions that trust only the throwaway CA. They ask for https://mcp.test:<port>; an
adapter connects to 127.0.0.1 but keeps mcp.test for SNI, certificate verification and the Host header, so
nothing about name resolution is patched. Every test prints what it measured.
"""

from __future__ import annotations

import datetime
import grp
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from requests.adapters import HTTPAdapter

from tests.conftest import csrf_token
from tests.support import keep_alive, services, stores
from tests.support.accounts import dev_sign_in
from tests.support.mcp_http import MODERN, call_tool, whoami
from tests.support.oauth_client import Pkce, PublicClient, query_of
from tests.support.servers import HTTP_TIMEOUT, ROOT, LiveApp, live_app

pytestmark = [pytest.mark.services, pytest.mark.live, pytest.mark.timeout(180)]

HOST = "mcp.test"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
STARTUP_TIMEOUT = 10.0
REDIRECT = "http://127.0.0.1:9999/callback"
HSTS = "max-age=63072000; includeSubDomains"
#: count_slowly(to=3, delay=0.5): progress at about 0.5, 1.0 and 1.5 s, the result right after the last.
STEPS, DELAY = 3, 0.5
#: What every tools/call here asks for in `_meta`, besides the protocol version: progress notifications.
PROGRESS = {"progressToken": "progress-1"}
#: nginx's temporary file directories; Debian's build points them at /var/lib/nginx, so each is set.
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


@dataclass(frozen=True)
class BehindNginx:
    """nginx on two loopback ports in front of the app (gunicorn) on a third."""

    app: LiveApp  # gunicorn itself, bypassing nginx
    public_url: str  # https://mcp.test:<tls port>, also the app's PUBLIC_URL
    tls_port: int
    http_port: int
    ca_path: Path
    nginx_dir: Path

    @property
    def app_url(self) -> str:
        return self.app.base_url

    @property
    def token(self) -> str:
        """An MCP_STATIC_TOKENS entry."""
        return self.app.static_token

    @property
    def gunicorn_log(self) -> Path:
        return self.app.log_path

    def url(self, path: str) -> str:
        return self.public_url + path


# Certificates.


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> Path:
    """Write a throwaway CA (ca.pem) and a server certificate for mcp.test and 127.0.0.1 (certs/); return the CA."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Throwaway test CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder(subject_name=ca_name, issuer_name=ca_name, public_key=ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    san = x509.SubjectAlternativeName([x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    server = (
        x509.CertificateBuilder(subject_name=_name(HOST), issuer_name=ca_name, public_key=key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(san, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "certs").mkdir()
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "certs" / "fullchain.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (directory / "certs" / "privkey.pem").write_bytes(private)
    return directory / "ca.pem"


def _key_usage(signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


# nginx.


def find_nginx() -> str | None:
    """nginx on PATH, else where Debian puts it (/usr/sbin is not on every user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def render_server_blocks(directory: Path, tls_port: int, http_port: int, app_port: int) -> str:
    """deploy/nginx.conf with test ports, paths and name; every substitution must apply, or the file changed."""
    text = NGINX_CONF.read_text()
    # IPv4 loopback only in the test: drop the [::] listeners, keep everything else.
    text = "\n".join(line for line in text.splitlines() if "listen [::]:" not in line) + "\n"
    substitutions = (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl"),
        ("listen 80", f"listen 127.0.0.1:{http_port}"),
        ("server_name mcp.example.com;", f"server_name {HOST};"),
        ("/etc/nginx/certs/", f"{directory}/certs/"),
        ("root /var/www/certbot;", f"root {directory}/www;"),
        # $host has no port, and the test's https port is not 443.
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{tls_port}$request_uri;"),
    )
    for old, new in substitutions:
        assert old in text, f"deploy/nginx.conf no longer contains {old!r}; update this test"
        text = text.replace(old, new)
    return text


def write_nginx_conf(directory: Path, server_blocks: str) -> Path:
    """The main context around the server blocks: logs, temp files and the worker user, all for this test."""
    (directory / "temp").mkdir()
    # The master runs as the current user; when that is root, so do the workers (they need tmp, which is 0700).
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
    temp_paths = "".join(f"    {name}_temp_path {directory}/temp/{name};\n" for name in TEMP_PATHS)
    conf = directory / "nginx.conf"
    conf.write_text(
        (user if os.geteuid() == 0 else "")
        + f"worker_processes 2;\nerror_log {directory}/error.log info;\n"
        + "events {\n    worker_connections 256;\n}\n"
        + "http {\n    default_type application/octet-stream;\n"
        + f"    access_log {directory}/access.log;\n{temp_paths}"
        + server_blocks
        + "}\n"
    )
    return conf


@contextmanager
def running_nginx(nginx: str, directory: Path, ports: tuple[int, ...]) -> Iterator[None]:
    """Check, then run `nginx -p <dir> -c <dir>/nginx.conf` in the foreground until the block ends."""
    command = [nginx, "-e", f"{directory}/error.log", "-p", f"{directory}/", "-c", f"{directory}/nginx.conf"]
    command += ["-g", f"daemon off; pid {directory}/nginx.pid;"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"nginx -t failed:\n{checked.stderr}"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not all(services.listening("127.0.0.1", port) for port in ports):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{(directory / 'error.log').read_text()}")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def distinct_free_ports(count: int) -> list[int]:
    """`count` different free loopback ports."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(services.free_port())
    return sorted(ports)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BehindNginx]:
    """Start gunicorn (2 workers, PostgreSQL, Redis sessions) and nginx in front of it with deploy/nginx.conf."""
    nginx = find_nginx()
    services.require(nginx is not None, "nginx (apt-get install nginx)")
    assert nginx is not None
    tmp = tmp_path_factory.mktemp("https-proxy")
    tls_port, http_port, app_port = distinct_free_ports(3)
    public_url = f"https://{HOST}:{tls_port}"
    ca_path = make_certificates(tmp)
    (tmp / "www" / ".well-known" / "acme-challenge").mkdir(parents=True)
    (tmp / "www" / ".well-known" / "acme-challenge" / "probe").write_text("acme probe\n")
    token = secrets.token_urlsafe(32)
    with ExitStack() as stack:
        settings = {
            "APP_ENV": "testing",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SESSION_COOKIE_SECURE": "",  # the default: true outside development
            "PUBLIC_URL": public_url,
            "TRUSTED_PROXY_HOPS": "1",
            "DATABASE_URL": stack.enter_context(stores.postgres_schema()),
            "REDIS_URL": stack.enter_context(stores.redis_database()),
            # The dev sign-in, and GitHub to see the callback URL sent upstream (nothing is sent to GitHub).
            "OAUTH_PROVIDERS": "dev,github",
            "OAUTH_GITHUB_CLIENT_ID": "proxy-test-client",
            "OAUTH_GITHUB_CLIENT_SECRET": secrets.token_urlsafe(24),
            "MCP_TOOL_PACKAGES": "app.tools,tests.mcp_fixtures",
            "MCP_STATIC_TOKENS": f"{token},{keep_alive.TOKEN}",
            "MCP_INVALID_TOKEN_RATE_LIMIT": keep_alive.settings()["MCP_INVALID_TOKEN_RATE_LIMIT"],
            "MCP_ALLOWED_HOSTS": "",  # the default: PUBLIC_URL's host
            "MCP_ALLOWED_ORIGINS": "",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
        }
        app = stack.enter_context(live_app(settings, tmp / "gunicorn.log", port=app_port, workers=2))
        write_nginx_conf(tmp, render_server_blocks(tmp, tls_port, http_port, app_port))
        stack.enter_context(running_nginx(nginx, tmp, (tls_port, http_port)))
        yield BehindNginx(app, public_url, tls_port, http_port, ca_path, tmp)
        print(f"\nnginx error.log warnings: {_warnings(tmp / 'error.log') or 'none'}")


def _warnings(log: Path) -> list[str]:
    levels = ("[warn]", "[error]", "[crit]", "[alert]", "[emerg]")
    return [line for line in log.read_text().splitlines() if any(level in line for level in levels)]


# Clients.


class PinnedAddress(HTTPAdapter):
    """Connect to `address` for URLs on `hostname`, keeping `hostname` for SNI, certificate checks and Host."""

    def __init__(self, hostname: str, address: str = "127.0.0.1") -> None:
        self.hostname, self.address = hostname, address
        super().__init__()

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: bool | str | None, proxies: Any = None, cert: Any = None
    ) -> Any:
        parts = urlsplit(request.url or "")
        if parts.hostname != self.hostname:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        pool_kwargs: dict[str, Any] = {}
        if parts.scheme == "https":
            assert isinstance(verify, str), "verify must name the test CA"
            pool_kwargs = {"cert_reqs": "CERT_REQUIRED", "ca_certs": verify}
            pool_kwargs |= {"server_hostname": self.hostname, "assert_hostname": self.hostname}
        return self.poolmanager.connection_from_host(self.address, parts.port, parts.scheme, pool_kwargs=pool_kwargs)

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        """Name the host as the URL does (http.client would name the address connected to)."""
        request.headers.setdefault("Host", urlsplit(request.url or "").netloc)


@dataclass
class Browser:
    """A `requests` session on mcp.test that trusts only the test CA and records every Set-Cookie it gets."""

    deployment: BehindNginx
    http: requests.Session = field(default_factory=requests.Session)
    set_cookies: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Ignore REQUESTS_CA_BUNDLE and the like, which would replace `verify`, and any proxy settings.
        self.http.trust_env = False
        self.http.verify = str(self.deployment.ca_path)
        adapter = PinnedAddress(HOST)
        self.http.mount(f"https://{HOST}:", adapter)
        self.http.mount(f"http://{HOST}:", adapter)
        self.http.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.set_cookies += response.raw.headers.getlist("Set-Cookie")

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.http.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.http.post(url, allow_redirects=False, timeout=HTTP_TIMEOUT, **kwargs)

    def submit(self, page: requests.Response, url: str, form: dict[str, str]) -> requests.Response:
        """Post a form from `page`, with its CSRF token and a Referer, as a browser with a default policy would."""
        data = form | {"csrf_token": csrf_token(page.text)}
        return self.post(url, data=data, headers={"Referer": page.url})

    def sign_in(self, name: str, email: str) -> requests.Response:
        """Sign in through /auth/login/dev; return the answer to the form post."""
        chosen = self.get(self.deployment.url("/auth/login/dev"))
        return dev_sign_in(self.http, self.deployment.public_url, name, email, page_url=location(chosen))


@pytest.fixture
def browser(deployment: BehindNginx) -> Iterator[Browser]:
    made = Browser(deployment)
    yield made
    made.http.close()


def location(response: requests.Response) -> str:
    """The absolute URL a redirect sends to; a relative Location is fine (it stays on the request's origin)."""
    assert response.status_code in (301, 302, 303, 307, 308), (response.status_code, response.text[:500])
    sent = response.headers["Location"]
    assert urlsplit(sent).scheme in ("", "https"), f"redirect to a non-https URL: {sent}"
    return urljoin(response.url, sent)


def assert_public(deployment: BehindNginx, url: str) -> None:
    assert url.startswith(deployment.public_url + "/"), f"{url} is not on {deployment.public_url}"


def cookie_attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    """Return the cookie's name and its attributes, lower-cased names."""
    first, *rest = (part.strip() for part in set_cookie.split(";"))
    attributes = dict((name.lower(), value) for name, _, value in (part.partition("=") for part in rest))
    return first.partition("=")[0], attributes


# Tests.


def test_discovery_documents_name_the_public_https_url(deployment: BehindNginx, browser: Browser) -> None:
    public = deployment.public_url
    resource = browser.get(deployment.url("/.well-known/oauth-protected-resource/mcp"))
    assert resource.status_code == 200, resource.text
    assert resource.json()["resource"] == f"{public}/mcp"
    assert resource.json()["authorization_servers"] == [public]
    assert browser.get(deployment.url("/.well-known/oauth-protected-resource")).json() == resource.json()

    server = browser.get(deployment.url("/.well-known/oauth-authorization-server"))
    assert server.status_code == 200, server.text
    metadata = server.json()
    assert metadata["issuer"] == public
    endpoints = {key: value for key, value in metadata.items() if key.endswith("_endpoint")}
    assert set(endpoints) >= {"authorization_endpoint", "token_endpoint", "registration_endpoint"}
    for url in endpoints.values():
        assert_public(deployment, url)
    print(f"\nissuer {metadata['issuer']}; endpoints {sorted(endpoints.values())}")


def test_mcp_challenge_points_at_https_metadata(deployment: BehindNginx, browser: Browser) -> None:
    refused = browser.post(deployment.url("/mcp"), json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert refused.status_code == 401, refused.text
    challenge = refused.headers["WWW-Authenticate"]
    metadata_url = f"{deployment.public_url}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in challenge
    assert browser.get(metadata_url).status_code == 200  # the URL works as given
    print(f"\nWWW-Authenticate: {challenge}")


def test_sign_in_redirects_stay_on_the_public_https_url(deployment: BehindNginx, browser: Browser) -> None:
    to_login = location(browser.get(deployment.url("/?from=proxy")))
    assert to_login.startswith(f"{deployment.public_url}/auth/login?") and query_of(to_login)["next"] == "/?from=proxy"
    # A JSON caller is told where to sign in, with a URL the app builds from the forwarded headers, which a
    # client cannot forge: nginx replaces them.
    forged = {"Accept": "application/json", "X-Forwarded-Host": "evil.test", "X-Forwarded-Proto": "http"}
    told = browser.get(deployment.url("/"), headers=forged)
    assert told.status_code == 401 and told.json()["message"].endswith(f"{deployment.public_url}/auth/login")

    assert browser.get(to_login).status_code == 200  # two providers: the choice page
    upstream = location(browser.get(deployment.url("/auth/login/github")))
    assert query_of(upstream)["redirect_uri"] == f"{deployment.public_url}/auth/callback/github"
    failed = location(browser.get(deployment.url("/auth/callback/github?code=x&state=forged")))
    assert failed == f"{deployment.public_url}/auth/failure?reason=state_mismatch"

    signed_in = browser.sign_in("Proxy Person", "proxy@example.test")
    after = location(signed_in)
    assert after == f"{deployment.public_url}/?from=proxy"
    home = browser.get(after)
    assert home.status_code == 200 and "Proxy Person" in home.text
    print(f"\n/ -> {to_login}\nGitHub redirect_uri: {query_of(upstream)['redirect_uri']}\nsigned in -> {after}")


def test_oauth_authorize_and_callback_redirects(deployment: BehindNginx, browser: Browser) -> None:
    public = deployment.public_url
    pkce, resource = Pkce(state="s-1"), f"{public}/mcp"
    client = PublicClient.register(public, REDIRECT, "Proxy test", resource=resource, http=browser.http, pkce=pkce)

    authorize = browser.get(client.authorization_url(public))
    to_login = location(authorize)
    assert_public(deployment, to_login)
    assert query_of(to_login)["next"].startswith("/oauth/authorize?")
    browser.get(to_login)  # remembers where to come back to
    back = location(browser.sign_in("Ada", "ada@example.test"))
    assert back.startswith(f"{public}/oauth/authorize?")

    consent = browser.get(back)
    assert consent.status_code == 200, consent.text
    answered = browser.submit(consent, consent.url, {"decision": "allow"})
    assert answered.status_code == 302, answered.text
    to_client = answered.headers["Location"]  # the client's own (loopback http) redirect URI
    assert to_client.startswith(REDIRECT + "?")
    returned = query_of(to_client)
    assert returned["iss"] == public and returned["state"] == "s-1"

    tokens = client.exchange(public, returned["code"])
    called = whoami(deployment.url("/mcp"), tokens["access_token"], http=browser.http, version=MODERN, meta=PROGRESS)
    assert called.status_code == 200 and "ada@example.test" in called.text, called.text
    print(f"\nauthorize -> {to_login[:80]}...\nsigned in -> {back[:80]}...\nconsent -> iss={returned['iss']}")


def test_forms_post_with_the_referer_browsers_send(deployment: BehindNginx, browser: Browser) -> None:
    """Over https, CSRF checks want a same-origin Referer; the pages' policy lets browsers send it.

    (With `Referrer-Policy: no-referrer`, Chromium sent no Referer and `Origin: null`, and every form
    post behind TLS was refused with "The referrer header is missing.")
    """
    signed_in = browser.sign_in("Grace", "grace@example.test")
    assert signed_in.status_code == 302
    page = browser.get(deployment.url("/auth/logout"))
    assert page.headers["Referrer-Policy"] == "same-origin"
    headers = {"Referer": deployment.url("/auth/logout")}
    answered = browser.post(deployment.url("/auth/logout"), data={"csrf_token": csrf_token(page.text)}, headers=headers)
    assert answered.status_code == 200, answered.text
    print(f"\nPOST /auth/logout with a same-origin Referer: {answered.status_code}")


def test_cookies_are_secure_and_hsts_is_sent(deployment: BehindNginx, browser: Browser) -> None:
    assert browser.sign_in("Cookie Person", "cookies@example.test").status_code == 302
    assert browser.set_cookies, "no cookie was set during sign-in"
    for set_cookie in browser.set_cookies:
        _, attributes = cookie_attributes(set_cookie)
        assert "secure" in attributes, set_cookie
        assert "httponly" in attributes, set_cookie
        assert attributes.get("samesite", "").lower() == "lax", set_cookie
    for path in ("/health", "/", "/.well-known/oauth-authorization-server"):
        assert browser.get(deployment.url(path)).headers.get("Strict-Transport-Security") == HSTS, path
    print(f"\nSet-Cookie headers seen: {[cookie_attributes(c) for c in browser.set_cookies]}")


def _raw_http(port: int, host: str) -> bytes:
    """Send a plain HTTP GET naming `host`; return everything read before the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as connection:
        connection.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def _tls_handshake(port: int, server_name: str | None) -> str:
    """Try a TLS handshake with `server_name` as SNI (None: none); return "ok" or the alert."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # only the handshake is looked at
    with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as connection:
        try:
            with context.wrap_socket(connection, server_hostname=server_name):
                return "ok"
        except ssl.SSLError as error:
            return error.reason or str(error)


def test_a_wrong_host_is_refused_cleanly(deployment: BehindNginx, browser: Browser) -> None:
    misdirected = browser.get(deployment.url("/mcp"), headers={"Host": "evil.test"})
    by_address = browser.get(deployment.url("/"), headers={"Host": f"127.0.0.1:{deployment.tls_port}"})
    for refused in (misdirected, by_address):
        assert refused.status_code == 421, refused.text
        assert "Traceback" not in refused.text
    assert _tls_handshake(deployment.tls_port, HOST) == "ok"
    unknown_sni, no_sni = _tls_handshake(deployment.tls_port, "evil.test"), _tls_handshake(deployment.tls_port, None)
    assert "UNRECOGNIZED_NAME" in unknown_sni and "UNRECOGNIZED_NAME" in no_sni
    assert _raw_http(deployment.http_port, "evil.test") == b""  # 444: closed without a word

    # Behind nginx the app still checks Host itself (DNS rebinding): a foreign Host reaching gunicorn gets 403.
    direct = requests.post(
        f"{deployment.app_url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"Host": "evil.test", "Authorization": f"Bearer {deployment.token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert direct.status_code == 403 and "Traceback" not in direct.text, direct.text
    assert "Traceback" not in deployment.gunicorn_log.read_text()
    print(
        f"\nHost evil.test -> {misdirected.status_code}; Host 127.0.0.1 -> {by_address.status_code}; "
        f"SNI evil.test -> {unknown_sni}; no SNI -> {no_sni}; http Host evil.test -> connection closed; "
        f"gunicorn Host evil.test -> {direct.status_code} {direct.json()['error']['message']!r}"
    )


def test_plain_http_redirects_to_https(deployment: BehindNginx, browser: Browser) -> None:
    redirected = browser.get(f"http://{HOST}:{deployment.http_port}/mcp/path?x=1&y=%2F")
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == f"{deployment.public_url}/mcp/path?x=1&y=%2F"
    assert "Set-Cookie" not in redirected.headers
    acme = browser.get(f"http://{HOST}:{deployment.http_port}/.well-known/acme-challenge/probe")
    assert acme.status_code == 200 and acme.text == "acme probe\n"
    print(f"\nhttp -> {redirected.status_code} {redirected.headers['Location']}; ACME path served over http")


def test_oversized_bodies_stop_at_nginx(deployment: BehindNginx, browser: Browser) -> None:
    too_big = browser.post(deployment.url("/mcp"), data=b"x" * (1024 * 1024 + 1))
    assert too_big.status_code == 413 and "nginx" in too_big.text
    print(f"\n1 MiB + 1 byte -> {too_big.status_code} from nginx")


def test_early_answers_keep_the_connection_usable(deployment: BehindNginx, browser: Browser) -> None:
    """Through nginx and its kept-alive upstream connections: every early answer, then a normal call (one client
    connection; nginx's own 413 above 1 MiB included)."""

    def send(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        response = browser.http.request(
            method, deployment.url(path), data=body, headers=headers, timeout=HTTP_TIMEOUT, allow_redirects=False
        )
        return response.status_code, response.content

    tally = keep_alive.run_pairs(send, 1024 * 1024)
    print(f"\nbehind nginx: {tally.pairs} pairs, {len(tally.failures)} failed")
    assert not tally.failures, tally.failures[:10]


def timed_events(response: requests.Response, started: float) -> list[tuple[float, dict[str, Any]]]:
    """Read an event stream as it arrives; return each message with its arrival time in seconds since `started`."""
    events: list[tuple[float, dict[str, Any]]] = []
    buffer = ""
    for chunk in response.iter_content(chunk_size=None):
        arrived = time.monotonic() - started
        buffer += chunk.decode()
        *complete, buffer = buffer.split("\n\n")
        for block in complete:
            data = [line.removeprefix("data:").strip() for line in block.splitlines() if line.startswith("data:")]
            if data:
                events.append((arrived, json.loads("\n".join(data))))
    return events


def stream_count_slowly(http: requests.Session, url: str, token: str) -> list[tuple[float, dict[str, Any]]]:
    started = time.monotonic()
    arguments = {"to": STEPS, "delay": DELAY}
    called = call_tool(url, token, "count_slowly", arguments, http=http, version=MODERN, meta=PROGRESS, stream=True)
    with called as response:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/event-stream")
        return timed_events(response, started)


def _describe(events: list[tuple[float, dict[str, Any]]]) -> str:
    kinds = ("progress" if "method" in message else "result" for _, message in events)
    return ", ".join(f"{kind} {arrived:.3f}s" for kind, (arrived, _) in zip(kinds, events, strict=True))


def test_event_streams_arrive_unbuffered(deployment: BehindNginx, browser: Browser) -> None:
    events = stream_count_slowly(browser.http, deployment.url("/mcp"), deployment.token)
    with requests.Session() as plain:  # for comparison: gunicorn itself, no proxy
        direct = stream_count_slowly(plain, f"{deployment.app_url}/mcp", deployment.token)
    print(f"\ncount_slowly(to={STEPS}, delay={DELAY}) via nginx: {_describe(events)}")
    print(f"count_slowly(to={STEPS}, delay={DELAY}) gunicorn direct: {_describe(direct)}")

    progress = [arrived for arrived, message in events if message.get("method") == "notifications/progress"]
    finished, result = events[-1]
    assert len(progress) == STEPS and "result" in result
    assert result["result"]["content"][0]["text"] == f"Counted to {STEPS}."
    # Unbuffered: each step arrives when it is made, about DELAY apart, well before the result.
    assert progress[0] < finished - (STEPS - 1) * DELAY * 0.8
    assert all(later - earlier > DELAY * 0.6 for earlier, later in zip(progress, progress[1:], strict=False))
