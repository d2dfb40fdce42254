"""The authorization code flow, token lifecycle and bearer guard, through the test client."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.oauth.models import AuthorizationCode, Consent, OAuthClient, Token
from tests.conftest import csrf_token
from tests.oauth.conftest import REDIRECT, RESOURCE, OAuthActions, pkce, redirect_params


def test_discovery_documents(oauth):
    resource = oauth.client.get("/.well-known/oauth-protected-resource/mcp").json
    assert resource == oauth.client.get("/.well-known/oauth-protected-resource").json
    assert resource["resource"] == RESOURCE and resource["authorization_servers"] == ["http://localhost"]
    assert resource["scopes_supported"] == ["mcp"] and resource["bearer_methods_supported"] == ["header"]
    server = oauth.client.get("/.well-known/oauth-authorization-server")
    assert server.headers["Access-Control-Allow-Origin"] == "*"
    metadata = server.json
    assert metadata["issuer"] == "http://localhost"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["client_id_metadata_document_supported"] is True
    assert "offline_access" not in metadata["scopes_supported"]
    assert {"admin", "mcp", "notes:write"} <= set(metadata["scopes_supported"])
    for endpoint in ("registration", "revocation", "introspection", "token", "authorization"):
        assert metadata[f"{endpoint}_endpoint"].startswith("http://localhost/oauth/")
    assert oauth.client.get("/.well-known/oauth-protected-resource/other").status_code == 404


def test_full_flow_then_a_tool_call(oauth):
    response = oauth.consent()
    params = redirect_params(response)
    assert (
        response.location.startswith(REDIRECT) and params["state"] == "state-1" and params["iss"] == "http://localhost"
    )
    token_response = oauth.exchange(params["code"])
    assert token_response.headers["Cache-Control"] == "no-store"
    tokens = token_response.json
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "mcp" and tokens["expires_in"] == 3600
    result = oauth.call(tokens["access_token"]).json["result"]["structuredContent"]
    assert result["email"] == "ada@example.test" and result["scopes"] == ["mcp"]
    assert "Set-Cookie" not in oauth.call(tokens["access_token"]).headers


def test_tokens_and_codes_are_stored_as_hashes_only(oauth_app, oauth):
    tokens = oauth.tokens()
    with oauth_app.app_context():
        from app.extensions import db

        row = db.session.query(Token).one()
        stored = " ".join(str(value) for value in vars(row).values())
    assert tokens["access_token"] not in stored and tokens["refresh_token"] not in stored


def test_signed_out_person_is_sent_to_sign_in_first(oauth_app, oauth):
    stranger = OAuthActions(oauth_app.test_client(), client_id=oauth.client_id)
    response = stranger.client.get("/oauth/authorize", query_string=stranger.authorize_params())
    assert response.status_code == 302 and response.location.startswith("/auth/login?next=/oauth/authorize")


def test_consent_page_names_client_and_redirect_and_is_not_frameable(oauth):
    page = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params())
    assert "Test client" in page.text and "unverified" in page.text and "127.0.0.1" in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    directives = page.headers["Content-Security-Policy"].split("; ")
    # Browsers obey the first of two copies of a directive: this one comes first, so nothing can loosen it.
    assert directives[0] == "frame-ancestors 'none'"
    assert "form-action 'self' http://127.0.0.1:9999" in directives


def test_denied_consent(oauth):
    response = oauth.consent(decision="deny")
    params = redirect_params(response)
    assert params["error"] == "access_denied" and params["state"] == "state-1" and params["iss"] == "http://localhost"


def test_consent_needs_its_csrf_token(oauth):
    params = oauth.authorize_params()
    response = oauth.client.post("/oauth/authorize", query_string=params, data={"decision": "allow"})
    assert response.status_code == 400


def test_head_neither_approves_nor_remembers(oauth_app, oauth):
    """CSRF protection skips HEAD: a HEAD with decision=allow in its body once issued a code and stored consent."""
    params = oauth.authorize_params()
    response = oauth.client.head("/oauth/authorize", query_string=params, data={"decision": "allow", "remember": "yes"})
    assert response.status_code == 200 and response.location is None
    with oauth_app.app_context():
        assert (
            db.session.scalars(select(Consent)).all() == []
            and db.session.scalars(select(AuthorizationCode)).all() == []
        )


def test_head_issues_no_code_even_with_a_remembered_consent(oauth_app, oauth):
    oauth.consent(remember=True)
    with oauth_app.app_context():
        codes = len(db.session.scalars(select(AuthorizationCode)).all())
    response = oauth.client.head("/oauth/authorize", query_string=oauth.authorize_params(state="head"))
    assert response.location is None
    with oauth_app.app_context():
        assert len(db.session.scalars(select(AuthorizationCode)).all()) == codes


def test_a_stored_redirect_uri_that_fails_the_checks_is_not_used_by_default(oauth_app, oauth):
    """Registrations made before a rule existed keep their URIs: one taken by default is checked as one presented."""
    with oauth_app.app_context():
        row = db.session.scalar(select(OAuthClient).filter_by(client_id=oauth.client_id))
        row.metadata_json = json.dumps(row.client_metadata | {"redirect_uris": ["http://x@127.0.0.1:9999/callback"]})
        db.session.commit()
    response = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params(redirect_uri=None))
    assert response.status_code == 400 and response.location is None


def test_remembered_consent_skips_the_page(oauth):
    oauth.consent(remember=True)
    again = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params(state="two"))
    assert again.status_code == 302 and redirect_params(again)["state"] == "two"
    more = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params(scope="mcp notes:write"))
    assert more.status_code == 200  # a new scope asks again


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"resource": "https://elsewhere.example/mcp"}, "invalid_target"),
        ({"scope": "mcp unknown:scope"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_bad_requests_go_back_to_the_client_with_an_error(oauth, overrides, error):
    response = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params(**overrides))
    assert response.status_code == 302
    params = redirect_params(response)
    assert params["error"] == error and params["iss"] == "http://localhost" and params["state"] == "state-1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "http://127.0.0.1:9999/other"},
        {"redirect_uri": "https://evil.example/callback"},
        {"client_id": "nope"},
    ],
)
def test_unknown_client_or_redirect_is_never_followed(oauth, overrides):
    response = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params(**overrides))
    assert response.status_code == 400 and response.location is None


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://x;frame-ancestors *;a@127.0.0.1:9999/callback",  # userinfo: the host part still reads 127.0.0.1
        "http://user:pass@127.0.0.1:9999/callback",
        "http://127.0.0.1:1x/callback",  # a loopback redirect may change port, but only to a port
        "http://127.0.0.1:99999/callback",
        "http://[::1%25x]:9999/callback",  # a zone id: once a 500, from a source the policy refused
    ],
)
def test_a_loopback_redirect_that_fails_the_registration_checks_is_refused(oauth, redirect_uri, caplog):
    for method in ("GET", "POST"):
        params = oauth.authorize_params(redirect_uri=redirect_uri)
        response = oauth.client.open("/oauth/authorize", method=method, query_string=params, data={"decision": "allow"})
        assert response.status_code == 400 and response.location is None, (method, response.status_code)
        assert response.headers["Content-Security-Policy"].startswith("frame-ancestors 'none'")
        assert "x;frame-ancestors" not in response.headers["Content-Security-Policy"]
    assert "Traceback" not in caplog.text


def test_loopback_redirect_may_change_port(oauth):
    response = oauth.consent(redirect_uri="http://127.0.0.1:54321/callback")
    assert response.location.startswith("http://127.0.0.1:54321/callback?code=")


def test_pkce_verifier_is_required_and_checked(oauth):
    assert oauth.exchange(oauth.code(), code_verifier=None).json["error"] == "invalid_request"
    assert oauth.exchange(oauth.code(), code_verifier=pkce()[0]).json["error"] == "invalid_grant"


def test_code_is_single_use_and_a_replay_revokes_its_tokens(oauth):
    code = oauth.code()
    tokens = oauth.exchange(code).json
    assert oauth.call(tokens["access_token"]).status_code == 200
    replay = oauth.exchange(code)
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert oauth.refresh(tokens["refresh_token"]).status_code == 400
    assert oauth.call(tokens["access_token"]).status_code == 401


def test_token_request_checks(oauth):
    code = oauth.code()
    assert oauth.exchange(code, redirect_uri="http://127.0.0.1:9999/other").json["error"] == "invalid_grant"
    assert oauth.exchange(oauth.code(), resource="https://elsewhere.example/mcp").json["error"] == "invalid_target"
    assert oauth.exchange(oauth.code(), client_id="someone-else").json["error"] == "invalid_client"
    assert oauth.exchange("made-up-code").json["error"] == "invalid_grant"


def test_refresh_rotates_and_reuse_revokes_the_family(oauth_app, oauth):
    oauth_app.config["REFRESH_GRACE_SECONDS"] = 0
    first = oauth.tokens()
    second = oauth.refresh(first["refresh_token"])
    assert second.status_code == 200 and second.headers["Cache-Control"] == "no-store"
    second = second.json
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert oauth.call(second["access_token"]).status_code == 200
    time.sleep(0.01)
    reuse = oauth.refresh(first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json["error"] == "invalid_grant"
    assert oauth.call(second["access_token"]).status_code == 401  # the whole family went
    assert oauth.refresh(second["refresh_token"]).status_code == 400


def test_concurrent_refreshes_within_the_grace_window(oauth):
    first = oauth.tokens()
    one, two = oauth.refresh(first["refresh_token"]), oauth.refresh(first["refresh_token"])
    assert one.status_code == two.status_code == 200
    assert oauth.call(one.json["access_token"]).status_code == oauth.call(two.json["access_token"]).status_code == 200


def test_revocation_takes_effect_at_once_in_the_worker_that_revokes(oauth_app, oauth):
    tokens = oauth.tokens()
    assert oauth.call(tokens["access_token"]).status_code == 200
    revoked = oauth.client.post("/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": oauth.client_id})
    assert revoked.status_code == 200
    assert oauth.call(tokens["access_token"]).status_code == 401
    assert oauth.refresh(tokens["refresh_token"]).status_code == 400


def test_expired_tokens_are_refused(oauth_app, oauth):
    oauth_app.config["ACCESS_TOKEN_SECONDS"] = 1
    server = oauth_app.extensions["oauth_server"]
    server.load_config({"OAUTH2_REFRESH_TOKEN_GENERATOR": True, "OAUTH2_TOKEN_EXPIRES_IN": {"authorization_code": 1}})
    tokens = oauth.tokens()
    assert tokens["expires_in"] == 1
    time.sleep(1.1)
    response = oauth.call(tokens["access_token"])
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_for_another_audience_is_refused(make_app):
    """The same database behind another public URL: its tokens are not for this server."""
    other = make_app(PUBLIC_URL="https://other.example")
    from tests.conftest import AuthActions

    client = other.test_client()
    AuthActions(client).dev_sign_in()
    actions = OAuthActions(client)
    actions.register()
    tokens = actions.exchange(actions.code(resource="https://other.example/mcp"), resource="https://other.example/mcp")
    here = make_app().test_client()
    response = here.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"Authorization": f"Bearer {tokens.json['access_token']}"},
    )
    assert response.status_code == 401


def test_challenges_point_at_the_metadata(oauth):
    response = oauth.client.post(
        "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"Origin": "http://other"}
    )
    assert response.status_code in (401, 403)
    plain = oauth_app_client(oauth).post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    challenge = plain.headers["WWW-Authenticate"]
    assert plain.status_code == 401
    assert (
        challenge == 'Bearer resource_metadata="http://localhost/.well-known/oauth-protected-resource/mcp", scope="mcp"'
    )


#: A completion request's argument: the first letters of a system name.
ARGUMENT = {"name": "system", "value": "bill"}


def oauth_app_client(oauth):
    return oauth.client.application.test_client()


def test_scope_step_up(oauth):
    tokens = oauth.tokens()
    listed = oauth.call(tokens["access_token"], "tools/list").json["result"]["tools"]
    assert "write_note" not in {tool["name"] for tool in listed}
    denied = oauth.call(tokens["access_token"], params={"name": "write_note", "arguments": {"text": "x"}})
    assert denied.status_code == 403
    challenge = denied.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="mcp notes:write"' in challenge
    assert 'resource_metadata="http://localhost/.well-known/oauth-protected-resource/mcp"' in challenge
    more = oauth.tokens(scope="mcp notes")  # a parent scope grants notes:write
    allowed = oauth.call(more["access_token"], params={"name": "write_note", "arguments": {"text": "x"}})
    assert allowed.json["result"]["content"][0]["text"] == "noted: x"
    assert oauth.call(more["access_token"], params={"name": "shut_down", "arguments": {}}).status_code == 403


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("prompts/get", {"name": "incident_report", "arguments": {"system": "payroll"}}),
        ("completion/complete", {"ref": {"type": "ref/prompt", "name": "incident_report"}, "argument": ARGUMENT}),
        ("resources/read", {"uri": "admin://systems/payroll/secrets"}),
        (
            "completion/complete",
            {"ref": {"type": "ref/resource", "uri": "admin://systems/{system}/secrets"}, "argument": ARGUMENT},
        ),
        ("resources/read", {"uri": "admin://audit-log"}),
        ("resources/subscribe", {"uri": "admin://audit-log"}),
        ("resources/unsubscribe", {"uri": "admin://audit-log"}),
        ("resources/subscribe", {"uri": "admin://systems/payroll/secrets"}),
    ],
)
def test_every_method_naming_a_prompt_or_resource_checks_its_scopes(oauth, method, params):
    """Completions and subscriptions need what reading the prompt or resource needs: a completion of an admin prompt
    once answered a token holding only `mcp` with the admin's suggestions."""
    refused = oauth.call(oauth.tokens()["access_token"], method, params)
    assert refused.status_code == 403, refused.text
    assert 'scope="mcp admin"' in refused.headers["WWW-Authenticate"]
    allowed = oauth.call(oauth.tokens(scope="mcp admin")["access_token"], method, params)
    assert allowed.status_code == 200 and "result" in allowed.json, allowed.text


def test_introspection_for_confidential_clients(oauth):
    public_tokens = oauth.tokens()
    confidential = OAuthActions(oauth.client)
    confidential.register(token_endpoint_auth_method="client_secret_basic")
    tokens = confidential.exchange(confidential.code(), client_id=None).status_code
    assert tokens == 401  # no credentials
    auth = (confidential.client_id, confidential.client_secret)
    code = confidential.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": confidential.verifier,
    }
    issued = oauth.client.post("/oauth/token", data=data, auth=auth).json
    info = oauth.client.post("/oauth/introspect", data={"token": issued["access_token"]}, auth=auth).json
    assert info["active"] is True and info["aud"] == RESOURCE and info["client_id"] == confidential.client_id
    other = oauth.client.post("/oauth/introspect", data={"token": public_tokens["access_token"]}, auth=auth).json
    assert other == {"active": False}
    assert oauth.client.post("/oauth/introspect", data={"token": issued["access_token"]}).status_code == 401


def test_consent_form_post_without_page(oauth):
    page = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params())
    token = csrf_token(page.text)
    tampered = oauth.authorize_params(redirect_uri="https://evil.example/cb")
    response = oauth.client.post(
        "/oauth/authorize", query_string=tampered, data={"csrf_token": token, "decision": "allow"}
    )
    assert response.status_code == 400 and response.location is None
