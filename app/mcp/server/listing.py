"""How tools, resources and prompts are described to clients, a page at a time."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app

from app.mcp.errors import INVALID_PARAMS, ProtocolError
from app.mcp.specs import PromptSpec, ResourceSpec, ToolSpec

if TYPE_CHECKING:
    from app.mcp.server.call import Call

T = TypeVar("T")


def tool_json(spec: ToolSpec) -> dict[str, Any]:
    described = {"name": spec.name, "description": spec.description}
    described["inputSchema"] = spec.input_schema or spec.arguments.schema
    described |= {"title": spec.title} if spec.title else {}
    described |= {"outputSchema": spec.output_schema} if spec.output_schema else {}
    described |= {"_meta": spec.meta} if spec.meta else {}
    return described | ({"annotations": spec.annotations} if spec.annotations else {})


def resource_json(spec: ResourceSpec) -> dict[str, Any]:
    key = "uriTemplate" if spec.is_template else "uri"
    described = {key: spec.uri, "name": spec.name, "description": spec.description}
    described |= {"title": spec.title} if spec.title else {}
    described |= {"_meta": spec.meta} if spec.meta else {}
    return described | ({"mimeType": spec.mime_type} if spec.mime_type else {})


def prompt_json(spec: PromptSpec) -> dict[str, Any]:
    arguments = [
        {"name": name, "required": field.is_required()}
        | ({"description": field.description} if field.description else {})
        for name, field in spec.arguments.model.model_fields.items()
    ]
    described = {"name": spec.name, "description": spec.description, "arguments": arguments}
    return described | ({"title": spec.title} if spec.title else {})


def listed(name: str, items: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    """A list result: the page's items, the next cursor if there is more, and the caching hints."""
    return {name: items} | ({"nextCursor": cursor} if cursor else {}) | cacheable()


def cacheable() -> dict[str, Any]:
    """2026-07-28 caching hints: results may vary with the caller, so never shared."""
    return {"ttlMs": 0, "cacheScope": "private"}


def page_of(call: Call, items: Sequence[T], key: Callable[[T], str]) -> tuple[list[T], str | None]:
    """The page of `items` a list request asks for (its `cursor`), MCP_PAGE_SIZE long."""
    return page(items, key, call.params.get("cursor"), current_app.config["MCP_PAGE_SIZE"])


def page(items: Sequence[T], key: Callable[[T], str], cursor: Any, size: int) -> tuple[list[T], str | None]:
    """Return one page of `items` (sorted by `key`) after `cursor`, and the next cursor.

    The cursor names the last item shown, not a position, so a page stays right when
    items are added or removed between requests.
    """
    start = 0
    if cursor is not None:
        after = _decode(cursor)
        start = next((index for index, item in enumerate(items) if key(item) > after), len(items))
    shown = list(items[start : start + size])
    more = start + size < len(items)
    return shown, (_encode(key(shown[-1])) if more and shown else None)


def _encode(last: str) -> str:
    return base64.urlsafe_b64encode(f"after:{last}".encode()).decode()


def _decode(cursor: Any) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode() if isinstance(cursor, str) else ""
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith("after:"):
        raise ProtocolError(INVALID_PARAMS, "Invalid cursor")
    return text.removeprefix("after:")
