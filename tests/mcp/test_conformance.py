"""Integration: the official MCP conformance suite against the server under gunicorn.

Three runs of the pinned npm suites (tests/support/conformance/), through a loopback proxy that adds the bearer
token the suite cannot send:

- 0.1.16 `--suite all` (the 2025 era, stateful sessions);
- 0.2.0-alpha.12 `--requirements 2025-11-25`;
- 0.2.0-alpha.12 `--requirements 2026-07-28` (stateless requests);
- 0.2.0-alpha.12 `--suite all`, the optional parts too, with every check's status counted.

Each test prints a short table of figures (visible with `pytest -s`, and recorded as junit properties). Needs Node.js
and npm; the suites run on a pinned Node 22 binary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.mcp.conftest import McpServer
from tests.support import services
from tests.support.conformance_suite import (
    CONFORMANCE_V01,
    CONFORMANCE_V02,
    ConformanceRun,
    read_checks,
    run_conformance,
)
from tests.support.header_proxy import header_proxy

# Each suite run takes 10-40 s; the 120 s default also has to cover gunicorn's start and the npm installs.
pytestmark = [pytest.mark.timeout(900), pytest.mark.node]
RUN_TIMEOUT = 600.0  # seconds, per conformance run

#: What 0.2.0-alpha.12 runs but does not score for 2025-11-25; all three pass today.
NOT_SCORED_2025_11_25 = {"server-session-lifecycle", "json-schema-2020-12", "server-sse-polling"}
#: Not scored for 2026-07-28 but implemented, so they must pass.
MUST_PASS_2026_07_28 = {"json-schema-2020-12", "http-header-validation", "http-custom-header-server-validation"}
#: Every scenario of 0.2.0-alpha.12 `--suite all`: all must pass.
SCENARIOS_ALL = 65
#: The one scenario whose checks the suite itself skips, pending a rewrite of its harness (task status
#: notifications, which this server sends on subscriptions/listen: tests/mcp/test_tasks.py checks them).
PENDING_IN_SUITE = {"tasks-status-notifications"}


@pytest.fixture(scope="module")
def proxied_mcp_url(mcp_server: McpServer) -> Iterator[str]:
    """The server's /mcp behind a proxy that adds `Authorization: Bearer <token>`."""
    services.require(services.have_node(), "Node.js and npm (for the MCP conformance suite)")
    with header_proxy(mcp_server.port, {"Authorization": f"Bearer {mcp_server.token}"}) as port:
        yield f"http://127.0.0.1:{port}/mcp"


def explain(run: ConformanceRun, server: McpServer, output_dir: Path | None = None) -> str:
    """A failure message: the figures, the failed checks (when the run wrote them to `output_dir`), the end of the
    suite's output and of the server log."""
    output = "\n".join(run.output.splitlines()[-80:])
    log = "\n".join(server.log_path.read_text(errors="replace").splitlines()[-40:])
    failed = [str(check) for check in read_checks(output_dir, "server-")] if output_dir else []
    checks = "\n".join(line for line in failed if " FAILURE" in line)
    return (
        f"{run.table(' '.join(run.command[2:]))}\n--- failed checks ---\n{checks}\n"
        f"--- suite output (end) ---\n{output}\n--- server log (end) ---\n{log}"
    )


def report(run: ConformanceRun, title: str, record_property: Callable[[str, object], None]) -> None:
    """Print the figures and keep them as junit properties."""
    print(f"\n{run.table(title)}")
    record_property("scenarios_passed", len(run.passed))
    record_property("scenarios_failed", len(run.failed))
    record_property("required_failed", ",".join(run.required_failed))
    record_property("not_scored_failed", ",".join(n.name for n in run.not_scored if not n.ok))


def test_suite_0_1_16_all(proxied_mcp_url: str, mcp_server: McpServer, record_property) -> None:
    run = run_conformance(CONFORMANCE_V01, ["server", "--url", proxied_mcp_url, "--suite", "all"], RUN_TIMEOUT)
    report(run, "conformance 0.1.16 --suite all", record_property)

    assert len(run.scenarios) == 32, explain(run, mcp_server)
    assert run.failed == [], explain(run, mcp_server)
    assert run.returncode == 0, explain(run, mcp_server)


def test_suite_0_2_requirements_2025_11_25(
    proxied_mcp_url: str, mcp_server: McpServer, record_property, tmp_path: Path
) -> None:
    args = ["server", "--url", proxied_mcp_url, "--requirements", "2025-11-25", "-o", str(tmp_path)]
    run = run_conformance(CONFORMANCE_V02, args, RUN_TIMEOUT)
    report(run, "conformance 0.2.0-alpha.12 --requirements 2025-11-25", record_property)

    assert len(run.required) == 30, explain(run, mcp_server, tmp_path)
    assert run.required_failed == [], explain(run, mcp_server, tmp_path)
    assert run.returncode == 0, explain(run, mcp_server, tmp_path)
    assert run.not_scored_names == NOT_SCORED_2025_11_25, explain(run, mcp_server, tmp_path)
    assert all(n.ok for n in run.not_scored), explain(run, mcp_server, tmp_path)


def test_suite_0_2_requirements_2026_07_28(
    proxied_mcp_url: str, mcp_server: McpServer, record_property, tmp_path: Path
) -> None:
    args = ["server", "--url", proxied_mcp_url, "--requirements", "2026-07-28", "-o", str(tmp_path)]
    run = run_conformance(CONFORMANCE_V02, args, RUN_TIMEOUT)
    report(run, "conformance 0.2.0-alpha.12 --requirements 2026-07-28", record_property)
    optional_ok = [n.name for n in run.not_scored if n.ok]
    optional_failing = [f"{n.name} ({n.reason})" for n in run.not_scored if not n.ok]
    print(f"  optional/not scored: {len(optional_ok)} passing, {len(optional_failing)} failing (not asserted)")
    record_property("optional_passing", len(optional_ok))
    record_property("optional_failing", len(optional_failing))

    assert len(run.required) == 37, explain(run, mcp_server, tmp_path)
    assert run.required_failed == [], explain(run, mcp_server, tmp_path)
    assert run.returncode == 0, explain(run, mcp_server, tmp_path)
    for name in sorted(MUST_PASS_2026_07_28):
        assert run.scenario(name).ok, f"{name} failed\n{explain(run, mcp_server, tmp_path)}"


def test_suite_0_2_all(proxied_mcp_url: str, mcp_server: McpServer, record_property, tmp_path: Path) -> None:
    """Every scenario of 0.2.0-alpha.12, the optional extensions too; the counts of check statuses are printed."""
    args = ["server", "--url", proxied_mcp_url, "--suite", "all", "-o", str(tmp_path)]
    run = run_conformance(CONFORMANCE_V02, args, RUN_TIMEOUT)
    checks = read_checks(tmp_path, "server-")
    statuses = Counter(check.status for check in checks)
    report(run, "conformance 0.2.0-alpha.12 --suite all", record_property)
    print("  checks: " + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())))
    for check in checks:
        if check.status != "SUCCESS":
            print(f"    {check}")
    for status, count in statuses.items():
        record_property(f"checks_{status.lower()}", count)
    assert run.failed == [] and len(run.passed) == SCENARIOS_ALL, explain(run, mcp_server)
    assert statuses["FAILURE"] == 0, [str(check) for check in checks if check.status == "FAILURE"]
    skipped = {check.scenario for check in checks if check.status == "SKIPPED"}
    assert skipped <= PENDING_IN_SUITE, [str(check) for check in checks if check.status == "SKIPPED"]
