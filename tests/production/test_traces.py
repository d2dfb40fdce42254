"""Traces, end to end: gunicorn with 2 workers exports its spans over OTLP/HTTP to a receiver that decodes the
protobuf the exporter really sends; HTTP server spans, one MCP span per request as the semantic conventions for MCP
have it, the client's trace context from `_meta`, and the calls out to an identity provider."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests

from tests.support import services
from tests.support.oidc import start_oidc_provider
from tests.support.otlp import CLIENT, SERVER, OtlpReceiver, Span
from tests.support.servers import LiveApp, sqlite_app

MODERN = "2026-07-28"
CALLS, MAX_CALLS = 20, 200
TRACE_ID, PARENT_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> Iterator[tuple[LiveApp, OtlpReceiver, str]]:
    services.require(services.have_node(), "Node.js and npm (for the test OpenID provider)")
    tmp = tmp_path_factory.mktemp("traces")
    with OtlpReceiver() as receiver, start_oidc_provider(["http://127.0.0.1:1/unused"]) as provider:
        settings = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_SERVICE_NAME": "traced-mcp",
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms: export soon after each request
            "MCP_STATIC_TOKENS": secrets.token_urlsafe(32),
            "MCP_TOOL_PACKAGES": "app.tools,tests.mcp_fixtures",
            "OAUTH_PROVIDER": "",
            "OAUTH_PROVIDERS": "dev,oidc",
            "OAUTH_OIDC_ISSUER": provider.issuer,
            "OAUTH_OIDC_CLIENT_ID": provider.client_id,
            "OAUTH_OIDC_CLIENT_SECRET": provider.client_secret,
        }
        with sqlite_app(tmp, **settings) as app:
            yield app, receiver, provider.issuer


def call(app: LiveApp, name: str, arguments: dict, meta: dict | None = None, **headers: str) -> dict:
    """A 2026-07-28 tools/call over a connection of its own (so that calls spread over the workers)."""
    params = {"name": name, "arguments": arguments,
              "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                        "io.modelcontextprotocol/clientCapabilities": {}} | (meta or {})}  # fmt: skip
    sent = {"Authorization": f"Bearer {app.static_token}", "MCP-Protocol-Version": MODERN, "Mcp-Name": name,
            "Mcp-Method": "tools/call", "Accept": "application/json, text/event-stream"}  # fmt: skip
    sent |= {"Connection": "close"} | headers
    body = {"jsonrpc": "2.0", "id": secrets.randbelow(10**6), "method": "tools/call", "params": params}
    response = requests.post(app.mcp_url, json=body, headers=sent, timeout=10)
    assert response.status_code in (200, 400), response.text  # 2026-07-28 answers an unknown tool with 400
    return response.json() if response.headers["Content-Type"].startswith("application/json") else {}


def mcp_spans(spans: list[Span], name: str) -> list[Span]:
    return [span for span in spans if span.name == name and span.kind == SERVER]


def test_each_call_has_its_span_under_the_http_span_in_every_worker(traced):
    """Calls go on (20 at least, 200 at most) until both workers have exported some: which worker accepts a
    connection is the kernel's choice."""
    app, receiver, _ = traced
    made = 0
    while made < MAX_CALLS:
        for value in range(CALLS):
            call(app, "convert_temperature", {"value": value, "from_unit": "celsius"})
        made += CALLS
        spans = receiver.wait_for(lambda s, made=made: len(mcp_spans(s, "tools/call convert_temperature")) >= made)
        if len({span.resource["process.pid"] for span in mcp_spans(spans, "tools/call convert_temperature")}) == 2:
            break
    calls = mcp_spans(spans, "tools/call convert_temperature")
    assert len(calls) == made
    by_id = {span.span_id: span for span in spans}
    for span in calls:
        assert span.attributes["mcp.method.name"] == "tools/call"
        assert span.attributes["gen_ai.tool.name"] == "convert_temperature"
        assert span.attributes["gen_ai.operation.name"] == "execute_tool"
        assert span.attributes["mcp.protocol.version"] == MODERN and span.attributes["jsonrpc.request.id"]
        assert "error.type" not in span.attributes and span.status_code != 2
        http = by_id[span.parent_span_id]
        assert (http.name, http.kind, http.trace_id) == ("POST /mcp", SERVER, span.trace_id)
        assert span.resource["service.name"] == "traced-mcp"
    print(f"\none call's span: {calls[0].name} {calls[0].attributes}")
    assert len({span.resource["process.pid"] for span in calls}) == 2, "both workers export"


def test_the_trace_context_in_meta_is_the_parent(traced):
    app, receiver, _ = traced
    call(app, "whoami", {}, {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    (span,) = mcp_spans(receiver.wait_for(lambda s: mcp_spans(s, "tools/call whoami")), "tools/call whoami")
    assert (span.trace_id, span.parent_span_id) == (TRACE_ID, PARENT_ID)
    (link,) = span.links  # to the HTTP request's span, in a trace of its own
    http = next(s for s in receiver.spans if s.span_id == link[1])
    assert http.name == "POST /mcp" and http.trace_id != TRACE_ID


def test_failures_say_their_type(traced):
    app, receiver, _ = traced
    call(app, "convert_temperature", {"value": "hot", "from_unit": "celsius"}, {"progressToken": None})
    call(app, "no_such_tool", {})
    spans = receiver.wait_for(lambda s: mcp_spans(s, "tools/call no_such_tool") and [
        x for x in mcp_spans(s, "tools/call convert_temperature") if "error.type" in x.attributes])  # fmt: skip
    (failed,) = [s for s in mcp_spans(spans, "tools/call convert_temperature") if "error.type" in s.attributes]
    assert failed.attributes["error.type"] == "tool_error" and failed.status_code == 2
    (unknown,) = mcp_spans(spans, "tools/call no_such_tool")
    assert unknown.attributes["error.type"] == unknown.attributes["rpc.response.status_code"] == "-32602"


def test_a_tool_adds_to_its_span_from_its_thread(traced):
    app, receiver, _ = traced
    call(app, "test_traced", {})
    (span,) = mcp_spans(receiver.wait_for(lambda s: mcp_spans(s, "tools/call test_traced")), "tools/call test_traced")
    assert span.attributes["rows"] == 3 and span.events == [("looked up", {"source": "cache"})]
    assert next(s for s in receiver.spans if s.span_id == span.parent_span_id).name == "POST /mcp"


def test_a_legacy_session_is_named_and_calls_out_are_traced(traced):
    app, receiver, issuer = traced
    headers = {"Authorization": f"Bearer {app.static_token}", "Accept": "application/json, text/event-stream"}
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    opened = requests.post(app.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
                           headers=headers, timeout=10)  # fmt: skip
    session = opened.headers["Mcp-Session-Id"]
    listed = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    requests.post(app.mcp_url, json=listed, headers=headers | {"Mcp-Session-Id": session}, timeout=10)
    assert requests.get(f"{app.base_url}/auth/login/oidc", allow_redirects=False, timeout=10).status_code == 302
    spans = receiver.wait_for(lambda s: mcp_spans(s, "tools/list") and [x for x in s if x.kind == CLIENT])
    (listing,) = mcp_spans(spans, "tools/list")
    assert listing.attributes["mcp.session.id"] == session
    discovery = [s for s in spans if s.kind == CLIENT and issuer in str(s.attributes.get("url.full", ""))
                 + str(s.attributes.get("http.url", ""))]  # fmt: skip
    assert discovery, [(s.name, s.attributes) for s in spans if s.kind == CLIENT]
