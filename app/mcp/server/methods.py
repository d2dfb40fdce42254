"""The methods every protocol revision shares: tools, resources, prompts, completion (`SHARED`)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from app.extensions import this_app
from app.mcp.errors import INVALID_PARAMS, ProtocolError
from app.mcp.server import invoke, listing
from app.oauth import scopes

if TYPE_CHECKING:
    from app.mcp.server.call import Call

#: Most completion values one answer may carry (the spec's limit).
MAX_COMPLETIONS = 100


def list_tools(call: Call) -> dict[str, Any]:
    tools, cursor = listing.page_of(call, _visible(call, _registry().tools), lambda spec: spec.name)
    return listing.listed("tools", [listing.tool_json(spec) for spec in tools], cursor)


def call_tool(call: Call) -> dict[str, Any]:
    name, arguments, spec = call.params.get("name"), call.params.get("arguments") or {}, call.spec
    if spec is None:
        raise ProtocolError(INVALID_PARAMS, f"Unknown tool: {name}")
    return invoke.call_tool(spec, arguments, call.context)


def list_resources(call: Call) -> dict[str, Any]:
    resources, cursor = listing.page_of(call, _visible(call, _registry().resources), lambda spec: spec.uri)
    return listing.listed("resources", [listing.resource_json(spec) for spec in resources], cursor)


def list_resource_templates(call: Call) -> dict[str, Any]:
    templates, cursor = listing.page_of(call, _visible(call, _registry().templates), lambda spec: spec.uri)
    return listing.listed("resourceTemplates", [listing.resource_json(spec) for spec in templates], cursor)


def read_resource(call: Call) -> dict[str, Any]:
    uri, found = call.params.get("uri"), call.target
    if found is None:
        raise ProtocolError(call.revision.resource_not_found, "Resource not found", {"uri": uri})
    spec, variables = found
    returned = spec.fn(**_bind(spec.arguments, variables, call.context))
    contents = _resource_contents(uri, returned, spec.mime_type) | ({"_meta": spec.meta} if spec.meta else {})
    return {"contents": [contents]} | listing.cacheable()


def list_prompts(call: Call) -> dict[str, Any]:
    prompts, cursor = listing.page_of(call, _visible(call, _registry().prompts), lambda spec: spec.name)
    return listing.listed("prompts", [listing.prompt_json(spec) for spec in prompts], cursor)


def get_prompt(call: Call) -> dict[str, Any]:
    name, arguments, spec = call.params.get("name"), call.params.get("arguments") or {}, call.spec
    if spec is None:
        raise ProtocolError(INVALID_PARAMS, f"Unknown prompt: {name}")
    returned = spec.fn(**_bind(spec.arguments, arguments, call.context))
    return {"messages": _prompt_messages(returned)} | ({"description": spec.description} if spec.description else {})


def complete(call: Call) -> dict[str, Any]:
    ref, argument = call.params.get("ref") or {}, call.params.get("argument") or {}
    ref_type, target = ref.get("type"), ref.get("name") if ref.get("type") == "ref/prompt" else ref.get("uri")
    if call.target is None:
        raise ProtocolError(INVALID_PARAMS, f"Unknown {ref_type} {target!r}")
    spec = _registry().completions.get((ref_type, target, argument.get("name")))
    context = (call.params.get("context") or {}).get("arguments") or {}
    values = [str(value) for value in spec.fn(str(argument.get("value", "")), context)] if spec else []
    completion = {"values": values[:MAX_COMPLETIONS], "total": len(values), "hasMore": len(values) > MAX_COMPLETIONS}
    return {"completion": completion}


#: What every revision answers; each adds its own (app/mcp/server/modern.py, app/mcp/legacy).
SHARED = {
    "tools/list": list_tools,
    "tools/call": call_tool,
    "resources/list": list_resources,
    "resources/templates/list": list_resource_templates,
    "resources/read": read_resource,
    "prompts/list": list_prompts,
    "prompts/get": get_prompt,
    "completion/complete": complete,
}


def _visible(call: Call, specs: dict) -> list:
    """Lists show only what the caller's scopes allow it to use."""
    return [spec for spec in specs.values() if not scopes.missing(call.principal.scopes, spec.scopes)]


def _registry():
    return this_app().extensions["mcp"]


def _bind(arguments, values: dict[str, Any], context) -> dict[str, Any]:
    try:
        return invoke.bind(arguments, values, context)
    except ValidationError as error:
        raise ProtocolError(INVALID_PARAMS, f"Invalid arguments: {invoke.describe(error)}") from None


def _resource_contents(uri: str, returned: Any, mime_type: str | None) -> dict[str, Any]:
    contents: dict[str, Any] = {"uri": uri} | ({"mimeType": mime_type} if mime_type else {})
    if isinstance(returned, bytes):
        return contents | {"blob": base64.b64encode(returned).decode()}
    return contents | {"text": str(returned)}


def _prompt_messages(returned: Any) -> list[dict[str, Any]]:
    """Turn a prompt's return value (text, content, messages, or a list) into messages."""
    items = returned if isinstance(returned, list | tuple) else [returned]
    messages = []
    for item in items:
        if isinstance(item, dict) and "role" in item:
            messages.append(item)
        else:
            [content] = invoke.to_content(item) or [{"type": "text", "text": ""}]
            messages.append({"role": "user", "content": content})
    return messages
