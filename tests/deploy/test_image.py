"""The Dockerfile, built as it is and run as a container with production settings (tests/support/image.py says how).

Against the machine's PostgreSQL and Redis and the test OpenID provider: the migrations by the command the
Dockerfile documents, /health and /status, the image's HEALTHCHECK, the image's user as PID 1 on a read-only root
with a writable /tmp and nothing logged at ERROR, a sign-in and a tool call with a personal token through it, and
a clean stop on SIGTERM within the grace period. Prints the image's size and the times.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from dotenv import dotenv_values

from config.settings import GUNICORN_SETTINGS
from tests.support import image, services, stores
from tests.support.accounts import create_personal_token
from tests.support.mcp_http import MODERN, call_tool, whoami_result
from tests.support.oidc import OidcProvider, sign_in_at_provider, start_oidc_provider
from tests.support.servers import ROOT

pytestmark = [pytest.mark.services, pytest.mark.live, pytest.mark.node]

HOST = "mcp.test"
CLUSTER_SETTINGS = ROOT / "deploy" / "kubernetes" / "base" / "settings.env"
METRICS_TOKEN = "a-metrics-token-for-the-image-test"
#: The image as small as it is now, and some room: a build that grows past it is looked at.
MAX_SIZE_MB = 600
GRACEFUL = int(next(s.default for s in GUNICORN_SETTINGS if s.name == "GUNICORN_GRACEFUL_TIMEOUT"))


@dataclass
class Deployed:
    config: dict
    root: Path
    environment: dict[str, str]
    container: image.Container
    base_url: str
    log_path: Path
    provider: OidcProvider
    started_to_healthy: float


def build_context(directory: Path) -> Path:
    """The project's files as git knows them, and a `.env` with a secret in it, as a developer's checkout has."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, directory / name)
    (directory / ".env").write_text("SECRET_KEY=a-secret-that-must-stay-out-of-the-image\n")
    return directory


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    services.require(image.available(), "podman, debootstrap, unshare and chroot, run as root")
    base_seconds = image.ensure_base()
    build_seconds = image.build(build_context(tmp_path_factory.mktemp("context")))
    config = image.config()
    base = f"made in {base_seconds:.0f} s" if base_seconds else "cached"
    print(f"\nimage: base {base}, built in {build_seconds:.0f} s, {config['Size'] / 1e6:.0f} MB")
    return config


@pytest.fixture(scope="module")
def deployed(built: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    port = int(dict(e.split("=", 1) for e in built["Env"])["GUNICORN_BIND"].rsplit(":", 1)[1])
    services.require(not services.listening("127.0.0.1", port), f"port {port} free for the image's server")
    tmp = tmp_path_factory.mktemp("container")
    with stores.postgres_schema() as database, stores.redis_database() as redis_url, image.mounted() as root:
        provider = start_oidc_provider([f"https://{HOST}/auth/callback"])
        try:
            # The settings a cluster gives it (deploy/kubernetes), with this machine's stores, provider and secrets.
            environment = {name: value or "" for name, value in dotenv_values(CLUSTER_SETTINGS).items()} | {
                "SECRET_KEY": os.urandom(32).hex(), "PUBLIC_URL": f"https://{HOST}", "DATABASE_URL": database,
                "REDIS_URL": redis_url, "OAUTH_PROVIDER": "oidc", "OAUTH_ISSUER": provider.issuer,
                "OAUTH_CLIENT_ID": provider.client_id, "OAUTH_CLIENT_SECRET": provider.client_secret,
                "METRICS_TOKEN": METRICS_TOKEN, "GUNICORN_BIND": f"0.0.0.0:{port}",
            }  # fmt: skip
            migrated = subprocess.run(image.command(root, built, environment, image.documented_migration()),
                                      capture_output=True, text=True, timeout=120)  # fmt: skip
            assert migrated.returncode == 0, migrated.stdout + migrated.stderr
            log_path = tmp / "server.log"
            started = time.monotonic()
            with image.running(root, built, environment, log_path) as container:
                base_url = f"http://127.0.0.1:{port}"
                healthy = _healthy(base_url, container, log_path) - started
                print(f"\ncontainer: healthy {healthy:.1f} s after start")
                yield Deployed(built, root, environment, container, base_url, log_path, provider, healthy)
        finally:
            provider.stop()


def _healthy(base_url: str, container: image.Container, log_path: Path) -> float:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert container.process.poll() is None, log_path.read_text()
        try:
            if requests.get(f"{base_url}/health", timeout=1).ok:
                return time.monotonic()
        except requests.RequestException:  # not listening yet, or a worker still booting on a busy machine
            time.sleep(0.05)
    raise AssertionError(f"not healthy within 60 s:\n{log_path.read_text()}")


def test_the_image_is_small_and_holds_neither_secrets_nor_tests(built: dict) -> None:
    assert built["Size"] / 1e6 < MAX_SIZE_MB
    with image.mounted() as root:
        workdir = root / built["WorkingDir"].lstrip("/")
        kept = {path.name for path in workdir.iterdir()}
        assert not {"tests", ".git", "docs", ".venv", "node_modules", "deploy"} & kept, kept
        assert not list(workdir.rglob(".env*")) and not list(workdir.rglob("secret.env"))
        assert not (root / "usr" / "bin" / "gcc").exists()  # no compilers


def test_health_status_and_the_images_healthcheck(deployed: Deployed) -> None:
    assert requests.get(f"{deployed.base_url}/health", timeout=5).json() == {"status": "ok"}
    status = requests.get(f"{deployed.base_url}/status", timeout=5)
    assert status.status_code == 200 and status.json()["checks"] == {"database": "ok", "sessions": "ok"}
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    metrics = requests.get(f"{deployed.base_url}/metrics", headers=bearer, timeout=10)
    assert metrics.status_code == 200 and "# HELP" in metrics.text, metrics.text
    kind, *check = deployed.config["Healthcheck"]["Test"]
    assert kind == "CMD"
    done = subprocess.run(image.command(deployed.root, deployed.config, deployed.environment, check),
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_runs_as_the_images_user_as_pid_1_on_a_read_only_root(deployed: Deployed) -> None:
    """A read-only root with a writable /tmp is how the container runs here (tests/support/image.py); what this
    proves is that the server needs no more: it answers, and logs nothing at ERROR (gunicorn once did)."""
    assert deployed.container.pid_in_container() == 1
    assert deployed.container.uid() != 0 and deployed.config["User"] == "app"
    log = deployed.log_path.read_text()
    assert "Listening at" in log and "[ERROR]" not in log, log


def behind_a_proxy() -> requests.Session:
    """A browser as the container sees it behind a TLS-terminating proxy: the public host, and its Secure session
    cookie sent back although the last hop is plain HTTP (requests would keep it for https)."""
    browser = requests.Session()
    browser.headers["Host"] = HOST

    def keep_session(response: requests.Response, *args, **kwargs) -> None:
        if "session" in response.cookies:
            browser.headers["Cookie"] = f"session={response.cookies['session']}"

    browser.hooks["response"].append(keep_session)
    return browser


def test_a_sign_in_and_a_tool_call_through_it(deployed: Deployed) -> None:
    browser = behind_a_proxy()
    start = browser.get(f"{deployed.base_url}/auth/login/oidc", allow_redirects=False, timeout=10)
    assert start.status_code == 302 and start.headers["Location"].startswith(deployed.provider.issuer)
    callback = urlsplit(sign_in_at_provider(requests.Session(), start.headers["Location"], "grace.hopper"))
    assert f"{callback.scheme}://{callback.netloc}" == f"https://{HOST}"
    signed_in = browser.get(f"{deployed.base_url}{callback.path}?{callback.query}", allow_redirects=False, timeout=10)
    assert signed_in.headers["Location"] == "/auth/success", signed_in.text
    token = create_personal_token(browser, deployed.base_url, "through the image")
    answer = call_tool(f"{deployed.base_url}/mcp", token, "whoami", version=MODERN, headers={"Host": HOST})
    assert whoami_result(answer)["email"] == "grace.hopper@example.test"


def test_sigterm_stops_it_cleanly_within_the_grace_period(deployed: Deployed) -> None:
    """Last: the container stops."""
    started = time.monotonic()
    os.kill(deployed.container.pid, signal.SIGTERM)
    code = deployed.container.process.wait(timeout=GRACEFUL + 10)
    took = time.monotonic() - started
    print(f"\ncontainer: stopped {took:.1f} s after SIGTERM")
    log = deployed.log_path.read_text()
    assert code == 0 and took < GRACEFUL, log
    assert "Shutting down: Master" in log and "[ERROR]" not in log and "Traceback" not in log, log
