"""Real services for tests: PostgreSQL, Redis, Chromium, Node; skip or fail when absent.

On a laptop without a service, its tests skip with the reason. `.ci/run` sets
REQUIRE_SERVICES=1, which turns each such skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: Flags Chromium needs here: no sandbox as root, no GPU, and no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require(available: bool, what: str) -> None:
    """Skip the test when `what` is missing, or fail it under REQUIRE_SERVICES=1."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is not available, and REQUIRE_SERVICES=1 requires it")
    pytest.skip(f"{what} is not available")


def listening(host: str, port: int) -> bool:
    """Return whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def have_chromium() -> bool:
    return Path(CHROMIUM).exists()


def have_prometheus() -> bool:
    return shutil.which("prometheus") is not None


def have_node() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None
