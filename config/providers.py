"""Upstream identity providers: read from the environment, endpoints resolved per type.

One provider uses the unprefixed variables of the original guide (`OAUTH_PROVIDER=auth0`,
`OAUTH_CLIENT_ID`, ...). Several use `OAUTH_PROVIDERS=google,github` and a prefix per
name (`OAUTH_GOOGLE_CLIENT_ID`, ...); `OAUTH_<NAME>_TYPE` sets the type when the name is
not one, so two issuers of one type can live side by side.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from config.settings import PROVIDER_TYPES, TRUE_WORDS

OIDC_SCOPE = "openid profile email"
GITHUB_SCOPE = "read:user user:email"
GOOGLE_METADATA_URL = "https://accounts.google.com/.well-known/openid-configuration"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True)
class ProviderConfig:
    """Everything needed to register one provider with Authlib."""

    name: str
    type: str
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    callback_url: str = ""
    server_metadata_url: str = ""
    authorization_url: str = ""
    token_url: str = ""
    user_info_url: str = ""
    audience: str = ""
    #: Its ID-JAGs are accepted at the token endpoint (OAUTH_<NAME>_ENTERPRISE).
    enterprise: bool = False
    problem: str = ""


def read_providers(environ: Mapping[str, str], app_env: str) -> list[ProviderConfig]:
    """Return the configured providers; development defaults to the dev sign-in."""
    several = _named(environ, "OAUTH_PROVIDERS")
    if several:
        return several
    single = environ.get("OAUTH_PROVIDER", "").strip().lower()
    if not single and app_env == "development":
        single = "dev"
    return [_read_one(environ, single, "OAUTH_", single)] if single else []


def read_connection_providers(environ: Mapping[str, str]) -> list[ProviderConfig]:
    """Return the providers people connect to their account for tools (CONNECTION_PROVIDERS), not to sign in."""
    return _named(environ, "CONNECTION_PROVIDERS")


def _named(environ: Mapping[str, str], setting: str) -> list[ProviderConfig]:
    """The providers `setting` names (comma-separated), each read from its OAUTH_<NAME>_* variables."""
    names = [name.strip().lower() for name in environ.get(setting, "").split(",") if name.strip()]
    return [_read_one(environ, name, f"OAUTH_{name.upper()}_") for name in names]


def _read_one(environ: Mapping[str, str], name: str, prefix: str, type_: str = "") -> ProviderConfig:
    def get(field: str) -> str:
        return environ.get(prefix + field, "").strip()

    type_ = type_ or get("TYPE").lower() or name
    if not NAME_PATTERN.fullmatch(name):
        return ProviderConfig(name, type_, problem=f"provider name {name!r} must match {NAME_PATTERN.pattern}")
    if type_ not in PROVIDER_TYPES:
        return ProviderConfig(name, type_, problem=f"{prefix}TYPE {type_!r} is not one of {', '.join(PROVIDER_TYPES)}")
    metadata_url, problem = _metadata_url(type_, get, prefix)
    defaults = _github_endpoints(get("DOMAIN")) if type_ == "github" else {}
    return ProviderConfig(
        name=name,
        type=type_,
        client_id=get("CLIENT_ID"),
        client_secret=get("CLIENT_SECRET"),
        scope=get("SCOPE") or (GITHUB_SCOPE if type_ == "github" else OIDC_SCOPE),
        callback_url=get("CALLBACK_URL"),
        server_metadata_url=metadata_url,
        authorization_url=get("AUTHORIZATION_URL") or defaults.get("authorization_url", ""),
        token_url=get("TOKEN_URL") or defaults.get("token_url", ""),
        user_info_url=get("USER_INFO_URL") or defaults.get("user_info_url", ""),
        audience=get("AUDIENCE"),
        enterprise=get("ENTERPRISE").lower() in TRUE_WORDS,
        problem=problem or _enterprise_problem(type_, get("ENTERPRISE"), prefix),
    )


def _enterprise_problem(type_: str, enterprise: str, prefix: str) -> str:
    """ID-JAGs are checked against an OpenID issuer's keys: GitHub and the dev sign-in have none."""
    if enterprise.lower() in TRUE_WORDS and type_ in ("github", "dev"):
        return f"{prefix}ENTERPRISE needs an OpenID Connect provider; {type_} issues no ID-JAGs"
    return ""


def _metadata_url(type_: str, get, prefix: str) -> tuple[str, str]:
    """Return the OIDC discovery URL for a provider type, or the reason there is none."""
    if type_ in ("github", "dev"):
        return "", ""
    if get("SERVER_METADATA_URL"):
        return get("SERVER_METADATA_URL"), ""
    issuer = get("ISSUER")
    if not issuer and type_ == "google":
        return GOOGLE_METADATA_URL, ""
    if not issuer and get("DOMAIN") and type_ in ("auth0", "okta"):
        issuer = f"https://{get('DOMAIN')}" + ("/oauth2/default" if type_ == "okta" else "")
    if not issuer:
        needs = f"{prefix}ISSUER or {prefix}SERVER_METADATA_URL"
        needs += f" (or {prefix}DOMAIN)" if type_ in ("auth0", "okta") else ""
        return "", f"{type_} provider needs {needs}"
    return issuer.rstrip("/") + "/.well-known/openid-configuration", ""


def _github_endpoints(domain: str) -> dict[str, str]:
    """Return GitHub's endpoints, or those of a GitHub Enterprise Server host."""
    web = f"https://{domain}" if domain else "https://github.com"
    api = f"https://{domain}/api/v3" if domain else "https://api.github.com"
    return {
        "authorization_url": f"{web}/login/oauth/authorize",
        "token_url": f"{web}/login/oauth/access_token",
        "user_info_url": f"{api}/user",
    }
