"""Providers: the original guide's variables for one, prefixed variables for several."""

from __future__ import annotations

import pytest

from config.providers import GOOGLE_METADATA_URL, read_providers


def test_single_provider_uses_the_guide_variables():
    environ = {
        "OAUTH_PROVIDER": "auth0",
        "OAUTH_DOMAIN": "tenant.eu.auth0.com",
        "OAUTH_CLIENT_ID": "id",
        "OAUTH_CLIENT_SECRET": "secret",
        "OAUTH_AUDIENCE": "https://api.example.com",
        "OAUTH_CALLBACK_URL": "https://mcp.example.com/auth/callback",
    }
    [provider] = read_providers(environ, "production")
    assert provider.server_metadata_url == "https://tenant.eu.auth0.com/.well-known/openid-configuration"
    assert (provider.client_id, provider.client_secret) == ("id", "secret")
    assert provider.audience == "https://api.example.com"
    assert provider.callback_url == "https://mcp.example.com/auth/callback"
    assert provider.scope == "openid profile email"
    assert not provider.problem


def test_several_providers_use_prefixed_variables():
    environ = {
        "OAUTH_PROVIDERS": "google, github, work",
        "OAUTH_GOOGLE_CLIENT_ID": "g-id",
        "OAUTH_GITHUB_CLIENT_ID": "gh-id",
        "OAUTH_WORK_TYPE": "keycloak",
        "OAUTH_WORK_ISSUER": "https://sso.example.com/realms/staff/",
        "OAUTH_CLIENT_ID": "ignored when several are configured",
    }
    google, github, work = read_providers(environ, "production")
    assert (google.name, google.client_id, google.server_metadata_url) == ("google", "g-id", GOOGLE_METADATA_URL)
    assert (github.type, github.client_id, github.server_metadata_url) == ("github", "gh-id", "")  # plain OAuth 2
    assert github.authorization_url == "https://github.com/login/oauth/authorize"
    assert github.user_info_url == "https://api.github.com/user"
    assert github.scope == "read:user user:email"
    assert work.type == "keycloak"
    assert work.server_metadata_url == "https://sso.example.com/realms/staff/.well-known/openid-configuration"


def test_okta_domain_uses_the_default_authorization_server():
    [okta] = read_providers({"OAUTH_PROVIDER": "okta", "OAUTH_DOMAIN": "acme.okta.com"}, "production")
    assert okta.server_metadata_url == "https://acme.okta.com/oauth2/default/.well-known/openid-configuration"


def test_github_enterprise_host():
    [github] = read_providers({"OAUTH_PROVIDER": "github", "OAUTH_DOMAIN": "git.acme.com"}, "production")
    assert github.token_url == "https://git.acme.com/login/oauth/access_token"
    assert github.user_info_url == "https://git.acme.com/api/v3/user"


def test_explicit_endpoints_override_the_built_in_ones():
    environ = {
        "OAUTH_PROVIDER": "oidc",
        "OAUTH_SERVER_METADATA_URL": "https://idp/meta",
        "OAUTH_TOKEN_URL": "https://t",
    }
    [provider] = read_providers(environ, "production")
    assert (provider.server_metadata_url, provider.token_url) == ("https://idp/meta", "https://t")


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"OAUTH_PROVIDER": "keycloak"}, "keycloak provider needs OAUTH_ISSUER or OAUTH_SERVER_METADATA_URL"),
        ({"OAUTH_PROVIDER": "facebook"}, "OAUTH_TYPE 'facebook' is not one of"),
        ({"OAUTH_PROVIDERS": "x", "OAUTH_X_TYPE": "oidc"}, "oidc provider needs OAUTH_X_ISSUER"),
        ({"OAUTH_PROVIDERS": "Bad-Name"}, "provider name 'bad-name' must match"),
    ],
)
def test_problems_are_named(environ, problem):
    [provider] = read_providers(environ, "production")
    assert provider.problem.startswith(problem)


def test_development_defaults_to_the_dev_sign_in():
    assert [p.type for p in read_providers({}, "development")] == ["dev"]
    assert read_providers({}, "testing") == []
    assert read_providers({}, "production") == []
