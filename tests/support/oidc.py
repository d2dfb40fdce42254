"""A real local OpenID Connect provider for integration tests.

`start_oidc_provider` runs the Node `oidc-provider` server in `tests/support/oidc_provider/` on 127.0.0.1 with
one confidential client (client_secret_basic, authorization code + PKCE S256, RS256 ID tokens carrying `email`
and `name`). Any login name is accepted: it becomes `sub`, with email `<login>@example.test`.

`sign_in_at_provider` drives the provider's login and consent pages with a `requests.Session`, for tests that
don't need a browser. Playwright tests can use the same pages: the login field has id `login`, the buttons read
"Sign in", "Cancel", "Allow" and "Deny".

Typical fixture::

    provider = start_oidc_provider(["http://127.0.0.1:5000/auth/callback"])
    try:
        yield provider
    finally:
        provider.stop()
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

import requests

from tests.support.services import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
STARTUP_TIMEOUT = 20.0  # seconds until the discovery document must answer
MAX_SIGN_IN_STEPS = 20  # redirects + form posts; the real flow needs about 8


@dataclass
class OidcProvider:
    """A running provider process and the client registered in it."""

    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[bytes]
    # The process's stdout and stderr go here rather than into a pipe nobody reads (which could fill up).
    log: IO[bytes] | None = field(default=None, repr=False)

    def output(self) -> str:
        """Return what the provider printed so far (stdout and stderr), for error messages."""
        if self.log is None or self.log.closed:
            return ""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def refreshes(self) -> dict[str, int]:
        """How many refresh grants the provider answered, and how many it refused."""
        return requests.get(f"{self.issuer}/test/refreshes", timeout=5).json()

    def stop(self) -> None:
        """Stop the provider (SIGTERM, then SIGKILL after 10 s) and release its log. Safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()

    def __enter__(self) -> OidcProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _ensure_node_modules() -> None:
    """Install the provider's npm dependencies from package-lock.json unless they are already there."""
    if (PROVIDER_DIR / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH; it is needed to install the test OIDC provider")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        raise RuntimeError(f"npm ci failed in {PROVIDER_DIR} (exit {result.returncode}):\n{output}")


def _wait_until_ready(provider: OidcProvider, timeout: float) -> None:
    """Poll the discovery document until it answers 200; stop the provider and raise if it never does."""
    url = f"{provider.issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + timeout
    while True:
        code = provider.process.poll()
        if code is not None:
            problem = f"exited with code {code}"
            break
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet
        if time.monotonic() > deadline:
            problem = f"did not answer 200 at {url} within {timeout:.0f} s"
            break
        time.sleep(0.1)
    output = provider.output()
    provider.stop()
    raise RuntimeError(f"test OIDC provider {problem}. Its output:\n{output}")


def start_oidc_provider(
    redirect_uris: list[str], port: int | None = None, access_token_seconds: int | None = None
) -> OidcProvider:
    """Start the test provider on 127.0.0.1 and wait until it serves its discovery document.

    `redirect_uris` are registered for the client exactly as given. A free port is picked when `port` is None.
    `access_token_seconds` shortens its access tokens (default 10 minutes).
    The caller must call `stop()` on the result.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH; it is needed to run the test OIDC provider")
    _ensure_node_modules()

    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    client_id = "test-client"
    client_secret = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "PORT": str(port),
        "ISSUER": issuer,
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": client_secret,
        "REDIRECT_URIS": ",".join(redirect_uris),
        **({"ACCESS_TOKEN_TTL": str(access_token_seconds)} if access_token_seconds else {}),
    }
    log = tempfile.TemporaryFile()  # closed by OidcProvider.stop()
    process = subprocess.Popen(
        [node, "server.mjs"], cwd=PROVIDER_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    provider = OidcProvider(issuer=issuer, client_id=client_id, client_secret=client_secret, process=process, log=log)
    _wait_until_ready(provider, STARTUP_TIMEOUT)
    return provider


@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    """Collects each <form>'s action, method, named inputs and button labels."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._button_text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            method = (attributes.get("method") or "get").upper()
            self.forms.append(_Form(action=attributes.get("action") or "", method=method))
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1].fields[attributes["name"] or ""] = attributes.get("value") or ""
        elif tag == "button" and self.forms:
            self._button_text = []

    def handle_data(self, data: str) -> None:
        if self._button_text is not None:
            self._button_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button_text is not None:
            self.forms[-1].buttons.append("".join(self._button_text).strip())
            self._button_text = None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _choose_form(page: requests.Response, login: str, consent: bool) -> _Form:
    """Pick the form to submit on a provider page: the login form, or Allow/Deny on the consent page."""
    parser = _FormParser()
    parser.feed(page.text)
    forms = {button: form for form in parser.forms for button in form.buttons}
    if "Sign in" in forms:
        form = forms["Sign in"]
        form.fields["login"] = login
        return form
    wanted = "Allow" if consent else "Deny"
    if wanted in forms:
        return forms[wanted]
    raise RuntimeError(f"unexpected page from the OIDC provider at {page.url} (HTTP {page.status_code}):\n{page.text}")


def sign_in_at_provider(session: requests.Session, authorize_url: str, login: str, consent: bool = True) -> str:
    """Sign in as `login` at the provider and answer its consent page; return the redirect back to the RP.

    Redirects are followed by hand only while they stay on the provider's origin, so the relying party's callback
    is not requested: the returned URL carries `code` and `state` (or `error=access_denied` when `consent` is
    False) for the caller to hand to the RP.
    """
    if not login.strip():
        raise ValueError("login must not be empty")
    provider_origin = _origin(authorize_url)
    response = session.get(authorize_url, allow_redirects=False)
    for _ in range(MAX_SIGN_IN_STEPS):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if _origin(location) != provider_origin:
                return location
            response = session.get(location, allow_redirects=False)
            continue
        form = _choose_form(response, login, consent)
        target = urljoin(response.url, form.action)
        if form.method == "POST":
            response = session.post(target, data=form.fields, allow_redirects=False)
        else:
            response = session.get(target, params=form.fields, allow_redirects=False)
    raise RuntimeError(f"no redirect back to the relying party after {MAX_SIGN_IN_STEPS} steps (last: {response.url})")
