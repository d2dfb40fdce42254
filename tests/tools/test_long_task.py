"""count_slowly: progress on the call's event stream, then the result."""

from __future__ import annotations


def test_reports_progress_at_each_step(mcp):
    result = mcp.call_tool("count_slowly", {"to": 3, "delay": 0}, progressToken="count")
    assert result["content"][0]["text"] == "Counted to 3."
    progress = [note["params"] for note in mcp.notifications if note["method"] == "notifications/progress"]
    assert [(step["progress"], step["total"]) for step in progress] == [(1, 3), (2, 3), (3, 3)]


def test_says_nothing_when_no_one_asked_for_progress(mcp):
    assert mcp.call_tool("count_slowly", {"to": 2, "delay": 0})["content"][0]["text"] == "Counted to 2."
    assert mcp.notifications == []
