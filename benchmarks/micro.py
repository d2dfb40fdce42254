"""In-process microbenchmarks (timeit) of this app: token verification and one tools/call through WSGI.

They run in the runner's own process, on the database of the benchmarked app, with the
token its authorization server issued, so they measure the same code path without HTTP.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import threading
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from werkzeug.test import EnvironBuilder, run_wsgi_app

from benchmarks.protocol import FORMS, Form

REPEATS = 5


def per_call_us(fn: Callable[[], object], repeats: int = REPEATS) -> dict[str, float]:
    """Time `fn`: loops of at least 0.2 s (timeit's autorange), `repeats` times; µs per call."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    samples = [total / number * 1e6 for total in timer.repeat(repeat=repeats, number=number)]
    return {"median_us": round(statistics.median(samples), 2), "min_us": round(min(samples), 2), "loops": number}


def wsgi_call(wsgi_app: Any, template: dict[str, Any], body: bytes) -> Callable[[], tuple[str, bytes]]:
    """A call of `wsgi_app` with a fresh copy of `template` and a fresh input stream; returns status and body."""

    def call() -> tuple[str, bytes]:
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(body)
        app_iter, status, _ = run_wsgi_app(wsgi_app, environ, buffered=True)
        return status, b"".join(app_iter)

    return call


def environ_template(base_url: str, form: Form, token: str | None) -> dict[str, Any]:
    """The WSGI environ of POST /mcp with `form`'s body and headers (its input stream is replaced per call)."""
    builder = EnvironBuilder(
        path="/mcp",
        method="POST",
        base_url=base_url,
        headers=form.headers(token),
        data=form.body(),
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _checked(call: Callable[[], tuple[str, bytes]], what: str) -> Callable[[], tuple[str, bytes]]:
    status, body = call()
    result = json.loads(body).get("result", {}) if status.startswith("200") else {}
    if (result.get("structuredContent") or {}).get("result") != 3:
        raise RuntimeError(f"{what} did not answer add(1, 2) = 3: {status} {body[:300]!r}")
    return call


def run(settings: dict[str, str], token: str) -> dict[str, dict[str, float]]:
    """Time token verification (cache warm) and tools/call through this app and the floor, in µs per call."""
    from app import create_app
    from app.oauth.verify import verify
    from benchmarks.floor import app as floor_app

    app = create_app(settings)
    base_url = settings["PUBLIC_URL"]
    results: dict[str, dict[str, float]] = {}
    with app.test_request_context("/mcp", method="POST", base_url=base_url):
        if verify(token) is None:  # the first call looks the token up and fills the cache
            raise RuntimeError("the app's token does not verify in-process")
        results["verify (cache warm)"] = per_call_us(lambda: verify(token))
    for form in FORMS:
        call = wsgi_call(app, environ_template(base_url, form, token), form.body())
        results[f"tools/call via WSGI, app, {form.version}"] = per_call_us(_checked(call, f"the app ({form.version})"))
    floor_form = FORMS[0]
    floor = wsgi_call(floor_app, environ_template(base_url, floor_form, None), floor_form.body())
    results["tools/call via WSGI, floor"] = per_call_us(_checked(floor, "the floor"))
    results |= observed(settings, token)  # last: traces, once on, stay on in this process
    return results


def observed(settings: dict[str, str], token: str) -> dict[str, dict[str, float]]:
    """tools/call (2026-07-28) with traces (exported to a local sink that answers 200) and metrics on."""
    from app import create_app

    with _sink() as endpoint:
        os.environ |= {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "bench"}
        app = create_app(settings | {"METRICS_TOKEN": "bench-metrics-token"})
        form = FORMS[-1]
        call = wsgi_call(app, environ_template(settings["PUBLIC_URL"], form, token), form.body())
        timed = per_call_us(_checked(call, "traced"))
        from opentelemetry import trace

        trace.get_tracer_provider().force_flush()  # while the sink still answers, not at exit into a closed port
        return {f"tools/call via WSGI, app traced and counted, {form.version}": timed}


@contextmanager
def _sink() -> Iterator[str]:
    """An OTLP/HTTP endpoint that takes every export and answers 200, on 127.0.0.1."""

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
