"""`make env` (scripts/make_env.py): .env for production from .env.example, fresh secrets, never overwritten."""

from __future__ import annotations

import importlib.util
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from dotenv import dotenv_values

from config.checks import secret_problem
from tests.support.servers import ROOT

SCRIPT = ROOT / "scripts" / "make_env.py"


@pytest.fixture(scope="module")
def make_env():
    spec = importlib.util.spec_from_file_location("make_env", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_writes_fresh_secrets_the_provider_and_the_url(make_env, tmp_path):
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    for path in (first, second):
        assert (
            make_env.main(["--provider", "okta", "--public-url", "https://mcp.example.org/", "--path", str(path)]) == 0
        )
    written, other = dotenv_values(first), dotenv_values(second)
    assert written["APP_ENV"] == "production" and written["OAUTH_PROVIDER"] == "okta"
    assert written["PUBLIC_URL"] == "https://mcp.example.org"
    assert secret_problem(written["SECRET_KEY"]) is None and written["SECRET_KEY"] != other["SECRET_KEY"]
    Fernet(written["UPSTREAM_TOKEN_KEY"])  # a key, and a new one each time
    assert written["UPSTREAM_TOKEN_KEY"] != other["UPSTREAM_TOKEN_KEY"]
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    example = (ROOT / ".env.example").read_text().splitlines()
    lines = first.read_text().splitlines()
    changed = [(old, new) for old, new in zip(example, lines, strict=True) if old != new]
    assert [new.split("=")[0] for _old, new in changed] == ["SECRET_KEY", "PUBLIC_URL", "UPSTREAM_TOKEN_KEY",
                                                            "OAUTH_PROVIDER"]  # fmt: skip


def test_ends_with_what_production_still_needs(make_env, tmp_path, capsys):
    make_env.main(["--provider", "google", "--public-url", "https://mcp.example.org", "--path", str(tmp_path / ".env")])
    said = capsys.readouterr().out
    assert "provider 'google' has no client_id" in said and "provider 'google' has no client_secret" in said
    assert "SECRET_KEY" not in said.split("set in it:")[1]  # the generated one passes


def test_a_plain_http_url_is_refused_before_anything_is_written(make_env, tmp_path, capsys):
    path = tmp_path / ".env"
    with pytest.raises(SystemExit) as refused:
        make_env.main(["--provider", "okta", "--public-url", "http://mcp.example.org", "--path", str(path)])
    assert refused.value.code == 2 and "must start with https://" in capsys.readouterr().err
    assert not path.exists()


def test_an_existing_env_is_never_overwritten(make_env, tmp_path, capsys):
    path = tmp_path / ".env"
    path.write_text("SECRET_KEY=mine\n")
    assert make_env.main(["--provider", "github", "--public-url", "https://x.example", "--path", str(path)]) == 1
    assert path.read_text() == "SECRET_KEY=mine\n" and "exists already" in capsys.readouterr().err


def test_asks_for_what_it_is_not_given(tmp_path):
    """Run as `make env` runs it: the provider and the URL are asked for until the answers will do."""
    answers = "dev\ngithub\nhttp://insecure.example\nhttps://mcp.example.net\n"
    path = tmp_path / ".env"
    done = subprocess.run([sys.executable, str(SCRIPT), "--path", str(path)], input=answers, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "not one of" in done.stdout and "must start with https://" in done.stdout
    written = dotenv_values(path)
    assert (written["OAUTH_PROVIDER"], written["PUBLIC_URL"]) == ("github", "https://mcp.example.net")
    assert "provider 'github' has no client_id" in done.stdout


def test_nothing_is_written_when_the_questions_are_left(tmp_path):
    path = tmp_path / ".env"
    done = subprocess.run([sys.executable, str(SCRIPT), "--path", str(path)], input="okta\n", capture_output=True,
                          text=True, timeout=60, cwd=ROOT)  # fmt: skip
    assert done.returncode == 1 and "Nothing written" in done.stderr and not Path(path).exists()
