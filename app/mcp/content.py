"""Content a tool (or prompt) can return besides plain text and structured data."""

from __future__ import annotations

import base64

from mcp_types import (
    AudioContent,
    BlobResourceContents,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

#: Return values that are already content, passed to the client as they are.
CONTENT_TYPES = (TextContent, ImageContent, AudioContent, EmbeddedResource, ResourceLink)


def text(value: str) -> TextContent:
    """Return a text content item."""
    return TextContent(type="text", text=value)


def image(data: bytes, mime_type: str) -> ImageContent:
    """Return an image content item from raw bytes (sent base64-encoded)."""
    return ImageContent(type="image", data=base64.b64encode(data).decode(), mime_type=mime_type)


def audio(data: bytes, mime_type: str) -> AudioContent:
    """Return an audio content item from raw bytes (sent base64-encoded)."""
    return AudioContent(type="audio", data=base64.b64encode(data).decode(), mime_type=mime_type)


def embedded_resource(uri: str, contents: str | bytes, mime_type: str = "text/plain") -> EmbeddedResource:
    """Return a resource embedded in the result: text as is, bytes base64-encoded."""
    if isinstance(contents, bytes):
        resource = BlobResourceContents(uri=uri, blob=base64.b64encode(contents).decode(), mime_type=mime_type)
    else:
        resource = TextResourceContents(uri=uri, text=contents, mime_type=mime_type)
    return EmbeddedResource(type="resource", resource=resource)


def resource_link(uri: str, name: str, description: str | None = None, mime_type: str | None = None) -> ResourceLink:
    """Return a link to a resource the client can read later."""
    return ResourceLink(type="resource_link", uri=uri, name=name, description=description, mime_type=mime_type)
