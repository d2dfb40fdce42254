"""The app under gunicorn, as people run it: migrated, several workers, on loopback.

`gunicorn_process` starts it with the settings given and yields its master process, `gunicorn_app` its URL;
`live_app` and `sqlite_app` yield a `LiveApp`, which also knows its MCP endpoint, its log, its settings and its
master process. `post` and HTTP_TIMEOUT are for the tests' requests.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 30.0
HTTP_TIMEOUT = 10.0  # seconds, per request a test sends to a running app


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
def gunicorn_process(
    settings: dict[str, str], port: int, log_path: Path, workers: int = 2
) -> Iterator[subprocess.Popen[bytes]]:
    """Migrate, start gunicorn with gunicorn.conf.py on 127.0.0.1:`port`, yield its master process once it answers;
    stop it afterwards (if the test has not)."""
    environ = {**os.environ, **settings}
    subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=environ, check=True, timeout=60)
    command = [BIN / "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "wsgi:app"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(f"http://127.0.0.1:{port}", process, log_path)
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=60)


@contextmanager
def gunicorn_app(settings: dict[str, str], port: int, log_path: Path, workers: int = 2) -> Iterator[str]:
    """Migrate, start gunicorn with gunicorn.conf.py on 127.0.0.1:`port`, yield its URL."""
    with gunicorn_process(settings, port, log_path, workers):
        yield f"http://127.0.0.1:{port}"


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


@dataclass(frozen=True)
class LiveApp:
    """A running app: where it answers, where gunicorn writes its log (the access log included), its settings."""

    base_url: str
    log_path: Path
    settings: dict[str, str] = field(hash=False)
    #: gunicorn's master process.
    master: subprocess.Popen[bytes] | None = field(default=None, hash=False, compare=False, kw_only=True)

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    @property
    def static_token(self) -> str:
        """The first token of MCP_STATIC_TOKENS."""
        return self.settings["MCP_STATIC_TOKENS"].split(",")[0]

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def live_app(
    settings: dict[str, str], log_path: Path, *, port: int | None = None, workers: int = 2
) -> Iterator[LiveApp]:
    """Run the app with `settings` under gunicorn on `port` (a free one by default) until the block ends."""
    port = port or free_port()
    with gunicorn_process(settings, port, log_path, workers=workers) as master:
        yield LiveApp(f"http://127.0.0.1:{port}", log_path, settings, master=master)


@contextmanager
def sqlite_app(tmp: Path, *, port: int | None = None, workers: int = 2, **overrides: str) -> Iterator[LiveApp]:
    """`live_app` with `app_settings(tmp, **overrides)` (SQLite in `tmp`), logging to `tmp`/gunicorn.log."""
    with live_app(app_settings(tmp, **overrides), tmp / "gunicorn.log", port=port, workers=workers) as app:
        yield app


def post(http: requests.Session | None, url: str, **kwargs: Any) -> requests.Response:
    """POST with the session `http`, or over a fresh connection of its own when `http` is None."""
    return requests.post(url, **kwargs) if http is None else http.post(url, **kwargs)
