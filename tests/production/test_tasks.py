"""Tasks under gunicorn as shipped (2 gevent workers): what a restart does to the tasks a process runs.

SIGTERM ends each running task as failed, saying to start it again, and the master exits without waiting out
the graceful timeout; an instance started again on the same database reports them so.
"""

from __future__ import annotations

import signal
import time

import pytest
import requests

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.support.mcp_http import MODERN
from tests.support.servers import LiveApp, sqlite_app

pytestmark = [pytest.mark.live, pytest.mark.timeout(180)]

TOKEN = "task-restart-token-of-thirty-two-chars"
FOLLOWS = {"extensions": {"io.modelcontextprotocol/tasks": {}}}
GRACEFUL = 30
TASKS = 4


def request(app: LiveApp, method: str, params: dict, name: str) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": MODERN, "Mcp-Method": method,
               "Mcp-Name": name, "Accept": "application/json, text/event-stream"}  # fmt: skip
    meta = {VERSION_KEY: MODERN, CAPABILITIES_KEY: FOLLOWS}
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params | {"_meta": meta}}
    response = requests.post(app.mcp_url, json=body, headers=headers | {"Connection": "close"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_sigterm_ends_running_tasks_as_failed_and_the_master_exits_in_time(tmp_path):
    settings = {"MCP_STATIC_TOKENS": TOKEN, "MCP_TOOL_PACKAGES": "tests.mcp_fixtures",
                "GUNICORN_GRACEFUL_TIMEOUT": str(GRACEFUL)}  # fmt: skip
    with sqlite_app(tmp_path, **settings) as app:
        started = [
            request(app, "tools/call", {"name": "slow_compute", "arguments": {"seconds": 120}}, "slow_compute")
            for _ in range(TASKS)
        ]
        assert {task["resultType"] for task in started} == {"task"}
        signalled = time.monotonic()
        app.master.send_signal(signal.SIGTERM)
        while app.master.poll() is None and time.monotonic() < signalled + GRACEFUL + 10:
            time.sleep(0.05)
        exited = time.monotonic() - signalled
    print(f"\nSIGTERM with {TASKS} tasks running: master exited after {exited:.1f} s")
    assert app.master.poll() is not None and exited < GRACEFUL / 2
    with sqlite_app(tmp_path, **settings) as again:
        ended = [request(again, "tasks/get", {"taskId": task["taskId"]}, task["taskId"]) for task in started]
    assert {task["status"] for task in ended} == {"failed"}, ended
    assert all("restarted" in task["error"]["message"] for task in ended), ended
