"""summarize: a prompt, and the completion of its style argument."""

from __future__ import annotations


def test_the_prompt_carries_the_text_and_the_style(mcp):
    [message] = mcp.get_prompt("summarize", {"text": "Flask is small.", "style": "one sentence"})["messages"]
    assert message["role"] == "user"
    assert "as one sentence" in message["content"]["text"] and "Flask is small." in message["content"]["text"]


def test_styles_are_completed_as_the_person_types(mcp):
    assert mcp.complete({"type": "ref/prompt", "name": "summarize"}, "style", "one") == [
        "one paragraph",
        "one sentence",
    ]
    assert mcp.complete({"type": "ref/prompt", "name": "summarize"}, "style", "x") == []
