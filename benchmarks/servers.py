"""Start the benchmarked servers on 127.0.0.1, each with 2 worker processes, and stop them again.

- this app under gunicorn with the repo's gunicorn.conf.py (gevent, the default; gthread or
  sync workers), with a token from its own authorization server;
- the floor, bare Flask under `gunicorn -w 2` (sync, gthread or gevent), no auth;
- FastMCP and the MCP SDK under `uvicorn --workers 2`, in benchmarks/.venv-peers, with a JWT.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from benchmarks import proc
from benchmarks.environment import BENCH_DIR, ROOT
from benchmarks.tokens import JwtIssuer, app_token

APP_BIN = Path(sys.executable).parent
WORKERS = 2
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
#: Settings a developer's .env could hold that would change what is measured: set (empty) so it cannot.
NEUTRALISED = ("REDIS_URL", "EXTERNAL_ISSUER", "OAUTH_PROVIDERS", "MCP_STATIC_TOKENS", "TOKEN_CACHE_SECONDS")


@dataclass
class Server:
    """A running server: where its MCP endpoint is, the token it takes, and its process tree."""

    key: str
    label: str
    url: str
    token: str | None
    process: subprocess.Popen[bytes]
    log_path: Path
    info: dict[str, str] = field(default_factory=dict)

    def alive(self) -> bool:
        return self.process.poll() is None

    def cpu_seconds(self) -> dict[int, float]:
        """CPU seconds of each process of the tree: master, workers and helpers."""
        return proc.cpu_seconds(proc.tree(self.process.pid))

    def workers(self) -> list[int]:
        """The worker processes: the master's children, less multiprocessing's resource tracker."""
        return [pid for pid in proc.children(self.process.pid) if "resource_tracker" not in proc.cmdline(pid)]

    def peak_rss_mb(self) -> float | None:
        """The largest peak RSS (VmHWM) among the workers, in MiB."""
        peaks = [peak for peak in map(proc.peak_rss_mb, self.workers()) if peak is not None]
        return max(peaks) if peaks else None

    def pss_mb(self) -> float | None:
        """The largest current PSS among the workers, in MiB (see proc.pss_mb)."""
        sizes = [size for size in map(proc.pss_mb, self.workers()) if size is not None]
        return max(sizes) if sizes else None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class StartError(RuntimeError):
    """A server did not start, or did not become ready in time."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_settings(base_url: str, folder: Path) -> dict[str, str]:
    """The settings this app runs with in the benchmark (also used by the in-process microbenchmarks)."""
    return {
        **dict.fromkeys(NEUTRALISED, ""),
        "APP_ENV": "testing",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "OAUTH_PROVIDER": "dev",
        "SESSION_COOKIE_SECURE": "false",
        "PUBLIC_URL": base_url,
        "MCP_TOOL_PACKAGES": "benchmarks.tools",
        "MCP_RATE_LIMIT": "100000000 per minute",
        "MCP_MAX_STREAMS_PER_CALLER": "100000",  # the open-streams probe holds hundreds with one token
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
    }


#: The public URL of the production-settings run: clients' requests reach gunicorn on 127.0.0.1 (allowed by
#: MCP_ALLOWED_HOSTS) as they would behind a proxy, and tokens name this URL's MCP endpoint.
PRODUCTION_URL = "https://mcp.bench.test"


def production_settings(folder: Path) -> dict[str, str]:
    """This app as people deploy it: APP_ENV=production, an https PUBLIC_URL, an OpenID provider configured (never
    called: the benchmark's token is a personal token), secure cookies."""
    return app_settings(PRODUCTION_URL, folder) | {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "OAUTH_PROVIDER": "oidc",
        "OAUTH_ISSUER": "https://idp.bench.test",
        "OAUTH_CLIENT_ID": "bench",
        "OAUTH_CLIENT_SECRET": secrets.token_urlsafe(24),
        "SESSION_COOKIE_SECURE": "true",
        "MCP_ALLOWED_HOSTS": "127.0.0.1",
    }


#: Made in the app's own process: the production settings allow no browser sign-in to run the OAuth flow with.
PERSONAL_TOKEN = """
from app import create_app
from app.auth.users import Profile, upsert_user
from app.oauth import personal
app = create_app()
with app.app_context():
    user = upsert_user("oidc", Profile(subject="bench", email="bench@bench.test"))
    print(personal.create(user.id, "bench", "mcp", 30, app.config["PUBLIC_URL"] + app.config["MCP_PATH"])[1])
"""


def personal_token(environ: dict[str, str]) -> str:
    made = subprocess.run([str(APP_BIN / "python"), "-c", PERSONAL_TOKEN], cwd=ROOT, env=environ, check=True,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


@contextmanager
def app_server(
    key: str, label: str, tmp: Path, worker_class: str, production: bool = False, stores: dict[str, str] | None = None
) -> Iterator[tuple[Server, dict[str, str]]]:
    """This app under gunicorn.conf.py with `worker_class` (gevent, gthread with 4 threads, or sync), with the
    benchmark's settings or (`production`) production ones, on shared `stores` if given (DATABASE_URL,
    REDIS_URL); yield it and its settings."""
    port, folder = free_port(), tmp / key
    folder.mkdir()
    base_url = f"http://127.0.0.1:{port}"
    settings = production_settings(folder) if production else app_settings(base_url, folder)
    settings |= stores or {}
    threads = 4 if worker_class == "gthread" else 1
    environ = _clean_environ() | settings | {"GUNICORN_WORKER_CLASS": worker_class, "GUNICORN_WORKERS": str(WORKERS)}
    environ["GUNICORN_THREADS"] = str(threads)
    environ["GUNICORN_ACCESS_LOG"] = "off"  # as the floor and the peers: no access log
    migrate = [str(APP_BIN / "flask"), "--app", "wsgi", "db", "upgrade"]
    subprocess.run(migrate, cwd=ROOT, env=environ, check=True, capture_output=True, timeout=120)
    command = [str(APP_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(WORKERS), "wsgi:app"]
    with _running(command, ROOT, environ, folder / "server.log") as process:
        _wait_ready(process, folder / "server.log", port, health=f"{base_url}/health")
        info = {"server": "gunicorn", "workers": f"{WORKERS} x {worker_class}", "access_log": "off"}
        info |= {"threads": str(threads)} if worker_class == "gthread" else {}
        token = personal_token(environ) if production else app_token(base_url)
        server = Server(key, label, f"{base_url}/mcp", token, process, folder / "server.log", info)
        yield server, settings


@contextmanager
def floor_server(key: str, label: str, tmp: Path, worker_class: str = "sync") -> Iterator[Server]:
    """Bare Flask (benchmarks/floor.py) under `gunicorn -w 2`: sync, gthread (4 threads) or gevent workers.

    Sync workers close the connection after every response; gthread and gevent workers keep it
    open, as this app's configurations do: the like-for-like floor for `app` is `floor-gevent`,
    for `app-gthread` `floor-gthread`.
    """
    port, folder = free_port(), tmp / key
    folder.mkdir()
    # Run from an empty folder, so gunicorn does not pick up the repo's ./gunicorn.conf.py.
    worker = ["--worker-class", worker_class] + (["--threads", "4"] if worker_class == "gthread" else [])
    worker += ["--config", str(BENCH_DIR / "floor_gevent.py")] if worker_class == "gevent" else []
    command = [str(APP_BIN / "gunicorn"), "--workers", str(WORKERS), *worker]
    command += ["--bind", f"127.0.0.1:{port}", "--pythonpath", str(ROOT), "benchmarks.floor:app"]
    with _running(command, folder, _clean_environ(), folder / "server.log") as process:
        _wait_ready(process, folder / "server.log", port)
        kind = "gthread x 4 threads" if worker_class == "gthread" else worker_class
        info = {"server": "gunicorn", "workers": f"{WORKERS} x {kind}"}
        yield Server(key, label, f"http://127.0.0.1:{port}/mcp", None, process, folder / "server.log", info)


@contextmanager
def peer_server(key: str, label: str, module: str, tmp: Path, peers_bin: Path, issuer: JwtIssuer) -> Iterator[Server]:
    """A peer (benchmarks/<module>.py) under `uvicorn --workers 2` in the peers venv, verifying `issuer`'s JWTs."""
    port, folder = free_port(), tmp / key
    folder.mkdir()
    audience = f"http://127.0.0.1:{port}/mcp"
    environ = _clean_environ() | issuer.settings(audience).environ() | {"FASTMCP_CHECK_FOR_UPDATES": "off"}
    command = [str(peers_bin / "uvicorn"), f"benchmarks.{module}:app", "--app-dir", str(ROOT)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]
    command += ["--no-access-log", "--log-level", "warning"]
    with _running(command, ROOT, environ, folder / "server.log") as process:
        _wait_ready(process, folder / "server.log", port)
        info = {"server": "uvicorn[standard] (uvloop, httptools)", "workers": f"{WORKERS} x uvicorn"}
        yield Server(key, label, audience, issuer.token(audience), process, folder / "server.log", info)


def _clean_environ() -> dict[str, str]:
    """The environment less gunicorn's own variables (GUNICORN_CMD_ARGS would override the command line)."""
    return {name: value for name, value in os.environ.items() if not name.startswith("GUNICORN_")}


@contextmanager
def _running(command: list[str], cwd: Path, environ: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """Run `command` in its own session, output to `log_path`; stop it (and only it) afterwards."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the master (it stops its workers); after STOP_TIMEOUT, SIGKILL the session it leads."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def _wait_ready(process: subprocess.Popen, log_path: Path, port: int, health: str | None = None) -> None:
    """Wait until the port accepts, both workers exist and, if given, `health` answers 200."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"{process.args[0]} exited with {process.returncode}:\n{log_path.read_text()}")
        if _accepts(port) and len(proc.children(process.pid)) >= WORKERS and _healthy(health):
            return
        time.sleep(0.2)
    raise StartError(f"{process.args[0]} was not ready within {STARTUP_TIMEOUT}s:\n{log_path.read_text()}")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _healthy(url: str | None) -> bool:
    if url is None:
        return True
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False
