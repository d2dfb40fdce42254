"""What the decorators record about a tool, resource, prompt or completion handler (the engine reads it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from pydantic import TypeAdapter

from app.mcp.headers import MirroredParameter
from app.mcp.signatures import Arguments

#: Tool names the spec recommends: 1-128 characters of [A-Za-z0-9_.-].
TOOL_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
#: How a tool may run as a task (io.modelcontextprotocol/tasks): never, when the client can follow one, or only so.
TASK_SUPPORT = ("forbidden", "optional", "required")
#: The URI scheme of MCP Apps views.
UI_SCHEME = "ui://"
#: `{name}` in a URI template (RFC 6570 simple expansion).
TEMPLATE_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ToolSpec:
    fn: Callable[..., Any]
    name: str
    description: str
    arguments: Arguments
    output: TypeAdapter | None
    output_schema: dict[str, Any] | None
    wrap_output: bool
    title: str | None = None
    annotations: dict[str, Any] = field(default_factory=dict)
    scopes: tuple[str, ...] = ()
    #: A hand-written input schema to advertise instead of the one from the type hints.
    input_schema: dict[str, Any] | None = None
    #: The parameters clients mirror into `Mcp-Param-*` headers, which must agree with the body.
    headers: tuple[MirroredParameter, ...] = ()
    #: Whether a call runs as a task (one of TASK_SUPPORT), and the questions it asks before its task starts.
    task: str = "forbidden"
    ask_first: dict[str, dict[str, Any]] | None = None
    #: The tool description's `_meta` (the UI view it shows its result in, for hosts of MCP Apps).
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class ResourceSpec:
    fn: Callable[..., Any]
    uri: str
    name: str
    description: str
    arguments: Arguments
    mime_type: str | None = None
    title: str | None = None
    scopes: tuple[str, ...] = ()
    #: The resource's `_meta`, in its listing and on its contents (an MCP Apps view's CSP and permissions).
    meta: dict[str, Any] | None = None

    @cached_property
    def is_template(self) -> bool:
        return bool(TEMPLATE_VARIABLE.search(self.uri))

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        """The template as a regular expression, one named group per variable (built on first use)."""
        return re.compile(
            "".join(
                f"(?P<{part}>[^/?#]+)" if index % 2 else re.escape(part)
                for index, part in enumerate(TEMPLATE_VARIABLE.split(self.uri))
            )
        )

    def match(self, uri: str) -> dict[str, str] | None:
        """Return the template variables of `uri`, percent-decoded, or None if it is not one of ours.

        Decoded, a variable may hold anything, `/` and `..` included (`a%2F..` is `a/..`):
        the resource checks it, with the type of its parameter (a pattern, a Literal).
        """
        if not self.is_template:
            return {} if uri == self.uri else None
        found = self._pattern.fullmatch(uri)
        if found is None:
            return None
        try:
            return {name: unquote(value, errors="strict") for name, value in found.groupdict().items()}
        except UnicodeDecodeError:  # percent-escapes that are no UTF-8 text name nothing
            return None


@dataclass(frozen=True)
class PromptSpec:
    fn: Callable[..., Any]
    name: str
    description: str
    arguments: Arguments
    title: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompletionSpec:
    """Suggests values for one argument of a prompt, or one variable of a resource template."""

    fn: Callable[..., Any]
    ref_type: str  # "ref/prompt" or "ref/resource"
    ref: str  # the prompt's name, or the template's URI
    argument: str
