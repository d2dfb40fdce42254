"""Drive a server with wrk: a Lua script that POSTs one request over and over, and its numbers."""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULT_MARK = "BENCH_RESULT"

# done() prints exact numbers (latencies in microseconds) instead of wrk's rounded summary.
DONE = f"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{RESULT_MARK} %.0f %.0f %.3f %.3f %.0f %.0f %.0f %.0f %.0f\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: requests completed, over how long, latency percentiles and errors."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rps": round(self.rps, 1)}


def lua_script(body: bytes, headers: dict[str, str]) -> str:
    """A wrk script sending POST `body` with `headers` on every request."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body.decode())}"]
    # The spaces matter: `headers[[[` would open a long string.
    lines += [f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}" for name, value in headers.items()]
    return "\n".join(lines) + "\n" + DONE


def _lua_string(text: str) -> str:
    """A Lua long-bracket string literal holding `text` verbatim."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


class WrkError(RuntimeError):
    """wrk failed or printed no result."""


def run(wrk: str, url: str, script: Path, seconds: float, connections: int = 16, threads: int = 2) -> WrkResult:
    """Run wrk against `url` for `seconds` with `script`; return its numbers."""
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    command += ["-s", str(script), url]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired as error:
        raise WrkError(f"wrk did not finish within {seconds + 60}s") from error
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return _parse(line)
    raise WrkError(f"wrk exited with {done.returncode} and no result:\n{done.stdout}{done.stderr}")


def _parse(line: str) -> WrkResult:
    fields = [float(value) for value in line.split()[1:]]
    requests, duration_us, p50_us, p99_us, status, *socket = fields
    return WrkResult(
        requests=int(requests),
        seconds=duration_us / 1e6,
        p50_ms=p50_us / 1000,
        p99_ms=p99_us / 1000,
        non_2xx=int(status),
        socket_errors=int(sum(socket)),
    )
