"""Integration: the MCP conformance suite's authorization-server scenarios against the server under gunicorn.

`conformance authorization` (0.2.0-alpha.12, tests/support/conformance/v0.2/) runs two scenarios:

- `authorization-server-metadata-endpoint`: GET /.well-known/oauth-authorization-server, checked against the issuer;
- `authorization-code-grant`: it prints an authorization URL, waits for a browser to come back to its own
  `http://127.0.0.1:<port>/callback`, then redeems the code (PKCE, `resource`) at the token endpoint.

The suite never registers a client, so the test registers a public one at /oauth/register first. The browser is a
`requests.Session` that signs a person in with the development form, opens the URL, allows on the consent page and
takes the redirect to the suite's callback. Every check in the `checks.json` files must be SUCCESS: the summary
line counts only successes and failures, so a WARNING would not show there. Needs Node.js and npm.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support import services
from tests.support.accounts import dev_sign_in
from tests.support.conformance_suite import (
    AUTHORIZE_PROMPT,
    CALLBACK_READY,
    CONFORMANCE_V02,
    Check,
    ConformanceRun,
    RunningTool,
    read_checks,
    start_node_tool,
)
from tests.support.oauth_client import PublicClient, approve
from tests.support.servers import HTTP_TIMEOUT, LiveApp, sqlite_app
from tests.support.services import free_port

# gunicorn's start and a first npm ci may take more than the 120 s default.
pytestmark = [pytest.mark.node, pytest.mark.live, pytest.mark.timeout(600)]
PROMPT_TIMEOUT = 120.0  # seconds until the suite prints the authorization URL
RUN_TIMEOUT = 120.0  # seconds for the suite to finish once the browser came back
SCENARIOS = ["authorization-server-metadata-endpoint", "authorization-code-grant"]
#: Every check the two scenarios make (the CIMD one only warns when it fails).
CHECK_IDS = {"authorization-server-metadata", "authorization-server-metadata-cimd", "authorization-code-grant"}


@pytest.fixture(scope="module")
def authorization_server(tmp_path_factory) -> Iterator[LiveApp]:
    """gunicorn with 2 workers on SQLite, signing people in with the development form; its issuer is its base URL."""
    services.require(services.have_node(), "Node.js and npm (for the MCP conformance suite)")
    with sqlite_app(tmp_path_factory.mktemp("oauth-server"), workers=2) as app:
        yield app


def register_public_client(issuer: str, redirect_uri: str) -> str:
    """Register a public client (PKCE, no secret) for `redirect_uri` by dynamic registration; return its id."""
    grants = {"grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}
    return PublicClient.register(issuer, redirect_uri, "MCP conformance suite", **grants).client_id


def explain(run: ConformanceRun | RunningTool, server: LiveApp) -> str:
    """A failure message: the suite's output and the end of the server log."""
    log = "\n".join(server.log_path.read_text(errors="replace").splitlines()[-40:])
    return f"--- suite output ---\n{run.output}\n--- server log (end) ---\n{log}"


def figures(run: ConformanceRun, checks: tuple[Check, ...]) -> str:
    """The scenarios' summary lines and every check, for CI logs."""
    lines = [f"== conformance 0.2.0-alpha.12 authorization (exit {run.returncode}) =="]
    lines += [f"  {s.name}: {s.checks_passed} passed, {s.checks_failed} failed" for s in run.scenarios]
    lines += [f"  {check}" for check in checks]
    return "\n".join(lines)


def test_authorization_server_scenarios(authorization_server: LiveApp, tmp_path: Path, record_property) -> None:
    """Both scenarios pass with a real sign-in and consent, and not one check warns."""
    issuer = authorization_server.base_url
    callback_port = free_port()
    callback = f"http://127.0.0.1:{callback_port}/callback"
    client_id = register_public_client(issuer, callback)
    output_dir = tmp_path / "results"
    args = ["authorization", "--url", issuer, "--client-id", client_id, "--resource", f"{issuer}/mcp"]
    args += ["-p", str(callback_port), "-o", str(output_dir)]

    suite = start_node_tool(CONFORMANCE_V02, "conformance", args)
    try:
        with requests.Session() as browser:
            dev_sign_in(browser, issuer, "Conformance Person", "conformance@example.test")
            authorize_url = suite.line_after(AUTHORIZE_PROMPT, PROMPT_TIMEOUT)
            assert authorize_url.startswith(f"{issuer}/oauth/authorize?"), explain(suite, authorization_server)
            location = approve(browser, authorize_url)
            answer = parse_qs(urlsplit(location).query)
            assert location.startswith(f"{callback}?"), location
            assert answer.keys() >= {"code", "state"} and answer.get("iss") == [issuer], location
            suite.wait_for(CALLBACK_READY, PROMPT_TIMEOUT)
            reached = browser.get(location, timeout=HTTP_TIMEOUT)
            assert reached.status_code == 200, f"the suite's callback answered {reached.status_code}: {reached.text}"
        run = suite.finish(RUN_TIMEOUT)
    finally:
        suite.stop()

    checks = read_checks(output_dir, prefix="authorization-server-")
    print(f"\n{figures(run, checks)}")
    record_property("checks", ",".join(f"{check.id}={check.status}" for check in checks))

    assert [scenario.name for scenario in run.scenarios] == SCENARIOS, explain(run, authorization_server)
    assert run.failed == [], explain(run, authorization_server)
    assert run.returncode == 0, explain(run, authorization_server)
    assert {check.scenario for check in checks} == set(SCENARIOS), checks
    assert {check.id for check in checks} == CHECK_IDS, checks
    not_success = [str(check) for check in checks if check.status != "SUCCESS"]
    assert not_success == [], explain(run, authorization_server)
