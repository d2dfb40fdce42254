"""Upstream identity providers: an Authlib client registry per app, and profiles.

OIDC providers (auth0, google, okta, keycloak, oidc) are found by discovery; Authlib
checks state, PKCE S256, and the ID token's signature, issuer, audience and nonce.
GitHub is plain OAuth 2: the profile comes from its API, the e-mail from its e-mails
API (the verified primary address only).
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from app.auth.operators import holds_role, roles_in
from app.auth.users import Profile
from config.providers import ProviderConfig

#: Seconds to wait for a provider before the sign-in fails with a provider error.
PROVIDER_TIMEOUT = 10


class ProfileError(Exception):
    """The provider's answer does not identify a person; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def init_app(app: Flask) -> None:
    """Build this app's own registry (Authlib's keeps the app and caches clients)."""
    registry = OAuth(app)
    for provider in (*app.config["OAUTH_PROVIDERS"], *app.config["CONNECTION_PROVIDERS"]):
        if provider.type != "dev":
            registry.register(
                provider.name,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=provider.server_metadata_url or None,
                authorize_url=provider.authorization_url or None,
                access_token_url=provider.token_url or None,
                client_kwargs={
                    "scope": provider.scope,
                    "code_challenge_method": "S256",
                    "default_timeout": PROVIDER_TIMEOUT,
                },
            )


def providers() -> dict[str, ProviderConfig]:
    """Return the current app's providers by name, in configured order."""
    return {provider.name: provider for provider in current_app.config["OAUTH_PROVIDERS"]}


def connection_providers() -> dict[str, ProviderConfig]:
    """Return the providers people connect to their account for tools (not to sign in), by name."""
    return {provider.name: provider for provider in current_app.config["CONNECTION_PROVIDERS"]}


def any_provider(name: str) -> ProviderConfig:
    """Provider `name`, whether people sign in with it or connect it (KeyError if neither)."""
    return providers().get(name) or connection_providers()[name]


def user_info(name: str, access_token: str) -> dict:
    """Return what provider `name` says of the person whose `access_token` this is (its user info endpoint)."""
    provider = any_provider(name)
    client = client_for(name)
    url = provider.user_info_url or client.load_server_metadata().get("userinfo_endpoint")
    if not url:
        raise ProfileError(f"{name} has no user info endpoint")
    response = client.get(url, token={"access_token": access_token, "token_type": "Bearer"})
    response.raise_for_status()
    return response.json()


def client_for(name: str):
    """Return the Authlib client of provider `name`."""
    return current_app.extensions["authlib.integrations.flask_client"].create_client(name)


def fetch_profile(provider: ProviderConfig, client, token: dict) -> Profile:
    """Return the signed-in person from a token response (raises ProfileError)."""
    if provider.type == "github":
        return _github_profile(provider, client, token)
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise ProfileError("invalid_token")
    if _incomplete(claims):
        claims = {**_userinfo(provider, client, token, claims["sub"]), **claims}
    verified = claims.get("email_verified") in (True, "true")  # some providers send the word
    role = current_app.config["ADMIN_ROLE"] if holds_role(claims) else None
    return Profile(str(claims["sub"]), claims.get("email"), claims.get("name"), claims.get("picture"), verified, role)


def _incomplete(claims: dict) -> bool:
    """Whether the ID token lacks what the user info may have: the e-mail, the name, the operators' role claim."""
    role_wanted = current_app.config["ADMIN_ROLE_CLAIM"] and not roles_in(claims)
    return not (claims.get("email") and claims.get("name")) or bool(role_wanted)


def _userinfo(provider: ProviderConfig, client, token: dict, subject: str) -> dict:
    """Return the user info endpoint's claims, if it has any for the same subject."""
    url = provider.user_info_url or client.load_server_metadata().get("userinfo_endpoint")
    if not url:
        return {}
    claims = client.get(url, token=token).json()
    return claims if str(claims.get("sub")) == subject else {}


def _github_profile(provider: ProviderConfig, client, token: dict) -> Profile:
    response = client.get(provider.user_info_url, token=token)
    response.raise_for_status()
    user = response.json()
    if "id" not in user:
        raise ProfileError("provider_error")
    emails = client.get(f"{provider.user_info_url}/emails", token=token)
    addresses = emails.json() if emails.ok else []
    verified = [e.get("email") for e in addresses if e.get("primary") and e.get("verified") and e.get("email")]
    name = user.get("name") or user.get("login")
    return Profile(str(user["id"]), verified[0] if verified else None, name, user.get("avatar_url"), bool(verified))
