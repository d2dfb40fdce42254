"""Sign-in through upstream providers, the pages around it, and sign-out."""

from __future__ import annotations

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from app.auth import providers as registry
from app.auth import upstream
from app.auth.signin import finish_sign_in, safe_next_url
from app.auth.users import upsert_user
from app.urls import public_url

bp = Blueprint("auth", __name__, url_prefix="/auth")

#: Why a sign-in failed, as the failure page tells it; the URL carries only the key.
FAILURE_REASONS = {
    "access_denied": "You (or the provider) declined the sign-in.",
    "state_mismatch": "The sign-in response did not match a sign-in started in this browser. "
    "It may have been used already, or have come from another site.",
    "invalid_token": "The provider's identity token failed validation.",
    "provider_error": "The identity provider returned an error or could not be reached.",
    "unknown_provider": "That identity provider is not configured here.",
}


@bp.get("/login")
def login() -> Response | str:
    """Remember a same-site `next`, then go to the only provider or offer a choice."""
    next_url = safe_next_url(request.args.get("next"))
    if next_url:
        session["next"] = next_url
    providers = registry.providers()
    if len(providers) == 1:
        return redirect(url_for("auth.login_with", name=next(iter(providers))))
    return render_template("auth/login.html", providers=providers.values())


@bp.get("/login/<name>")
def login_with(name: str) -> Response:
    """Send the browser to provider `name` (state, nonce and PKCE kept in the session)."""
    provider = registry.providers().get(name) or abort(404)
    if provider.type == "dev":
        return redirect(url_for("auth.dev_login"))
    session["login_provider"] = name
    extra = {"audience": provider.audience} if provider.audience else {}
    try:
        client = registry.client_for(name)
        extra |= offline_access(provider, client, session.get("_user_id"))
        return client.authorize_redirect(callback_url(name), **extra)
    except (requests.RequestException, ValueError):  # discovery failed or was not JSON
        return _failed(name, "provider_error")


def offline_access(provider, client, user_id: str | None) -> dict[str, str]:
    """What to ask `provider` for so that it gives a refresh token, when provider tokens are kept.

    Google wants `access_type=offline`, and gives a refresh token only on a consent, so
    `prompt=consent` unless one is kept already. Okta, Keycloak, Auth0 and other OIDC issuers
    that list `offline_access` in `scopes_supported` get that scope; a generic issuer also
    `prompt=consent`, which OpenID Connect requires for it. GitHub needs nothing: a GitHub App
    with expiring tokens sends a refresh token by itself.
    """
    if not current_app.config["UPSTREAM_TOKEN_KEY"] or provider.type in ("github", "dev"):
        return {}
    kept = upstream.has_refresh_token(int(user_id) if user_id else None, provider.name)
    if provider.type == "google":
        return {"access_type": "offline"} | ({} if kept else {"prompt": "consent"})
    if "offline_access" not in client.load_server_metadata().get("scopes_supported", []):
        return {}
    asked = {"scope": f"{provider.scope} offline_access"}
    return asked | ({"prompt": "consent"} if provider.type == "oidc" and not kept else {})


def callback_url(name: str) -> str:
    """Return the redirect URI registered with provider `name`."""
    provider = registry.providers()[name]
    if provider.callback_url:
        return provider.callback_url
    # With one provider the guide's /auth/callback; with several, one path each.
    args = {} if len(registry.providers()) == 1 else {"name": name}
    return public_url() + url_for("auth.callback", **args)


@bp.get("/callback", defaults={"name": None})
@bp.get("/callback/<name>")
def callback(name: str | None) -> Response:
    """Finish a sign-in: check the response, fetch the profile, record the person."""
    providers = registry.providers()
    only = next(iter(providers)) if len(providers) == 1 else None
    provider = providers.get(name or session.get("login_provider") or only or "")
    if provider is None or provider.type == "dev":
        return redirect(url_for("auth.failure", reason="unknown_provider"))
    client = registry.client_for(provider.name)
    try:
        token = client.authorize_access_token()
        profile = registry.fetch_profile(provider, client, token)
    except MismatchingStateError:
        return _failed(provider.name, "state_mismatch")
    except OAuthError as error:
        return _failed(provider.name, "access_denied" if error.error == "access_denied" else "provider_error")
    except OAuth2Error:  # a response without a code (MissingCodeException), and the like
        return _failed(provider.name, "provider_error")
    except JoseError:
        return _failed(provider.name, "invalid_token")
    except registry.ProfileError as error:
        return _failed(provider.name, error.reason)
    except (requests.RequestException, ValueError):
        return _failed(provider.name, "provider_error")
    user = upsert_user(provider.name, profile)
    upstream.save(user.id, provider.name, token)
    return finish_sign_in(user, profile)


def _failed(provider: str, reason: str) -> Response:
    current_app.logger.warning("sign-in failed: provider %s, reason %s", provider, reason)
    return redirect(url_for("auth.failure", reason=reason))


@bp.get("/success")
def success() -> Response | str:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/success.html")


@bp.get("/failure")
def failure() -> tuple[str, int]:
    """Say why a sign-in failed (401); only known reasons are shown, never raw input."""
    reason = request.args.get("reason", "")
    message = FAILURE_REASONS.get(reason, "The sign-in did not complete.")
    return render_template("auth/failure.html", message=message), 401


@bp.get("/logout")
def logout() -> str:
    """Ask to confirm: signing out is a POST, with its CSRF token."""
    return render_template("auth/logout.html")


@bp.post("/logout")
def sign_out() -> str:
    """Sign out and drop the session."""
    logout_user()
    session.clear()  # an emptied session is deleted from the store, its cookie expired
    return render_template("auth/signed_out.html")
