"""Prompts: plain, with arguments, with an embedded resource, with an image."""

from __future__ import annotations

from app.mcp import embedded_resource, image, prompt, text
from tests.mcp_fixtures.content_tools import PNG


@prompt
def test_simple_prompt() -> str:
    """A simple prompt without arguments."""
    return "This is a simple prompt for testing."


@prompt
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with two required arguments."""
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@prompt
def test_prompt_with_embedded_resource(resourceUri: str) -> list:  # noqa: N803 - the suite's argument name
    """A prompt that embeds a resource."""
    return [
        embedded_resource(resourceUri, "Embedded resource content for testing."),
        text("Please process the embedded resource above."),
    ]


@prompt
def test_prompt_with_image() -> list:
    """A prompt that includes an image."""
    return [image(PNG, "image/png"), text("Please analyze the image above.")]
