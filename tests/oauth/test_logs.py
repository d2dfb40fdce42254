"""No secret, token or code in the logs of a whole authorization flow."""

from __future__ import annotations

import logging

from tests.oauth.conftest import OAuthActions


def test_no_credential_is_logged(oauth_app, caplog):
    caplog.set_level(logging.DEBUG)
    from tests.conftest import AuthActions

    client = oauth_app.test_client()
    AuthActions(client).dev_sign_in()
    confidential = OAuthActions(client)
    registered = confidential.register(token_endpoint_auth_method="client_secret_post")
    code = confidential.code()
    tokens = confidential.exchange(code, client_secret=registered["client_secret"]).json
    refreshed = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": confidential.client_id,
            "client_secret": registered["client_secret"],
        },
    ).json
    confidential.call(refreshed["access_token"])
    confidential.call("not-a-valid-token")
    secrets = [
        registered["client_secret"],
        code,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
    ]
    secrets += [client.get_cookie("session").value, "not-a-valid-token"]
    logged = caplog.text
    assert logged  # the flow did log (sign-in, requests)
    for secret in secrets:
        assert secret not in logged
