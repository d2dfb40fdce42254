"""Clients that come back after months, and clients removed for good.

A registration that completed a grant outlives CLIENT_IDLE_DAYS; one that never did is pruned.
A removal (by the operator, or by the person) is final and explained at /oauth/authorize, and the
token endpoint answers every unknown or removed client 401 with a challenge, whatever the method.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.clock import utcnow
from app.extensions import db
from app.oauth.models import OAuthClient, Token
from tests.conftest import AuthActions, csrf_token
from tests.oauth.conftest import REDIRECT, OAuthActions


def age(app, days: int) -> None:
    """Make every client and token `days` older: registered, last used and expired that long ago."""
    past = utcnow() - timedelta(days=days)
    with app.app_context():
        db.session.execute(update(OAuthClient).values(created_at=past, last_used_at=past))
        db.session.execute(update(Token).values(expires_at=past, refresh_expires_at=past))
        db.session.commit()


def client_ids(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(OAuthClient.client_id)))


def test_a_client_that_completed_a_grant_outlives_the_idle_limit(oauth_app, oauth):
    oauth.tokens()
    stranger = OAuthActions(oauth_app.test_client())
    stranger.register()  # never completes a grant
    age(oauth_app, 400)
    OAuthActions(oauth_app.test_client()).register()  # a registration runs the pruning
    kept = client_ids(oauth_app)
    assert oauth.client_id in kept and stranger.client_id not in kept
    # Back after 400 days, holding its client id: straight to the consent page, then new tokens.
    assert oauth.tokens()["access_token"]


@pytest.mark.parametrize("grant", ["refresh_token", "authorization_code"])
@pytest.mark.parametrize("method", ["none", "client_secret_post", "client_secret_basic"])
def test_an_unknown_client_is_401_with_a_challenge(oauth_app, grant, method):
    data = {"grant_type": grant, "refresh_token": "r", "code": "c", "code_verifier": "v" * 43, "redirect_uri": REDIRECT}
    auth = None
    if method == "none":
        data["client_id"] = "no-such-client"
    elif method == "client_secret_post":
        data |= {"client_id": "no-such-client", "client_secret": "s"}
    else:
        auth = ("no-such-client", "s")
    response = oauth_app.test_client().post("/oauth/token", data=data, auth=auth)
    assert response.status_code == 401, response.text
    assert response.json["error"] == "invalid_client" and response.headers["WWW-Authenticate"].startswith("Basic ")


def test_an_operator_removal_is_final_and_explained(oauth_app, oauth):
    tokens = oauth.tokens()
    result = oauth_app.test_cli_runner().invoke(args=["clients", "revoke", oauth.client_id])
    assert result.exit_code == 0, result.output
    refused = oauth.refresh(tokens["refresh_token"])
    assert refused.status_code == 401 and refused.json["error"] == "invalid_client"
    # Signed out or not, the authorization request gets the page, never a redirect to the client.
    for client in (oauth.client, oauth_app.test_client()):
        page = client.get("/oauth/authorize", query_string=oauth.authorize_params())
        assert page.status_code == 400 and page.location is None
        assert "was removed by the operator of this server" in page.text
        assert "remove this connector in your MCP client and add it again" in page.text
    assert oauth.call(tokens["access_token"]).status_code == 401
    again = oauth_app.test_cli_runner().invoke(args=["clients", "revoke", oauth.client_id])
    assert again.exit_code != 0  # removed already


def test_a_persons_removal_is_final_for_them(oauth_app, oauth):
    oauth.tokens()
    apps = oauth.client.get("/account/apps")
    removed = oauth.client.post(
        "/account/apps/revoke", data={"client_id": oauth.client_id, "csrf_token": csrf_token(apps.text)}
    )
    assert removed.status_code == 302
    page = oauth.client.get("/oauth/authorize", query_string=oauth.authorize_params())
    assert page.status_code == 400 and "was removed by you, on your Connected apps page" in page.text
    assert oauth.client_id not in oauth.client.get("/account/apps").text
    # Someone else still uses the same client.
    other = oauth_app.test_client()
    AuthActions(other).dev_sign_in(name="Grace", email="grace@example.test")
    theirs = OAuthActions(other, client_id=oauth.client_id)
    assert theirs.tokens()["access_token"]
