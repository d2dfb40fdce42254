"""The app under gunicorn, as people run it: migrated, several workers, on loopback."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 30.0


def app_settings(tmp: Path, **overrides: str) -> dict[str, str]:
    """A test app's environment: SQLite in `tmp`, the dev sign-in, the shipped tools, nothing from the caller's .env
    (no other provider, PUBLIC_URL or Redis); `overrides` win."""
    return {
        "APP_ENV": "testing",
        "SECRET_KEY": secrets.token_urlsafe(32),  # one for all workers
        "SESSION_COOKIE_SECURE": "false",
        "OAUTH_PROVIDER": "dev",
        "OAUTH_PROVIDERS": "",
        "PUBLIC_URL": "",
        "DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "REDIS_URL": "",
        "MCP_TOOL_PACKAGES": "app.tools",
        **overrides,
    }


@contextmanager
def gunicorn_app(settings: dict[str, str], port: int, log_path: Path, workers: int = 2) -> Iterator[str]:
    """Migrate, start gunicorn with gunicorn.conf.py on 127.0.0.1:`port`, yield its URL."""
    environ = {**os.environ, **settings}
    subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=environ, check=True, timeout=60)
    base_url = f"http://127.0.0.1:{port}"
    command = [BIN / "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "wsgi:app"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(base_url, process, log_path)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_for(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{base_url}/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {STARTUP_TIMEOUT}s:\n{log_path.read_text()}")
