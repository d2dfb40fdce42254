"""Fixtures for the authorization server: a client, a signed-in person, the flow in steps."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import AuthActions, csrf_token

REDIRECT = "http://127.0.0.1:9999/callback"
RESOURCE = "http://localhost/mcp"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class OAuthActions:
    """Walk the authorization code flow through the test client, one step at a time."""

    client: object
    client_id: str = ""
    client_secret: str | None = None
    verifier: str = field(default_factory=lambda: pkce()[0])

    def register(self, **metadata) -> dict:
        body = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Test client"}
        response = self.client.post("/oauth/register", json=body | metadata)
        assert response.status_code == 201, response.text
        self.client_id, self.client_secret = response.json["client_id"], response.json.get("client_secret")
        return response.json

    def authorize_params(self, **overrides) -> dict:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "state": "state-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": RESOURCE,
        }
        return {key: value for key, value in (params | overrides).items() if value is not None}

    def consent(self, decision: str = "allow", remember: bool = False, **overrides):
        """Open the consent page and answer it; return the redirect response."""
        params = self.authorize_params(**overrides)
        page = self.client.get("/oauth/authorize", query_string=params)
        assert page.status_code == 200, (page.status_code, page.location)
        form = {"csrf_token": csrf_token(page.text), "decision": decision} | ({"remember": "yes"} if remember else {})
        return self.client.post("/oauth/authorize", query_string=params, data=form)

    def code(self, **overrides) -> str:
        response = self.consent(**overrides)
        assert response.status_code == 302, response.text
        return redirect_params(response)["code"]

    def exchange(self, code: str, **overrides):
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": self.client_id}
        data |= {"code_verifier": self.verifier, "resource": RESOURCE}
        return self.client.post("/oauth/token", data={k: v for k, v in (data | overrides).items() if v is not None})

    def tokens(self, **overrides) -> dict:
        response = self.exchange(self.code(**overrides))
        assert response.status_code == 200, response.text
        return response.json

    def refresh(self, refresh_token: str):
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        return self.client.post("/oauth/token", data=data)

    def call(self, access_token: str, method: str = "tools/call", params: dict | None = None):
        params = {"name": "whoami", "arguments": {}} if params is None and method == "tools/call" else params
        body = {"jsonrpc": "2.0", "id": 1, "method": method} | ({"params": params} if params is not None else {})
        return self.client.post("/mcp", json=body, headers={"Authorization": f"Bearer {access_token}"})


def redirect_params(response) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(response.location).query).items()}


@pytest.fixture
def oauth_app(make_app):
    return make_app(MCP_TOOL_PACKAGES="app.tools,tests.oauth.scoped_tools")


@pytest.fixture
def oauth(oauth_app) -> OAuthActions:
    """A registered public client and a signed-in person (Ada), ready to authorize."""
    client = oauth_app.test_client()
    AuthActions(client).dev_sign_in(name="Ada", email="ada@example.test")
    actions = OAuthActions(client)
    actions.register()
    return actions
