"""Refuse to start with settings that are missing, malformed or unsafe.

Every problem is collected first, so one start-up error names all of them.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from cryptography.fernet import Fernet
from limits import parse_many

from config.settings import APP_ENVS

RATE_LIMITS = (
    "REGISTRATION_RATE_LIMIT",
    "SIGN_IN_RATE_LIMIT",
    "AUTHORIZE_RATE_LIMIT",
    "TOKEN_RATE_LIMIT",
    "MCP_RATE_LIMIT",
    "MCP_INVALID_TOKEN_RATE_LIMIT",
)

MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 80
#: Values seen in tutorials and templates; a key equal to one of them is no secret.
KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "you-will-never-guess", "replace-me"}


class ConfigError(RuntimeError):
    """The settings cannot run the application; the message lists each problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"refusing to start, fix these settings:\n{lines}")


def find_problems(config: dict[str, Any]) -> list[str]:
    """Return what is wrong with `config` in any environment, plus production's extra rules."""
    if config["APP_ENV"] not in APP_ENVS:
        return [f"APP_ENV must be one of {', '.join(APP_ENVS)}, not {config['APP_ENV']!r}"]
    problems = _provider_problems(config["OAUTH_PROVIDERS"]) + _connection_problems(config)
    if config["LOG_FORMAT"] not in ("text", "json"):
        problems.append("LOG_FORMAT must be text or json")
    if config["UPSTREAM_TOKEN_KEY"] and not all(map(_is_fernet_key, config["UPSTREAM_TOKEN_KEY"].split(","))):
        problems.append("UPSTREAM_TOKEN_KEY must be a Fernet key (32 url-safe base64-encoded bytes)")
    problems += [
        f"{name} is not a rate limit like '30 per minute'" for name in RATE_LIMITS if not _is_limit(config[name])
    ]
    if not config["MCP_PATH"].startswith("/") or config["MCP_PATH"] == "/":
        problems.append("MCP_PATH must be a path below /, such as /mcp")
    at_least_one = ("MCP_PAGE_SIZE", "MCP_MAX_STREAMS", "MCP_MAX_STREAMS_PER_CALLER", "MCP_KEEPALIVE_SECONDS")
    for name in (*at_least_one, "MCP_TASK_TTL_SECONDS", "MCP_TASK_THREADS", "MCP_MAX_TASKS_PER_CALLER"):
        if config[name] < 1:
            problems.append(f"{name} must be at least 1")
    if bool(config["ADMIN_ROLE_CLAIM"]) != bool(config["ADMIN_ROLE"]):
        problems.append("ADMIN_ROLE_CLAIM and ADMIN_ROLE go together: the claim to read, and the role in it")
    problems += _grant_problems(config)
    if not 1 <= config["PERSONAL_TOKEN_MAX_DAYS"] <= 3650:
        problems.append("PERSONAL_TOKEN_MAX_DAYS must be from 1 to 3650 (ten years)")
    if config["APP_ENV"] == "production":
        problems += _production_problems(config)
    return problems


def _provider_problems(providers: list) -> list[str]:
    problems = [provider.problem for provider in providers if provider.problem]
    names = [provider.name for provider in providers]
    problems += [f"provider {name!r} is listed twice" for name in set(names) if names.count(name) > 1]
    for provider in providers:
        if provider.type != "dev" and not provider.problem:
            missing = [f for f in ("client_id", "client_secret") if not getattr(provider, f)]
            problems += [f"provider {provider.name!r} has no {field}" for field in missing]
    return problems


def _grant_problems(config: dict[str, Any]) -> list[str]:
    """The enterprise and machine grants are the built-in authorization server's: none with an external one."""
    if not config["EXTERNAL_ISSUER"]:
        return []
    enterprise = [f"provider {p.name!r}" for p in config["OAUTH_PROVIDERS"] if p.enterprise]
    asked = enterprise + (["MACHINE_CLIENTS"] if config["MACHINE_CLIENTS"] else [])
    return [f"{what} asks for a grant of the built-in authorization server, off with EXTERNAL_ISSUER" for what in asked]


def _connection_problems(config: dict[str, Any]) -> list[str]:
    """Connection providers: configured as sign-in ones are, named apart from them, and a key to keep tokens."""
    providers = config["CONNECTION_PROVIDERS"]
    if not providers:
        return []
    problems = _provider_problems(providers)
    problems += [f"connection provider {p.name!r} cannot be of type dev" for p in providers if p.type == "dev"]
    signing_in = {provider.name for provider in config["OAUTH_PROVIDERS"]}
    problems += [
        f"provider {p.name!r} is both a sign-in and a connection provider: give the connection its own name"
        for p in providers
        if p.name in signing_in
    ]
    if not config["UPSTREAM_TOKEN_KEY"]:
        problems.append("CONNECTION_PROVIDERS needs UPSTREAM_TOKEN_KEY, to keep the connected accounts' tokens")
    return problems


def _production_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    if problem := secret_problem(config["SECRET_KEY"]):
        problems.append(problem)
    if not config["PUBLIC_URL"].startswith("https://"):
        problems.append("PUBLIC_URL must be the https:// address people and clients use")
    if not config["OAUTH_PROVIDERS"]:
        problems.append("no identity provider: set OAUTH_PROVIDER or OAUTH_PROVIDERS")
    if any(provider.type == "dev" for provider in config["OAUTH_PROVIDERS"]):
        problems.append("the dev sign-in (OAUTH_PROVIDER=dev) is enabled; it lets anyone in")
    if config["MCP_STATIC_TOKENS"]:
        problems.append("MCP_STATIC_TOKENS is set; fixed tokens are for development and tests")
    if not config["SESSION_COOKIE_SECURE"]:
        problems.append("SESSION_COOKIE_SECURE is off; session cookies would travel over http")
    return problems


def secret_problem(secret: str) -> str | None:
    """Return what is wrong with a production SECRET_KEY, or None.

    Long is not enough: 64 times the same letter is long. The key's characters must
    carry MIN_SECRET_BITS by their spread (each character's information, summed; the
    32 characters of `secrets.token_hex(16)` carry 91 and more), and the key must not
    be a shorter run of characters repeated.
    """
    if not secret:
        return "SECRET_KEY (or SESSION_SECRET) is not set"
    weak = len(secret) < MIN_SECRET_LENGTH or secret.lower() in KNOWN_WEAK_SECRETS
    if weak or _spread_bits(secret) < MIN_SECRET_BITS or (secret + secret).find(secret, 1) < len(secret):
        return (
            f"SECRET_KEY is weak: use at least {MIN_SECRET_LENGTH} random characters, such as "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))' prints"
        )
    return None


def _spread_bits(text: str) -> float:
    """The text's length times the Shannon entropy of its characters' frequencies."""
    return -sum(count * math.log2(count / len(text)) for count in Counter(text).values())


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key.strip())
    except ValueError:
        return False
    return True


def _is_limit(value: str) -> bool:
    try:
        return bool(parse_many(value))
    except ValueError:
        return False
