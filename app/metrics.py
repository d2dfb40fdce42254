"""Prometheus metrics: off unless METRICS_TOKEN is set, then at /metrics for that bearer token only.

Counted where it happens, through `count` and `observe` (no-ops when off):
- `http_requests_total{route,method,status}`: every request, by its route (not its path);
- `mcp_requests_total{method,tool,outcome}`: every MCP request; outcome is ok, tool_error
  (an `isError` result), protocol_error, refused_scope or refused_auth;
- `mcp_server_operation_duration_seconds{mcp_method_name,gen_ai_tool_name,error_type}`: the
  semantic conventions' `mcp.server.operation.duration` histogram;
- `oauth_tokens_total{event}`: issued, refreshed, revoked; `oauth_refresh_reuse_total`;
- `store_errors_total`, `rate_limited_total{route}`;
- `mcp_legacy_sessions_open`: the sessions in the shared store, counted at each scrape.

Under gunicorn the workers count apart and /metrics sums them: prometheus-client's
multiprocess mode, whose directory (PROMETHEUS_MULTIPROC_DIR) gunicorn.conf.py makes and
cleans. Nothing of prometheus-client is imported when metrics are off.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, current_app, request

from app.security import bearer_token

#: Buckets of the operation histogram, in seconds (those the semantic conventions advise).
BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
#: name: (kind, help, labels).
DEFINITIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "http_requests": ("counter", "HTTP requests, by route, method and status", ("route", "method", "status")),
    "mcp_requests": ("counter", "MCP requests, by method, tool and outcome", ("method", "tool", "outcome")),
    "mcp_server_operation_duration_seconds": (
        "histogram",
        "Duration of MCP requests as the server handled them",
        ("mcp_method_name", "gen_ai_tool_name", "error_type"),
    ),
    "oauth_tokens": ("counter", "Tokens issued, refreshed or revoked by the authorization server", ("event",)),
    "oauth_refresh_reuse": ("counter", "Refresh tokens used again after rotation (the sign-in is revoked)", ()),
    "store_errors": ("counter", "Requests answered 503 because the database or Redis failed", ()),
    "rate_limited": ("counter", "Requests refused by a rate limit, by route", ("route",)),
}

_metrics: dict[str, Any] = {}


def init_app(app: Flask) -> None:
    """Count requests and serve /metrics, if METRICS_TOKEN is set."""
    if not app.config["METRICS_TOKEN"]:
        return
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # gunicorn.conf.py makes it; `flask` commands may not
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    _define()
    app.after_request(_count_request)
    app.add_url_rule("/metrics", "metrics", _serve, methods=["GET"])


def count(name: str, amount: int = 1, **labels: str) -> None:
    """Add `amount` to counter `name` (nothing when metrics are off)."""
    if _metrics:
        metric = _metrics[name]
        (metric.labels(**labels) if labels else metric).inc(amount)


def observe(name: str, value: float, **labels: str) -> None:
    """Record `value` in histogram `name` (nothing when metrics are off)."""
    if _metrics:
        _metrics[name].labels(**labels).observe(value)


def on() -> bool:
    return bool(_metrics)


def _define() -> None:
    """The metrics, once per process (several apps in one process, as in tests, share them)."""
    if _metrics:
        return
    from prometheus_client import Counter, Histogram

    for name, (kind, text, labels) in DEFINITIONS.items():
        if kind == "counter":
            _metrics[name] = Counter(name, text, labels)
        else:
            _metrics[name] = Histogram(name, text, labels, buckets=BUCKETS)


def _count_request(response: Response) -> Response:
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    count("http_requests", route=rule, method=request.method, status=str(response.status_code))
    return response


def _serve() -> Response:
    """The metrics of every worker, for the bearer of METRICS_TOKEN only (404 to anyone else: nothing is here)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

    sent = bearer_token(request.headers.get("Authorization")) or ""
    if not hmac.compare_digest(sent.encode(), current_app.config["METRICS_TOKEN"].encode()):
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every worker's files, summed
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:  # one process (the development server): its own
        counted = REGISTRY
    sessions = CollectorRegistry()
    sessions.register(_Sessions())
    return Response(generate_latest(counted) + generate_latest(sessions), mimetype=CONTENT_TYPE_LATEST)


class _Sessions:
    """`mcp_legacy_sessions_open`: counted in the shared store when scraped (sessions end by expiring, unseen)."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from app import kv

        yield GaugeMetricFamily(
            "mcp_legacy_sessions_open", "Sessions of the initialize-based revisions", kv.store().count("mcp-session:")
        )
