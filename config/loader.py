"""Turn environment-style settings into the Flask configuration of one app."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from config.checks import RATE_LIMITS, ConfigError, find_problems
from config.providers import read_connection_providers, read_providers
from config.settings import SETTINGS, TRUE_WORDS


def load_config(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Return Flask config keys for `environ`, or raise ConfigError naming every problem."""
    values = {s.name: environ.get(s.name, "").strip() or s.default for s in SETTINGS}
    app_env = values["APP_ENV"].lower()
    config = {
        "APP_ENV": app_env,
        "TESTING": app_env == "testing",
        # Errors reach the error handlers in tests as in production (the development
        # server keeps Flask's default, so its debugger still shows them).
        "PROPAGATE_EXCEPTIONS": None if app_env == "development" else False,
        "SECRET_KEY": values["SECRET_KEY"] or values["SESSION_SECRET"],
        "PUBLIC_URL": values["PUBLIC_URL"].rstrip("/"),
        "OAUTH_PROVIDERS": read_providers(environ, app_env),
        "CONNECTION_PROVIDERS": read_connection_providers(environ),
        "REDIS_URL": values["REDIS_URL"],
        "PUBLIC_PATHS": _split(values["PUBLIC_PATHS"]),
        "METRICS_TOKEN": values["METRICS_TOKEN"],
        "ADMIN_EMAILS": [email.lower() for email in _split(values["ADMIN_EMAILS"])],
        "ADMIN_ROLE_CLAIM": values["ADMIN_ROLE_CLAIM"],
        "ADMIN_ROLE": values["ADMIN_ROLE"],
        "API_PREFIXES": _split(values["API_PREFIXES"]),
        "LOG_LEVEL": values["LOG_LEVEL"].upper(),
        "LOG_FORMAT": values["LOG_FORMAT"].lower(),
        **_storage(values, instance_path),
        **_cookies(values, app_env),
        **_mcp(values),
        **_authorization(values),
    }
    problems = find_problems(config)
    if problems:
        raise ConfigError(problems)
    if not config["SECRET_KEY"]:
        # Development and tests only (find_problems refuses this in production): a random
        # key, never a fixed one; development keeps its own, so sign-ins survive reloads.
        config["SECRET_KEY"] = (
            _development_key(instance_path) if app_env == "development" else secrets.token_urlsafe(48)
        )
    return config


def _development_key(instance_path: str) -> str:
    """The development server's random key, made once and kept (owner-only) in the instance folder.

    Written whole under a temporary name, then linked into place (which fails if another
    process got there first): no process ever reads a key half written.
    """
    path = Path(instance_path) / "secret-key"
    if path.exists() and (key := path.read_text().strip()):
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".secret-key.{os.getpid()}")
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(secrets.token_urlsafe(48))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process's key is in place: use it
    finally:
        draft.unlink()
    key = path.read_text().strip()
    if not key:
        raise ConfigError([f"{path} is empty: delete it, and a new development key is made"])
    return key


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _int(values: dict[str, str], name: str) -> int:
    try:
        return int(values[name])
    except ValueError:
        raise ConfigError([f"{name} must be a whole number, not {values[name]!r}"]) from None


def database_uri(url: str) -> str:
    """The SQLAlchemy URL of a DATABASE_URL: hosting platforms hand out postgres:// URLs, and psycopg 3 is the
    driver installed."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _storage(values: dict[str, str], instance_path: str) -> dict[str, Any]:
    """Database and request-size settings."""
    url = values["DATABASE_URL"] or f"sqlite:///{Path(instance_path) / 'app.db'}"
    return {
        "SQLALCHEMY_DATABASE_URI": database_uri(url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": _int(values, "MAX_CONTENT_LENGTH"),
        "TRUSTED_PROXY_HOPS": _int(values, "TRUSTED_PROXY_HOPS"),
    }


def _mcp(values: dict[str, str]) -> dict[str, Any]:
    """Settings of the MCP endpoint."""
    return {
        "MCP_PATH": values["MCP_PATH"],
        "MCP_TOOL_PACKAGES": _split(values["MCP_TOOL_PACKAGES"]),
        "MCP_SKILL_PATHS": _split(values["MCP_SKILL_PATHS"]),
        "MCP_STATIC_TOKENS": _split(values["MCP_STATIC_TOKENS"]),
        "MCP_ALLOWED_HOSTS": _split(values["MCP_ALLOWED_HOSTS"]),
        "MCP_ALLOWED_ORIGINS": _split(values["MCP_ALLOWED_ORIGINS"]),
        "MCP_SERVER_NAME": values["MCP_SERVER_NAME"],
        "MCP_INSTRUCTIONS": values["MCP_INSTRUCTIONS"],
        "MCP_PAGE_SIZE": _int(values, "MCP_PAGE_SIZE"),
        "MCP_CLIENT_TIMEOUT": _int(values, "MCP_CLIENT_TIMEOUT"),
        "MCP_MAX_STREAMS": _int(values, "MCP_MAX_STREAMS"),
        "MCP_MAX_STREAMS_PER_CALLER": _int(values, "MCP_MAX_STREAMS_PER_CALLER"),
        "MCP_KEEPALIVE_SECONDS": _int(values, "MCP_KEEPALIVE_SECONDS"),
        "MCP_TASK_TTL_SECONDS": _int(values, "MCP_TASK_TTL_SECONDS"),
        "MCP_TASK_THREADS": _int(values, "MCP_TASK_THREADS"),
        "MCP_MAX_TASKS_PER_CALLER": _int(values, "MCP_MAX_TASKS_PER_CALLER"),
        "MCP_SESSION_HOURS": _int(values, "MCP_SESSION_HOURS"),
    }


def _authorization(values: dict[str, str]) -> dict[str, Any]:
    """Settings of the authorization server for MCP clients (or of the external one)."""
    numbers = (
        "ACCESS_TOKEN_SECONDS",
        "REFRESH_TOKEN_DAYS",
        "REFRESH_GRACE_SECONDS",
        "TOKEN_CACHE_SECONDS",
        "PERSONAL_TOKEN_MAX_DAYS",
        "CLIENT_IDLE_DAYS",
        "TOKEN_RETENTION_DAYS",
        "CONNECTION_EVENT_DAYS",
        "AUDIT_DAYS",
        "AUDIT_ARGUMENT_BYTES",
    )
    texts = ("REGISTRATION_TOKEN", "EXTERNAL_AUDIENCE", "EXTERNAL_JWKS_URI", "UPSTREAM_TOKEN_KEY", *RATE_LIMITS)
    return (
        {name: _int(values, name) for name in numbers}
        | {name: values[name] for name in texts}
        | {"EXTERNAL_ISSUER": values["EXTERNAL_ISSUER"].rstrip("/")}
        | {name: values[name].lower() in TRUE_WORDS for name in ("AUDIT_TOOL_CALLS", "MACHINE_CLIENTS")}
    )


def _cookies(values: dict[str, str], app_env: str) -> dict[str, Any]:
    """Session cookie settings: HttpOnly, SameSite=Lax, Secure outside development."""
    secure = values["SESSION_COOKIE_SECURE"].lower()
    return {
        "SESSION_COOKIE_NAME": values["SESSION_COOKIE_NAME"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure in TRUE_WORDS if secure else app_env != "development",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int(values, "SESSION_LIFETIME_HOURS")),
    }
