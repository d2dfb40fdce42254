"""Tool parameters mirrored into `Mcp-Param-{Name}` HTTP headers (2026-07-28, `x-mcp-header`).

A gateway or load balancer can route on a header without reading the body; the server
checks that each header says what the body says. A tool marks a parameter with
`header("Region")`:

    def execute(region: Annotated[str, header("Region"), "Where to run it"], query: str) -> str: ...

Its input schema then carries `"x-mcp-header": "Region"` on that property, and clients
send `Mcp-Param-Region: us-west1` beside the body. The rules on where the annotation may
stand are checked when the tool is declared, so a tool no client would accept never
starts (the transport spec, "Custom Headers from Tool Parameters").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo

ANNOTATION = "x-mcp-header"
#: RFC 9110 token characters, less the underscore: gunicorn (and nginx by default) drop header names with one.
TOKEN = re.compile(r"[!#$%&'*+\-.^`|~0-9A-Za-z]+")
PRIMITIVES = ("string", "integer", "boolean")


@dataclass(frozen=True)
class MirroredParameter:
    """A parameter whose value travels in a header too: its path in the arguments, header and JSON type."""

    path: tuple[str, ...]
    header: str
    type: str

    @property
    def header_name(self) -> str:
        return f"Mcp-Param-{self.header}"


def header(name: str) -> FieldInfo:
    """Mark a tool parameter to be mirrored in the `Mcp-Param-{name}` header."""
    return Field(json_schema_extra={ANNOTATION: name})


def mirrored(schema: dict[str, Any]) -> tuple[MirroredParameter, ...]:
    """The parameters `schema` mirrors into headers; ValueError naming the rule an annotation breaks."""
    found = list(_walk(schema, ()))
    seen: set[str] = set()
    for parameter in found:
        if parameter.header.lower() in seen:
            raise ValueError(f"{ANNOTATION} {parameter.header!r} is used twice (header names ignore case)")
        seen.add(parameter.header.lower())
    _refuse_elsewhere(schema)
    return tuple(found)


def _walk(schema: dict[str, Any], path: tuple[str, ...]):
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if ANNOTATION in prop:
            yield MirroredParameter(path + (name,), _checked_name(prop[ANNOTATION], path + (name,)), _type(prop, name))
        yield from _walk(prop, path + (name,))


def _checked_name(value: Any, path: tuple[str, ...]) -> str:
    where = ".".join(path)
    if not isinstance(value, str) or not TOKEN.fullmatch(value):
        raise ValueError(f"{ANNOTATION} of {where!r} must be a non-empty HTTP token (letters, digits, -.!#$%&'*+^`|~)")
    return value


def _type(prop: dict[str, Any], name: str) -> str:
    """The primitive JSON type of a mirrored property (a nullable one counts as its type)."""
    kind = prop.get("type")
    if kind is None and isinstance(prop.get("anyOf"), list):
        kinds = [option.get("type") for option in prop["anyOf"] if isinstance(option, dict)]
        kind = next(iter(set(kinds) - {"null"}), None) if len(set(kinds) - {"null"}) == 1 else None
    if kind not in PRIMITIVES:
        raise ValueError(f"{ANNOTATION} of {name!r} needs a string, integer or boolean parameter (not {kind!r})")
    return kind


def _refuse_elsewhere(node: Any, reachable: bool = False, root: bool = True) -> None:
    """An annotation anywhere but on a property reached from the root through `properties` alone makes the tool
    invalid, whatever keyword leads to it (items, anyOf, $defs, unevaluatedProperties...)."""
    if isinstance(node, list):
        for item in node:
            _refuse_elsewhere(item, False, False)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == ANNOTATION and not reachable:
            raise ValueError(f"{ANNOTATION} must stand on a property reached only through 'properties'")
        if key == "properties" and isinstance(value, dict):
            for prop in value.values():
                _refuse_elsewhere(prop, root or reachable, False)
        elif key != ANNOTATION:
            _refuse_elsewhere(value, False, False)
