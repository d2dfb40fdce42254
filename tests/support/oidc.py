"""A real local OpenID Connect provider for integration tests.

`start_oidc_provider` runs the Node `oidc-provider` server in `tests/support/oidc_provider/` on 127.0.0.1 with
one confidential client (client_secret_basic, authorization code + PKCE S256, RS256 ID tokens carrying `email`
and `name`). Any login name is accepted: it becomes `sub`, with email `<login>@example.test`.

`sign_in_at_provider` drives the provider's login and consent pages with a `requests.Session`, for tests that
don't need a browser. Playwright tests can use the same pages: the login field has id `login`, the buttons read
"Sign in", "Cancel", "Allow" and "Deny".

The provider also plays an enterprise IdP that issues Identity Assertion JWT Authorization Grants (ID-JAGs) by
RFC 8693 token exchange: `OidcProvider.id_token` signs a person in and returns their ID token, `id_jag` trades it
for an ID-JAG for a resource authorization server, whose client id for our client `map_client` sets first.
`rotate_keys` and `sign` let tests present ID-JAGs signed with a newer key, or with wrong claims or headers.

Typical fixture::

    provider = start_oidc_provider(["http://127.0.0.1:5000/auth/callback"])
    try:
        yield provider
    finally:
        provider.stop()
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from tests.support.services import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
STARTUP_TIMEOUT = 60.0  # seconds until the discovery document must answer: ~1 s idle, once over 20 s under CI load
MAX_SIGN_IN_STEPS = 20  # redirects + form posts; the real flow needs about 8
#: Always registered for the client so that `OidcProvider.id_token` can sign in; nothing listens there (port 9 is
#: "discard"), and it is never requested: `sign_in_at_provider` stops at the redirect.
ID_TOKEN_CALLBACK = "http://127.0.0.1:9/id-token-callback"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_JAG_TYPE = "urn:ietf:params:oauth:token-type:id-jag"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"


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

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, where its endpoints are named (as a relying party finds them)."""
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5)
        response.raise_for_status()
        return response.json()

    def id_token(self, login: str) -> str:
        """Sign in as `login` (authorization code flow with PKCE S256) and return the ID token the client gets.

        It is the subject token of an ID-JAG exchange, as an MCP client holds after its single sign-on.
        """
        metadata = self.metadata()
        verifier, challenge = _pkce_pair()
        query = {
            "client_id": self.client_id,
            "response_type": "code",
            "scope": "openid email profile",
            "redirect_uri": ID_TOKEN_CALLBACK,
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        with requests.Session() as browser:
            back = sign_in_at_provider(browser, f"{metadata['authorization_endpoint']}?{urlencode(query)}", login)
        code = parse_qs(urlsplit(back).query).get("code")
        if not code:
            raise RuntimeError(f"the provider answered the sign-in without a code: {back}")
        form = {"grant_type": "authorization_code", "code": code[0], "redirect_uri": ID_TOKEN_CALLBACK}
        response = self._token_request(metadata["token_endpoint"], {**form, "code_verifier": verifier})
        return _json_or_raise(response, "code exchange")["id_token"]

    def request_id_jag(
        self,
        subject_token: str,
        audience: str | None,
        resource: str | None,
        scope: str | None = None,
        **params: str | None,
    ) -> requests.Response:
        """Ask the provider to exchange `subject_token` for an ID-JAG; return its answer, errors included.

        `params` add form parameters or replace the usual ones. Any parameter that is None is left out, so tests
        can check the errors.
        """
        form: dict[str, str | None] = {
            "grant_type": TOKEN_EXCHANGE,
            "requested_token_type": ID_JAG_TYPE,
            "subject_token": subject_token,
            "subject_token_type": ID_TOKEN_TYPE,
            "audience": audience,
            "resource": resource,
            "scope": scope,
            **params,
        }
        sent = {name: value for name, value in form.items() if value is not None}
        return self._token_request(self.metadata()["token_endpoint"], sent)

    def id_jag(self, subject_token: str, audience: str, resource: str, scope: str | None = None) -> str:
        """Exchange `subject_token` (an ID token of our client) for an ID-JAG to present to `audience`.

        `audience` is the resource authorization server's issuer. Raises with the provider's answer if it refuses.
        """
        response = self.request_id_jag(subject_token, audience, resource, scope)
        return _json_or_raise(response, "ID-JAG exchange")["access_token"]

    def map_client(self, audience: str, client_id: str) -> None:
        """Tell the provider our client's id at the authorization server `audience`, for its ID-JAGs' `client_id`.

        An enterprise IdP learns this when the resource is set up; without it, it refuses the exchange.
        """
        self._test_post("id-jag-clients", {"audience": audience, "client_id": client_id})

    def rotate_keys(self) -> None:
        """Add a new signing key to the provider's JWKS and sign ID-JAGs with it from now on; old keys stay listed."""
        self._test_post("rotate-keys")

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """Sign `claims` as given with the provider's current ID-JAG key, for ID-JAGs no exchange would issue.

        `header` overrides the defaults (alg RS256, typ oauth-id-jag+jwt, kid of that key); None removes one, a
        kid that names no published key signs with a key the JWKS never lists, and alg "none" leaves it unsigned.
        """
        return self._test_post("sign", {"claims": claims, "header": header}).json()["jwt"]

    def _token_request(self, token_endpoint: str, form: dict[str, str]) -> requests.Response:
        """POST `form` to the token endpoint, authenticated as our client (client_secret_basic)."""
        return requests.post(token_endpoint, data=form, auth=(self.client_id, self.client_secret), timeout=10)

    def _test_post(self, endpoint: str, body: dict[str, Any] | None = None) -> requests.Response:
        """POST `body` as JSON to one of the provider's /test/ endpoints; raise with its answer if it fails."""
        response = requests.post(f"{self.issuer}/test/{endpoint}", json=body or {}, timeout=10)
        if not response.ok:
            raise RuntimeError(f"POST /test/{endpoint} failed (HTTP {response.status_code}): {response.text}")
        return response

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


def _pkce_pair() -> tuple[str, str]:
    """A fresh PKCE code verifier and its S256 challenge (the provider requires PKCE, and S256 only)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _json_or_raise(response: requests.Response, what: str) -> dict[str, Any]:
    """The JSON body of a successful token endpoint answer; otherwise raise with the answer."""
    if response.status_code != 200:
        raise RuntimeError(f"the provider refused the {what} (HTTP {response.status_code}): {response.text}")
    return response.json()


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

    `redirect_uris` are registered for the client exactly as given, with `ID_TOKEN_CALLBACK` for `id_token`. A
    free port is picked when `port` is None.
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
        "REDIRECT_URIS": ",".join(dict.fromkeys([*redirect_uris, ID_TOKEN_CALLBACK])),
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
