"""The open-streams probe: /health latency while N event streams are open, and memory per open stream.

For each level N, N streamed tools/call requests (`stream_for`, one progress a second for
STREAM_SECONDS) are sent over raw sockets and left open; once each has sent its first event
(or after a few seconds: a gthread server with every thread taken never sends one), /health is
asked HEALTH_SAMPLES times in a row, each with a HEALTH_TIMEOUT (the first that times out ends the
series). The workers' PSS with the
streams open, less their PSS before, divided by N, is the memory an open stream costs.
"""

from __future__ import annotations

import json
import socket
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from benchmarks import proc
from benchmarks.protocol import CAPABILITIES_KEY, VERSION_KEY
from benchmarks.servers import Server

LEVELS = (8, 50, 300)
STREAM_SECONDS = 20
HEALTH_SAMPLES = 5
HEALTH_TIMEOUT = 25.0
#: Seconds to wait for every stream's first event before measuring anyway.
OPEN_WAIT = 10.0


@dataclass
class Level:
    """What one level measured: streams that sent their first event, /health latencies (None: timed out), memory."""

    streams: int
    opened: int
    health_ms: list[float | None]
    kib_per_stream: float | None

    def as_dict(self) -> dict[str, object]:
        return {"streams": self.streams, "opened": self.opened, "health_ms": self.health_ms,
                "kib_per_stream": self.kib_per_stream}  # fmt: skip


def probe(server: Server, levels: tuple[int, ...] = LEVELS) -> list[Level]:
    """Measure every level in turn on `server` (its token must be allowed enough open streams)."""
    results = []
    for count in levels:
        before = _workers_pss(server)
        sockets = [_open_stream(server, number) for number in range(count)]
        try:
            opened = _await_first_events(sockets)
            during = _workers_pss(server)
            health = _health_samples(server)
        finally:
            for sock in sockets:
                sock.close()
        memory = (during - before) * 1024 / count if before is not None and during is not None else None
        results.append(Level(count, opened, health, memory))
        _settle(server)
    return results


def table(label: str, levels: list[Level]) -> str:
    """The probe's results for one server, a line per level."""
    lines = [f"{label}: /health while N streams are open ({HEALTH_SAMPLES} in a row, {HEALTH_TIMEOUT:.0f} s limit)"]
    lines.append(f"{'open streams':<14}{'first event':>12}{'/health p50':>13}{'/health max':>13}{'KiB/stream':>12}")
    for level in levels:
        answered = [ms for ms in level.health_ms if ms is not None]
        p50 = f"{statistics.median(answered):.0f} ms" if answered else "-"
        worst = "timed out" if None in level.health_ms else f"{max(answered):.0f} ms"
        memory = f"{level.kib_per_stream:.0f}" if level.kib_per_stream is not None else "-"
        lines.append(f"{level.streams:<14}{level.opened:>12}{p50:>13}{worst:>13}{memory:>12}")
    return "\n".join(lines)


def _open_stream(server: Server, number: int) -> socket.socket:
    """Send one streamed tools/call of stream_for over a new connection; its answer is left unread."""
    parts = urlsplit(server.url)
    params = {"name": "stream_for", "arguments": {"seconds": STREAM_SECONDS},
              "_meta": {VERSION_KEY: "2026-07-28", CAPABILITIES_KEY: {}, "progressToken": number}}  # fmt: skip
    body = json.dumps({"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": params}).encode()
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n"
        f"Mcp-Method: tools/call\r\nMcp-Name: stream_for\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(head.encode() + body)
    return sock


def _await_first_events(sockets: list[socket.socket]) -> int:
    """How many of `sockets` sent the first event of their stream within OPEN_WAIT."""
    deadline, opened = time.monotonic() + OPEN_WAIT, 0
    for sock in sockets:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        received = b""
        try:
            while b"data:" not in received:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        except OSError:
            continue
        opened += b"data:" in received
    return opened


def _health_samples(server: Server) -> list[float | None]:
    """HEALTH_SAMPLES /health latencies in a row, in ms; the first that times out ends the series (as None)."""
    samples: list[float | None] = []
    while len(samples) < HEALTH_SAMPLES and (not samples or samples[-1] is not None):
        samples.append(_health_ms(server))
    return samples


def _health_ms(server: Server) -> float | None:
    base = server.url.rsplit("/", 1)[0]
    started = time.perf_counter()
    try:
        requests.get(f"{base}/health", timeout=HEALTH_TIMEOUT).raise_for_status()
    except requests.RequestException:
        return None
    return (time.perf_counter() - started) * 1000


def _workers_pss(server: Server) -> float | None:
    """The workers' PSS in all, in MiB."""
    sizes = [size for size in map(proc.pss_mb, server.workers()) if size is not None]
    return sum(sizes) if sizes else None


def _settle(server: Server, limit: float = 60.0) -> None:
    """Wait until /health answers quickly again: the closed streams' calls have ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        answered = _health_ms(server)
        if answered is not None and answered < 100:
            return
        time.sleep(1)
