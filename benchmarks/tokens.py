"""The bearer tokens the benchmark sends: one issued by this app's own authorization server, one JWT for the peers.

The app's token comes from the real flow a person and an MCP client go through
(dev sign-in, dynamic registration, authorization code with PKCE S256 and a resource
indicator, consent, token exchange), all over HTTP with `requests`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from benchmarks.peer_common import JwtSettings

#: A loopback redirect URI: never fetched, the code is read from the Location header.
REDIRECT_URI = "http://127.0.0.1:9/callback"
HTTP_TIMEOUT = 15.0
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class FlowError(RuntimeError):
    """A step of the OAuth flow did not answer as expected."""


def app_token(base_url: str) -> str:
    """Sign in, register a public client, authorize it for `<base_url>/mcp` and return its access token."""
    with requests.Session() as browser:
        _sign_in(browser, base_url)
        client_id = _register(browser, base_url)
        verifier = secrets.token_urlsafe(48)
        code = _authorize(browser, base_url, client_id, verifier)
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "code_verifier": verifier,
            "resource": f"{base_url}/mcp",
        }
        answer = _expect(browser.post(f"{base_url}/oauth/token", data=data, timeout=HTTP_TIMEOUT), 200, "token")
        return str(answer.json()["access_token"])


def _sign_in(browser: requests.Session, base_url: str) -> None:
    page = _expect(browser.get(f"{base_url}/auth/dev", timeout=HTTP_TIMEOUT), 200, "dev sign-in page")
    form = {"name": "Benchmark", "email": "bench@example.test", "csrf_token": _csrf_token(page.text)}
    answer = browser.post(f"{base_url}/auth/dev", data=form, allow_redirects=False, timeout=HTTP_TIMEOUT)
    _expect(answer, 302, "sign-in")


def _register(browser: requests.Session, base_url: str) -> str:
    body = {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none", "client_name": "benchmark"}
    answer = _expect(browser.post(f"{base_url}/oauth/register", json=body, timeout=HTTP_TIMEOUT), 201, "registration")
    return str(answer.json()["client_id"])


def _authorize(browser: requests.Session, base_url: str, client_id: str, verifier: str) -> str:
    """Open the consent page, allow, and return the code from the redirect."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": f"{base_url}/mcp",
    }
    url = f"{base_url}/oauth/authorize"
    page = _expect(browser.get(url, params=params, allow_redirects=False, timeout=HTTP_TIMEOUT), 200, "consent page")
    form = {"csrf_token": _csrf_token(page.text), "decision": "allow"}
    answer = browser.post(url, params=params, data=form, allow_redirects=False, timeout=HTTP_TIMEOUT)
    location = _expect(answer, 302, "consent").headers["Location"]
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    if not location.startswith(REDIRECT_URI) or query.get("state") != state or "code" not in query:
        raise FlowError(f"consent redirected to {location!r}")
    return query["code"]


def _expect(response: requests.Response, status: int, step: str) -> requests.Response:
    if response.status_code != status:
        raise FlowError(f"{step}: expected {status}, got {response.status_code}: {response.text[:500]}")
    return response


def _csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    if not match:
        raise FlowError("no CSRF token in the page")
    return match.group(1) or match.group(2)


class JwtIssuer:
    """An RSA key pair that signs the RS256 JWTs the peer servers verify with its public half."""

    issuer = "https://issuer.benchmark.invalid"

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, private=True)

    def settings(self, audience: str) -> JwtSettings:
        """Return what a peer serving `audience` needs to verify this issuer's tokens."""
        return JwtSettings(self.key.as_pem(private=False).decode(), self.issuer, audience)

    def token(self, audience: str, lifetime: int = 3600) -> str:
        """Sign a token for `audience`, valid for `lifetime` seconds."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "benchmark",
            "aud": audience,
            "client_id": "benchmark",
            "scope": "mcp",
            "iat": now,
            "exp": now + lifetime,
        }
        return jwt.encode({"alg": "RS256", "typ": "JWT"}, claims, self.key)
