"""Traces (OpenTelemetry): off unless configured, the standard way, with OTEL_* variables.

With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, and neither
OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none, every HTTP request gets a server span
(the WSGI instrumentation, named by the Flask route), every MCP message a span of its own (app.mcp.server.spans),
and every call to an identity provider or a metadata document a client span (the
requests instrumentation); the rest of OTEL_* (service name, sampler, headers, batching)
is the SDK's to read. Spans leave over OTLP/HTTP from a batch processor in each process:
under gunicorn the app is loaded in the master and forked, so each worker sets up its own
provider at its first request. Otherwise nothing of OpenTelemetry is imported.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Flask

#: Requests not worth a trace: probes and static files.
UNTRACED = ("/health", "/status", "/favicon.ico")
UNTRACED_PREFIXES = ("/static/",)
#: The service name when OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) does not give one.
DEFAULT_SERVICE_NAME = "flask-mcp-server"

#: Whether this process traces: read on the request path, so one module-level flag (a provider is per process).
_on = False
_started_in: int | None = None
_starting = threading.Lock()


def configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the OTEL_* variables ask for traces to be exported."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def init_app(app: Flask) -> None:
    """Instrument the app (HTTP server spans) and outgoing requests, if traces are configured."""
    global _on
    if not configured():
        return
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    # The WSGI middleware, not the Flask instrumentation: the same server span at half its cost per request;
    # the route it lacks is added to the span's name once Flask has matched it.
    app.wsgi_app = _in_each_process(app.wsgi_app, OpenTelemetryMiddleware(app.wsgi_app))
    app.before_request(_name_by_route)
    if not RequestsInstrumentor().is_instrumented_by_opentelemetry:
        RequestsInstrumentor().instrument()
    _on = True


def active() -> bool:
    return _on


def capture() -> Any:
    """The current trace context, to carry into a thread the request starts (None when traces are off)."""
    if not _on:
        return None
    from opentelemetry import context

    return context.get_current()


@contextmanager
def attached(carried: Any) -> Iterator[None]:
    """Run the block in the trace context `capture` took (nothing when traces are off)."""
    if carried is None:
        yield
        return
    from opentelemetry import context

    token = context.attach(carried)
    try:
        yield
    finally:
        context.detach(token)


def annotate(attributes: Mapping[str, Any]) -> None:
    """Add attributes to the current span (a tool's, through its Context)."""
    if _on:
        from opentelemetry import trace

        trace.get_current_span().set_attributes(dict(attributes))


def event(name: str, attributes: Mapping[str, Any] | None = None) -> None:
    """Add an event to the current span (a tool's, through its Context)."""
    if _on:
        from opentelemetry import trace

        trace.get_current_span().add_event(name, dict(attributes or {}))


def _in_each_process(plain: Callable, traced: Callable) -> Callable:
    """The app that sets up this process's provider (each forked worker's) before its first request, and traces
    every request but probes and static files."""

    def app(environ: dict, start_response: Callable) -> Any:
        if _started_in != os.getpid():
            _start()
        path = environ.get("PATH_INFO", "")
        if path in UNTRACED or path.startswith(UNTRACED_PREFIXES):
            return plain(environ, start_response)
        return traced(environ, start_response)

    return app


def _name_by_route() -> None:
    """Name the request's span by its route (`POST /mcp`), as the HTTP conventions have it, never by its path."""
    from flask import request
    from opentelemetry import trace

    if request.url_rule is not None:
        span = trace.get_current_span()
        span.update_name(f"{request.method} {request.url_rule.rule}")
        span.set_attribute("http.route", request.url_rule.rule)


def _start() -> None:
    """This process's provider: spans batched and exported over OTLP/HTTP, as the OTEL_* variables say."""
    global _started_in
    with _starting:
        if _started_in == os.getpid():
            return
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        attributes: dict[str, Any] = {"process.pid": os.getpid()}
        named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
        attributes |= {} if named else {"service.name": DEFAULT_SERVICE_NAME}
        provider = TracerProvider(resource=Resource.create(attributes))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _started_in = os.getpid()
