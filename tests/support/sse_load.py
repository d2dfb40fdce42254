"""Many open event streams against a live app, read by one thread, and short calls beside them.

`OpenStreams` sends N streamed tools/call requests of `count_slowly` (a progress
notification per step) over raw sockets with `Connection: close`, then reads every socket
with one selector until each has ended or a deadline passes; `messages(i)` decodes what
stream i received. `ShortCalls` runs clients that call a tool in a loop, each on its own
kept-alive connection, and a /health prober, recording every latency.
"""

from __future__ import annotations

import json
import selectors
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.support.mcp_http import MODERN, whoami


class OpenStreams:
    """`count` streamed calls of count_slowly(`steps`, `delay`), one token per caller, read all at once."""

    def __init__(self, mcp_url: str, tokens: list[str], count: int, steps: int, delay: float = 1.0) -> None:
        self.url, self.steps = urlsplit(mcp_url), steps
        self.received = [bytearray() for _ in range(count)]
        self.ended = [False] * count
        self.selector = selectors.DefaultSelector()
        for number in range(count):
            sock = socket.create_connection((self.url.hostname, self.url.port), timeout=10)
            sock.sendall(self._request(tokens[number % len(tokens)], number, delay))
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, number)

    def _request(self, token: str, number: int, delay: float) -> bytes:
        params = {"name": "count_slowly", "arguments": {"to": self.steps, "delay": delay},
                  "_meta": {VERSION_KEY: MODERN, CAPABILITIES_KEY: {}, "progressToken": number}}  # fmt: skip
        body = json.dumps({"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": params}).encode()
        head = (
            f"POST {self.url.path} HTTP/1.1\r\nHost: {self.url.netloc}\r\nContent-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n"
            f"Mcp-Method: tools/call\r\nMcp-Name: count_slowly\r\nAuthorization: Bearer {token}\r\n"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    def read(self, until: float, stop_when: Any = None) -> None:
        """Read every open socket until each has ended, `until` (monotonic) passes, or `stop_when()` is true."""
        while self.selector.get_map() and time.monotonic() < until:
            if stop_when is not None and stop_when():
                return
            for key, _ in self.selector.select(timeout=0.2):
                number, sock = key.data, key.fileobj
                try:
                    chunk = sock.recv(65536)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if chunk:
                    self.received[number] += chunk
                else:
                    self.ended[number] = True
                    self.selector.unregister(sock)
                    sock.close()  # type: ignore[union-attr]

    def started(self) -> int:
        """How many streams have sent their first event."""
        return sum(b"data:" in received for received in self.received)

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()  # type: ignore[union-attr]

    def status(self, number: int) -> int:
        head = bytes(self.received[number]).split(b"\r\n", 1)[0].split()
        return int(head[1]) if len(head) > 1 else 0

    def body(self, number: int) -> Any:
        """The JSON body stream `number` was answered with instead of a stream (a refusal)."""
        return json.loads(bytes(self.received[number]).partition(b"\r\n\r\n")[2])

    def messages(self, number: int) -> list[dict[str, Any]]:
        """The JSON-RPC messages stream `number` received, in order (its body de-chunked)."""
        head, _, body = bytes(self.received[number]).partition(b"\r\n\r\n")
        if b"transfer-encoding: chunked" in head.lower():
            body = _dechunked(body)
        return [json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:")]


def _dechunked(body: bytes) -> bytes:
    out, rest = bytearray(), body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


@dataclass
class ShortCalls:
    """`clients` loops of whoami (each pausing `pause` s between calls) and a /health prober, for `seconds`."""

    mcp_url: str
    token: str
    clients: int
    seconds: float
    pause: float = 0.05
    calls: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        deadline = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self._client, args=(deadline,)) for _ in range(self.clients)]
        threads.append(threading.Thread(target=self._health, args=(deadline,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _client(self, deadline: float) -> None:
        with requests.Session() as http:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = whoami(self.mcp_url, self.token, http=http, version=MODERN, timeout=30)
                    ok = response.status_code == 200 and "result" in response.json()
                    problem = None if ok else f"{response.status_code} {response.text[:200]}"
                except requests.RequestException as error:
                    problem = repr(error)
                self._record(self.calls, started, problem)
                time.sleep(self.pause)

    def _health(self, deadline: float) -> None:
        base = self.mcp_url.rsplit("/", 1)[0]
        with requests.Session() as http:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = http.get(f"{base}/health", timeout=30)
                    problem = None if response.status_code == 200 else f"/health {response.status_code}"
                except requests.RequestException as error:
                    problem = repr(error)
                self._record(self.health, started, problem)
                time.sleep(0.1)

    def _record(self, into: list[float], started: float, problem: str | None) -> None:
        with self.lock:
            into.append((time.perf_counter() - started) * 1000)
            if problem:
                self.failures.append(problem)


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else samples[0]
