"""The factory: it builds a working app, and refuses unsafe production settings by name."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from config import ConfigError
from config.checks import secret_problem

ROOT = Path(__file__).resolve().parent.parent
STRONG_SECRET = "k" * 16 + "Q9v3xLr7Tz2mWp8s"
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": STRONG_SECRET,
    "PUBLIC_URL": "https://mcp.example.com",
    "OAUTH_PROVIDER": "google",
    "OAUTH_CLIENT_ID": "client-id",
    "OAUTH_CLIENT_SECRET": "client-secret",
}


def problems_of(environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        create_app(environ)
    return caught.value.problems


def test_testing_app(app):
    assert app.testing
    assert app.config["APP_ENV"] == "testing"


def test_production_settings_start():
    app = create_app(PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.testing


def test_production_without_secret_names_it():
    environ = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    assert problems_of(environ) == ["SECRET_KEY (or SESSION_SECRET) is not set"]


def test_session_secret_is_an_alias():
    environ = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    assert create_app({**environ, "SESSION_SECRET": STRONG_SECRET}).secret_key == STRONG_SECRET


@pytest.mark.parametrize(
    "secret",
    [
        "dev",
        "changeme",
        "short-but-random-7Hq",
        "a" * 64,  # long enough, one character
        "ab" * 40,
        "abcdefgh" * 8,  # eight characters, repeated
        "password1234" * 4,
    ],
)
def test_production_refuses_weak_secret(secret):
    assert any("weak" in problem for problem in problems_of({**PRODUCTION, "SECRET_KEY": secret}))


def test_production_takes_random_secrets_of_the_usual_shapes():
    for make in (lambda: secrets.token_hex(16), lambda: secrets.token_urlsafe(32), lambda: secrets.token_hex(32)):
        for _ in range(200):
            assert secret_problem(make()) is None


def test_production_refuses_dev_sign_in():
    problems = problems_of({**PRODUCTION, "OAUTH_PROVIDER": "dev"})
    assert any("dev sign-in" in problem for problem in problems)


def test_production_names_every_problem_at_once():
    problems = problems_of({"APP_ENV": "production", "PUBLIC_URL": "http://mcp.example.com", "OAUTH_PROVIDER": "okta"})
    text = "\n".join(problems)
    for expected in ("SECRET_KEY", "PUBLIC_URL", "okta provider needs", "https"):
        assert expected in text
    assert len(problems) == 3


def test_production_refuses_provider_without_credentials():
    problems = problems_of({**PRODUCTION, "OAUTH_CLIENT_SECRET": ""})
    assert problems == ["provider 'google' has no client_secret"]


def test_production_refuses_insecure_cookie():
    problems = problems_of({**PRODUCTION, "SESSION_COOKIE_SECURE": "false"})
    assert any("SESSION_COOKIE_SECURE" in problem for problem in problems)


def test_unknown_app_env_is_refused():
    assert problems_of({"APP_ENV": "staging"}) == [
        "APP_ENV must be one of development, testing, production, not 'staging'"
    ]


def test_malformed_number_is_refused():
    assert problems_of({"APP_ENV": "testing", "MAX_CONTENT_LENGTH": "lots"}) == [
        "MAX_CONTENT_LENGTH must be a whole number, not 'lots'"
    ]


def test_wsgi_defaults_to_production_and_exits_with_the_message(tmp_path):
    """What gunicorn loads fails closed: no APP_ENV means production rules."""
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    # Run in an empty directory so no developer's .env is picked up.
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); import wsgi"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "refusing to start" in result.stderr
    assert "SECRET_KEY (or SESSION_SECRET) is not set" in result.stderr
    assert "Traceback" not in result.stderr
