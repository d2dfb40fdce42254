"""profile://me: a resource that is different for each caller."""

from __future__ import annotations

import json


def test_reads_the_callers_profile(mcp):
    [contents] = mcp.read_resource("profile://me")["contents"]
    assert contents["mimeType"] == "application/json"
    profile = json.loads(contents["text"])
    assert profile["subject"].startswith("static-token:") and profile["scopes"] == ["*"]
