"""Clients an operator adds (`flask clients add`): in process through Flask's CLI runner, or against a running app.

Both return what the command printed for scripts: `client_id`, and `client_secret` unless the
client signs its assertions with its own key.
"""

from __future__ import annotations

import os
import subprocess

from flask import Flask

from tests.support.servers import BIN, ROOT, LiveApp


def add_client(app: Flask, *args: str) -> dict[str, str]:
    """`flask clients add ARGS` on an app in this process."""
    result = app.test_cli_runner().invoke(args=["clients", "add", *args])
    assert result.exit_code == 0, result.output
    return _printed(result.stdout)


def add_live_client(app: LiveApp, *args: str) -> dict[str, str]:
    """`flask clients add ARGS` on the database of a running app, as its operator would run it."""
    command = [BIN / "flask", "--app", "wsgi", "clients", "add", *args]
    environ = {**os.environ, **app.settings}
    result = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return _printed(result.stdout)


def _printed(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
