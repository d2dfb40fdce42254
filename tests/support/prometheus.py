"""The real Prometheus server (Debian's `prometheus`), scraping one target for a test.

    with start_prometheus(tmp, "127.0.0.1:8000", token) as prometheus:
        prometheus.wait_for('sum(mcp_requests_total{outcome="ok"})', 25)

It scrapes every second with the bearer token, keeps its data in `tmp`, listens on a free
port of 127.0.0.1 only, and stops with the block.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.services import free_port

STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Prometheus:
    url: str

    def value(self, query: str) -> float | None:
        """The instant value of `query` (one series), or None while it has none."""
        answer = requests.get(f"{self.url}/api/v1/query", params={"query": query}, timeout=5).json()
        assert answer["status"] == "success", answer
        series = answer["data"]["result"]
        return float(series[0]["value"][1]) if series else None

    def wait_for(self, query: str, expected: float, timeout: float = 30.0) -> float | None:
        """Poll `query` until it equals `expected` (a scrape a second); return the last value seen either way."""
        deadline, seen = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            seen = self.value(query)
            if seen == expected:
                return seen
            time.sleep(0.5)
        return seen


@contextmanager
def start_prometheus(tmp: Path, target: str, token: str) -> Iterator[Prometheus]:
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: mcp\n"
        f"    authorization:\n      credentials: {token}\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    log = (tmp / "prometheus.log").open("wb")
    command = [shutil.which("prometheus") or "prometheus", f"--config.file={config}",
               f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}"]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start:\n{(tmp / 'prometheus.log').read_text()}")
            time.sleep(0.2)
        yield Prometheus(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
