"""/metrics in one process (the development server's way): the token, and labels that clients cannot multiply."""

from __future__ import annotations

from tests.support.mcp_client import McpActions

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


def scrape(client, authorization: str) -> tuple[int, str]:
    answered = client.get("/metrics", headers={"Authorization": authorization})
    return answered.status_code, answered.text


def test_metrics_answer_their_token_only(make_app):
    client = make_app(METRICS_TOKEN=METRICS_TOKEN).test_client()
    assert client.get("/metrics").status_code == 404
    assert scrape(client, "Bearer not-it")[0] == 404
    assert scrape(client, f"bearer  {METRICS_TOKEN}")[0] == 200  # the scheme is case-insensitive (RFC 9110)
    status, text = scrape(client, f"Bearer {METRICS_TOKEN}")
    assert status == 200 and "# TYPE mcp_requests_total counter" in text


def test_names_a_client_makes_up_are_not_labels(make_app):
    """A label per made-up tool or method would grow the metrics without end, in every worker."""
    app = make_app(METRICS_TOKEN=METRICS_TOKEN, MCP_STATIC_TOKENS="test-token-for-mcp", MCP_TOOL_PACKAGES="app.tools")
    mcp = McpActions(app.test_client())
    for number in range(3):
        mcp.modern("tools/call", {"name": f"made_up_tool_{number}", "arguments": {}})
        mcp.modern(f"made/up_{number}", {})
    mcp.modern("tools/call", {"name": "whoami", "arguments": {}})
    _, text = scrape(app.test_client(), f"Bearer {METRICS_TOKEN}")
    assert "made_up" not in text and "made/up" not in text
    assert 'mcp_requests_total{method="tools/call",outcome="protocol_error",tool="unknown"}' in text
    assert 'method="unknown"' in text and 'tool="whoami"' in text


def test_every_rate_limited_request_is_counted(make_app):
    """Pages, /mcp and the OAuth endpoints (which answer 429 as OAuth errors) alike."""
    app = make_app(METRICS_TOKEN=METRICS_TOKEN, TOKEN_RATE_LIMIT="1 per minute", SIGN_IN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    before = rate_limited(client)
    codes = [client.post("/oauth/token", data={"grant_type": "client_credentials"}).status_code for _ in range(3)]
    codes += [client.get("/auth/dev").status_code for _ in range(2)]
    assert codes.count(429) == 3
    after = rate_limited(client)
    added = {route: after[route] - before.get(route, 0.0) for route in after}
    assert added == {"/oauth/token": 2.0, "/auth/dev": 1.0}, added


def rate_limited(client) -> dict[str, float]:
    """rate_limited_total by route, as scraped (this process's registry holds earlier tests' counts too)."""
    _, text = scrape(client, f"Bearer {METRICS_TOKEN}")
    lines = [line for line in text.splitlines() if line.startswith("rate_limited_total{")]
    return {line.split('route="')[1].split('"')[0]: float(line.split()[-1]) for line in lines}
