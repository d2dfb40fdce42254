"""Metrics, end to end: the real Prometheus scrapes /metrics of gunicorn with 2 workers; what it scraped after a
known workload is exactly that workload, summed over the workers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import services
from tests.support.prometheus import Prometheus, start_prometheus
from tests.support.servers import LiveApp, sqlite_app

MODERN = "2026-07-28"
CALLS, MAX_CALLS, FAILED, UNAUTHENTICATED = 25, 200, 3, 2


@pytest.fixture(scope="module")
def scraped(tmp_path_factory) -> Iterator[tuple[LiveApp, Prometheus]]:
    services.require(services.have_prometheus(), "Prometheus (Debian package prometheus)")
    tmp = tmp_path_factory.mktemp("metrics")
    token = secrets.token_urlsafe(32)
    settings = {"METRICS_TOKEN": token, "MCP_STATIC_TOKENS": secrets.token_urlsafe(32),
                "PROMETHEUS_MULTIPROC_DIR": str(tmp / "multiproc")}  # fmt: skip
    with sqlite_app(tmp, **settings) as app, start_prometheus(tmp, f"127.0.0.1:{app.port}", token) as prometheus:
        yield app, prometheus


def call(app: LiveApp, arguments: dict, token: str | None = None) -> int:
    """A 2026-07-28 tools/call of convert_temperature on a connection of its own (the calls spread over workers)."""
    params = {"name": "convert_temperature", "arguments": arguments,
              "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                        "io.modelcontextprotocol/clientCapabilities": {}}}  # fmt: skip
    headers = {"Authorization": f"Bearer {token or app.static_token}", "MCP-Protocol-Version": MODERN,
               "Mcp-Method": "tools/call", "Mcp-Name": "convert_temperature", "Connection": "close"}  # fmt: skip
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    return requests.post(app.mcp_url, json=body, headers=headers, timeout=10).status_code


def test_metrics_are_only_for_the_bearer_of_the_token(scraped):
    app, _ = scraped
    assert requests.get(f"{app.base_url}/metrics", timeout=5).status_code == 404
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.get(f"{app.base_url}/metrics", headers=wrong, timeout=5).status_code == 404


def test_prometheus_scrapes_exactly_the_workload_summed_over_the_workers(scraped):
    app, prometheus = scraped
    timing = Path(app.settings["PROMETHEUS_MULTIPROC_DIR"])
    calls = 0
    while calls < CALLS or (len(list(timing.glob("histogram_*"))) < 2 and calls < MAX_CALLS):
        assert call(app, {"value": calls, "from_unit": "celsius"}) == 200  # until both workers served some
        calls += 1
    for _ in range(FAILED):
        assert call(app, {"value": "hot", "from_unit": "celsius"}) == 200  # an isError result
    for _ in range(UNAUTHENTICATED):
        assert call(app, {"value": 1, "from_unit": "celsius"}, token="not-a-token") == 401
    tool = 'method="tools/call",tool="convert_temperature"'
    ok = prometheus.wait_for(f'sum(mcp_requests_total{{{tool},outcome="ok"}})', calls)
    failed = prometheus.wait_for(f'sum(mcp_requests_total{{{tool},outcome="tool_error"}})', FAILED)
    refused = prometheus.wait_for('sum(mcp_requests_total{outcome="refused_auth"})', UNAUTHENTICATED)
    timed = prometheus.wait_for(
        'sum(mcp_server_operation_duration_seconds_count{gen_ai_tool_name="convert_temperature"})', calls + FAILED
    )
    http = prometheus.wait_for('sum(http_requests_total{route="/mcp",method="POST",status="200"})', calls + FAILED)
    per_worker = prometheus.value('count(mcp_requests_total{pid!=""})')
    timing_workers = sorted(path.name for path in timing.glob("histogram_*"))
    print(f"\n{calls} calls; scraped: ok {ok}, tool_error {failed}, refused_auth {refused}, timed {timed}, 200s {http}")
    assert (ok, failed, refused, timed, http) == (calls, FAILED, UNAUTHENTICATED, calls + FAILED, calls + FAILED)
    assert len(timing_workers) == 2, timing_workers  # both workers served calls, and each counted its own
    assert per_worker is None  # summed: no series per worker reaches Prometheus


def test_open_legacy_sessions_are_counted(scraped):
    app, prometheus = scraped
    headers = {"Authorization": f"Bearer {app.static_token}", "Accept": "application/json, text/event-stream"}
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    for number in range(2):
        body = {"jsonrpc": "2.0", "id": number, "method": "initialize", "params": init}
        assert requests.post(app.mcp_url, json=body, headers=headers, timeout=10).status_code == 200
    assert prometheus.wait_for("mcp_legacy_sessions_open", 2) == 2
