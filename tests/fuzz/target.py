"""The app under test made ready to fuzz: a person signed in, clients, codes, tokens, sessions and names."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from app.mcp.legacy.handshake import VERSIONS as LEGACY_VERSIONS
from tests.conftest import AuthActions, csrf_token
from tests.fuzz.known import CONFIDENTIAL_REDIRECT, PUBLIC_REDIRECT, RESOURCE, SLOW_TOOLS, TALKERS, TOKEN


@dataclass(frozen=True)
class Vocabulary:
    """Names this app serves, so generated requests reach real tools, prompts and resources."""

    tools: tuple[str, ...]
    talkers: tuple[str, ...]  # tools that report progress or log while they run (their answer is a stream)
    prompts: tuple[str, ...]
    resources: tuple[str, ...]
    templates: tuple[str, ...]

    @classmethod
    def of(cls, app: Flask) -> Vocabulary:
        registry = app.extensions["mcp"]
        tools = tuple(name for name in registry.tools if name not in SLOW_TOOLS)
        talkers = tuple(name for name in TALKERS if name in registry.tools)
        return cls(tools, talkers, tuple(registry.prompts), tuple(registry.resources), tuple(registry.templates))


@dataclass(frozen=True)
class Grant:
    """A code or a refresh token, and the client it was issued to."""

    client_id: str
    redirect_uri: str
    secret: str


@dataclass
class Target:
    """The app, its clients, and the credentials and names the fuzzers draw from."""

    app: Flask
    client: FlaskClient  # bearer tokens and client credentials only: its cookies never matter
    browser: FlaskClient  # a person signed in through the dev form, for /oauth/authorize
    csrf: str  # the browser's CSRF token (flask-wtf tokens hold for the session)
    words: Vocabulary
    provider_url: str  # where the GitHub-type provider's sign-in starts (a closed loopback port)
    public_id: str = ""
    confidential_id: str = ""
    confidential_secret: str = ""
    redirects: dict[str, list[str]] = field(default_factory=dict)
    sessions: list[str] = field(default_factory=list)
    verifier: str = ""  # the PKCE verifier of every code below
    grants: list[Grant] = field(default_factory=list)  # unused codes
    refreshes: list[Grant] = field(default_factory=list)  # refresh tokens
    access_tokens: list[str] = field(default_factory=list)
    log_level: int = logging.NOTSET  # the app logger's own level (the fuzzers silence it)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(grant.secret for grant in self.grants)

    @property
    def refresh_tokens(self) -> tuple[str, ...]:
        return tuple(grant.secret for grant in self.refreshes)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def prepare(app: Flask, provider_url: str) -> Target:
    """Sign a person in, register a public and a confidential client, get codes and tokens, open sessions."""
    browser = app.test_client()
    AuthActions(browser).dev_sign_in(name="Fuzz", email="fuzz@example.test")
    client = app.test_client()
    public = register(client, PUBLIC_REDIRECT, "none")
    confidential = register(client, CONFIDENTIAL_REDIRECT, "client_secret_basic")
    verifier, challenge = pkce()
    page = browser.get(
        "/oauth/authorize", query_string=authorize_query(public["client_id"], PUBLIC_REDIRECT, challenge)
    )
    assert page.status_code == 200, page.text
    found = Target(app, client, browser, csrf_token(page.text), Vocabulary.of(app), provider_url)
    found.public_id, found.confidential_id = public["client_id"], confidential["client_id"]
    found.confidential_secret, found.verifier = confidential["client_secret"], verifier
    found.redirects = {public["client_id"]: [PUBLIC_REDIRECT], confidential["client_id"]: [CONFIDENTIAL_REDIRECT]}
    for client_id, redirect_uri in ((found.public_id, PUBLIC_REDIRECT), (found.confidential_id, CONFIDENTIAL_REDIRECT)):
        codes = [consent(found, client_id, redirect_uri, challenge) for _ in range(3)]
        tokens = exchange(found, client_id, redirect_uri, codes.pop(), verifier)
        found.grants += [Grant(client_id, redirect_uri, code) for code in codes]
        found.access_tokens.append(tokens["access_token"])
        found.refreshes.append(Grant(client_id, redirect_uri, tokens["refresh_token"]))
    found.sessions = [initialize(client, version) for version in LEGACY_VERSIONS]
    return found


def register(client: FlaskClient, redirect_uri: str, method: str) -> dict[str, Any]:
    body = {"redirect_uris": [redirect_uri], "token_endpoint_auth_method": method, "client_name": "Fuzz client"}
    response = client.post("/oauth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json


def authorize_query(client_id: str, redirect_uri: str, challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "fuzz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": RESOURCE,
    }


def consent(target: Target, client_id: str, redirect_uri: str, challenge: str) -> str:
    """Approve a request for `client_id` in the browser; return the code."""
    query = authorize_query(client_id, redirect_uri, challenge)
    response = target.browser.post(
        "/oauth/authorize", query_string=query, data={"csrf_token": target.csrf, "decision": "allow"}
    )
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.location).query)["code"][0]


def exchange(target: Target, client_id: str, redirect_uri: str, code: str, verifier: str) -> dict[str, Any]:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    data |= {"code_verifier": verifier, "resource": RESOURCE, "client_id": client_id}
    headers = {}
    if client_id == target.confidential_id:
        headers["Authorization"] = basic(client_id, target.confidential_secret)
    response = target.client.post("/oauth/token", data=data, headers=headers)
    assert response.status_code == 200, response.text
    return response.json


def initialize(client: FlaskClient, version: str) -> str:
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}
    response = client.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params},
        headers={"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": version},
    )
    assert response.status_code == 200, response.text
    return response.headers["Mcp-Session-Id"]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
