"""A prompt with an argument that the client can complete as the person types."""

from __future__ import annotations

from typing import Annotated

from app.mcp import completion, prompt

STYLES = ("bullet points", "one paragraph", "one sentence", "plain language")


@prompt(title="Summarize a text")
def summarize(
    text: Annotated[str, "The text to summarize"], style: Annotated[str, "How to summarize"] = STYLES[0]
) -> str:
    """Ask the model for a summary of a text, in a chosen style."""
    return f"Summarize the following text as {style}:\n\n{text}"


@completion(prompt="summarize", argument="style")
def complete_style(value: str, context: dict[str, str]) -> list[str]:
    """Offer the styles that start with what was typed."""
    return [style for style in STYLES if style.startswith(value.lower())]
