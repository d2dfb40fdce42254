"""`flask mcp tools` and `flask mcp call`."""

from __future__ import annotations

import json

from tests.conftest import AuthActions


def test_tools_lists_names_and_schemas(app):
    result = app.test_cli_runner().invoke(args=["mcp", "tools"])
    assert result.exit_code == 0
    assert "convert_temperature: Convert a temperature" in result.output
    assert '"from_unit"' in result.output


def test_call_prints_the_result(app):
    result = app.test_cli_runner().invoke(
        args=["mcp", "call", "convert_temperature", '{"value": 212, "from_unit": "fahrenheit"}']
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["structuredContent"] == {"value": 100.0, "unit": "celsius"}


def test_call_as_a_user(app):
    AuthActions(app.test_client()).dev_sign_in(name="Ada", email="ada@example.test")
    result = app.test_cli_runner().invoke(args=["mcp", "call", "whoami", "--user", "ADA@example.test"])
    assert json.loads(result.output)["structuredContent"]["name"] == "Ada"


def test_call_reports_progress_and_errors(app):
    runner = app.test_cli_runner()
    progress = runner.invoke(args=["mcp", "call", "count_slowly", '{"to": 2, "delay": 0}'])
    assert progress.exit_code == 0 and "notifications/progress" in progress.stderr
    assert runner.invoke(args=["mcp", "call", "count_slowly", '{"to": 0}']).exit_code == 1
    assert "no tool named" in runner.invoke(args=["mcp", "call", "nope"]).output
    assert "JSON object" in runner.invoke(args=["mcp", "call", "whoami", "[1]"]).output
    assert "no user" in runner.invoke(args=["mcp", "call", "whoami", "--user", "x@y.z"]).output
