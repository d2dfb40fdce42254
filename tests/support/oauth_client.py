"""An OAuth client of the app over HTTP: a PKCE pair, a public client, consent by a signed-in browser, tokens.

`PublicClient` registers itself dynamically (no secret, PKCE S256) and then builds authorization URLs, exchanges
codes and refreshes or revokes tokens with `requests`: on the caller's session, or over a fresh connection per
request. Every call names the base URL it goes to, so a test may send each step to another instance of the app.
`approve` and `answer_consent` are the person's side: a session signed in to the app allows on the consent page.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.conftest import csrf_token
from tests.support.servers import HTTP_TIMEOUT, post


def s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Pkce:
    """One authorization request's PKCE verifier and state, and the verifier's S256 challenge."""

    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def challenge(self) -> str:
        return s256(self.verifier)


def query_of(url: str) -> dict[str, str]:
    """The query of `url`, the first value of each name."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def answer_consent(
    browser: requests.Session, page: requests.Response, decision: str = "allow", *, timeout: float = HTTP_TIMEOUT
) -> requests.Response:
    """Answer the consent page `page` with `decision`; return the answer, unfollowed."""
    form = {"csrf_token": csrf_token(page.text), "decision": decision}
    headers = {"Referer": page.url}
    return browser.post(page.url, data=form, headers=headers, allow_redirects=False, timeout=timeout)


def approve(browser: requests.Session, authorize_url: str, *, timeout: float = HTTP_TIMEOUT) -> str:
    """Open `authorize_url` as the person signed in on `browser` and allow; return the redirect back to the client."""
    page = browser.get(authorize_url, allow_redirects=False, timeout=timeout)
    assert page.status_code == 200, f"authorize answered {page.status_code} ({page.headers.get('Location')})"
    decided = answer_consent(browser, page, timeout=timeout)
    assert decided.status_code == 302, f"consent answered {decided.status_code}: {decided.text}"
    return decided.headers["Location"]


@dataclass(frozen=True)
class PublicClient:
    """A registered public client; `pkce` is the pair it authorizes with unless a call is given another."""

    client_id: str
    redirect_uri: str
    resource: str  # the MCP endpoint its tokens are for
    http: requests.Session | None = None  # None: a fresh connection per request
    timeout: float = HTTP_TIMEOUT
    pkce: Pkce = field(default_factory=Pkce)

    @classmethod
    def register(
        cls,
        base_url: str,
        redirect_uri: str,
        client_name: str,
        *,
        resource: str | None = None,
        http: requests.Session | None = None,
        timeout: float = HTTP_TIMEOUT,
        pkce: Pkce | None = None,
        **metadata: Any,
    ) -> PublicClient:
        """Register at `base_url`/oauth/register; `resource` defaults to `base_url`/mcp."""
        body = {"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none", "client_name": client_name}
        response = post(http, f"{base_url}/oauth/register", json=body | metadata, timeout=timeout)
        assert response.status_code == 201, response.text
        client_id, resource = response.json()["client_id"], resource or f"{base_url}/mcp"
        return cls(client_id, redirect_uri, resource, http, timeout, pkce or Pkce())

    def authorization_params(self, pkce: Pkce | None = None, **overrides: str | None) -> dict[str, str]:
        """The authorization request's query; an override of None leaves that parameter out."""
        pkce = pkce or self.pkce
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": pkce.state,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
            "resource": self.resource,
        }
        return {key: value for key, value in (params | overrides).items() if value is not None}

    def authorization_url(self, base_url: str, pkce: Pkce | None = None, **overrides: str | None) -> str:
        return f"{base_url}/oauth/authorize?{urlencode(self.authorization_params(pkce, **overrides))}"

    def authorize(self, browser: requests.Session, base_url: str, pkce: Pkce | None = None) -> dict[str, str]:
        """Allow on `base_url`'s consent page in `browser`; return the query of the redirect back (state checked)."""
        pkce = pkce or self.pkce
        location = approve(browser, self.authorization_url(base_url, pkce), timeout=self.timeout)
        assert location.startswith(self.redirect_uri + "?"), location
        answer = query_of(location)
        assert answer["state"] == pkce.state, answer
        return answer

    def exchange(self, base_url: str, code: str, pkce: Pkce | None = None) -> dict[str, Any]:
        """Trade `code` for tokens as a public client does: no secret, the PKCE verifier; return the tokens."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": (pkce or self.pkce).verifier,
            "resource": self.resource,
        }
        response = self._post(f"{base_url}/oauth/token", data=data)
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, base_url: str, refresh_token: str) -> requests.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        return self._post(f"{base_url}/oauth/token", data=data)

    def revoke(self, base_url: str, token: str) -> requests.Response:
        return self._post(f"{base_url}/oauth/revoke", data={"token": token, "client_id": self.client_id})

    def _post(self, url: str, **kwargs: Any) -> requests.Response:
        return post(self.http, url, timeout=self.timeout, **kwargs)
