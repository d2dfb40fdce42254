"""Call a decorated function with validated arguments, and turn what it returns into content."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import current_app
from pydantic import BaseModel, ValidationError

from app.auth.upstream import UpstreamTokenError
from app.mcp.content import CONTENT_TYPES
from app.mcp.context import Context
from app.mcp.errors import Cancelled, ProtocolError, ToolError
from app.mcp.server import jsonrpc
from app.mcp.server.input_required import InputRequired
from app.mcp.signatures import Arguments
from app.mcp.specs import ToolSpec


def bind(arguments: Arguments, values: dict[str, Any], context: Callable[[], Context]) -> dict[str, Any]:
    """Return keyword arguments from validated `values` (raises pydantic's ValidationError); the Context is made
    (`context()`) only for a function that takes one."""
    validated = arguments.model.__pydantic_validator__.validate_python(values)  # `model_validate`, minus a call
    kwargs = dict(validated.__dict__)  # the fields' values, exactly: the model forbids extra fields
    if arguments.context_parameter:
        kwargs[arguments.context_parameter] = context()
    return kwargs


def call_tool(spec: ToolSpec, values: dict[str, Any], context: Callable[[], Context]) -> dict[str, Any]:
    """Run a tool; its failures become `isError` results, never protocol errors."""
    try:
        kwargs = bind(spec.arguments, values, context)
    except ValidationError as error:
        return error_result(f"Invalid arguments for {spec.name}: {describe(error)}")
    try:
        return tool_result(spec, spec.fn(**kwargs))
    except (InputRequired, ProtocolError, Cancelled):
        raise
    except (ToolError, UpstreamTokenError) as error:  # the person must sign in again: said plainly
        return error_result(str(error))
    except Exception:
        current_app.logger.exception("tool %s failed", spec.name)
        return error_result(f"The tool {spec.name} failed unexpectedly; the server log has the details.")


def tool_result(spec: ToolSpec, returned: Any) -> dict[str, Any]:
    """Return the CallToolResult fields for a tool's return value."""
    if spec.output is None:
        return {"content": to_content(returned), "isError": False}
    output = spec.output  # its core validator and serializer, without the adapter's wrappers around them
    structured = output.serializer.to_python(output.validator.validate_python(returned), mode="json")
    structured = {"result": structured} if spec.wrap_output else structured
    return {"content": [_text(jsonrpc.dumps(structured))], "structuredContent": structured, "isError": False}


def error_result(message: str) -> dict[str, Any]:
    return {"content": [_text(message)], "isError": True}


def to_content(value: Any) -> list[dict[str, Any]]:
    """Return content items for a value: text, content models, or lists of them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [_text(value)]
    if isinstance(value, CONTENT_TYPES):
        return [_dump(value)]
    if isinstance(value, list | tuple):
        return [item for element in value for item in to_content(element)]
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return [_text(json.dumps(data, default=str))]


def describe(error: ValidationError) -> str:
    """Return a short, safe summary of what was wrong with the arguments."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _text(value: str) -> dict[str, Any]:
    """A text content item, as the wire has it (no model round trip on the hot path)."""
    return {"type": "text", "text": value}


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")
