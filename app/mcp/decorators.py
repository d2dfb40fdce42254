"""The decorators tool authors use: `@tool`, `@resource`, `@prompt`, `@completion`.

They only record a spec on the function and return it unchanged, so a module of
tools imports nothing but this package and can be loaded by any app (the engine's
`registry.load`). Signatures are checked here, at import: a bad one fails start-up.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import FunctionType
from typing import Any, TypeVar

from app.mcp.content import CONTENT_TYPES
from app.mcp.context import Context
from app.mcp.headers import mirrored
from app.mcp.signatures import SignatureError, describe_parameters, describe_result
from app.mcp.specs import (
    TASK_SUPPORT,
    TEMPLATE_VARIABLE,
    TOOL_NAME,
    UI_SCHEME,
    CompletionSpec,
    PromptSpec,
    ResourceSpec,
    ToolSpec,
)
from app.mcp.views import APP_MIME_TYPE, render, ui_meta, view_meta

F = TypeVar("F", bound=Callable[..., Any])
SPEC_ATTRIBUTE = "__mcp_spec__"


def tool(
    fn: F | None = None,
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    read_only: bool | None = None,
    destructive: bool | None = None,
    idempotent: bool | None = None,
    open_world: bool | None = None,
    scopes: Iterable[str] = (),
    input_schema: dict[str, Any] | None = None,
    task: str = "forbidden",
    ask_first: Mapping[str, dict[str, Any]] | None = None,
    ui: str | None = None,
    visibility: Iterable[str] | None = None,
) -> Any:
    """Expose a function as a tool: `@tool` or `@tool(name=..., read_only=True, ...)`.

    The name comes from the function, the description from its docstring, the
    input schema from its type hints, and `outputSchema` from its return annotation.
    `input_schema` advertises a hand-written schema instead (JSON Schema features
    type hints cannot express); arguments are still validated against the hints.
    A parameter annotated with `header("Name")` is mirrored in the `Mcp-Param-Name` header
    (app/mcp/headers.py).

    `task` says whether a call may run as a task, for clients of the tasks extension (2026-07-28):
    "forbidden" (the default), "optional" (as a task when the client can follow one), "required"
    (2026-07-28 clients that cannot are refused; the older revisions call it as usual). A task runs
    in the background: the call answers at once, and the client polls for the result. Inside a
    task, `ctx.ask` waits for the client's answers (`tasks/update`); `ask_first` holds questions
    (built with `elicitation`...) asked before the task starts, on the call itself, whose answers
    `ctx.ask` with the same keys returns.

    `ui` names the view (a `ui://` resource made with `@view`) that hosts of MCP Apps show the
    result in; other clients get the result as usual. `visibility` says who may call the tool:
    ("model", "app") by default; ("app",) for a tool only views call, ("model",) for one they may not.
    """

    def register(fn: F) -> F:
        _check_function(fn)
        tool_name = name or fn.__name__
        if not TOOL_NAME.fullmatch(tool_name):
            raise SignatureError(f"tool name {tool_name!r} must be 1-128 characters of A-Z a-z 0-9 _ . -")
        if task not in TASK_SUPPORT or (ask_first and task == "forbidden"):
            raise SignatureError(f"tool {tool_name!r}: task must be one of {TASK_SUPPORT}; ask_first needs a task")
        if ui is not None and not ui.startswith(UI_SCHEME):
            raise SignatureError(f"tool {tool_name!r}: ui must be a {UI_SCHEME} URI, the view's")
        try:
            meta = ui_meta(ui, tuple(visibility) if visibility is not None else None)
        except ValueError as error:
            raise SignatureError(f"tool {tool_name!r}: {error}") from error
        output, output_schema, wrap = describe_result(fn, CONTENT_TYPES)
        hints = {"readOnlyHint": read_only, "destructiveHint": destructive, "idempotentHint": idempotent}
        hints |= {"openWorldHint": open_world, "title": title}
        annotations = {key: value for key, value in hints.items() if value is not None}
        arguments = describe_parameters(fn, Context)
        try:
            headers = mirrored(input_schema or arguments.schema)
        except ValueError as error:
            raise SignatureError(f"tool {tool_name!r}: {error}") from error
        spec = ToolSpec(
            fn, tool_name, _description(fn, description), arguments,
            output, output_schema, wrap, title, annotations, tuple(scopes), input_schema, headers,
            task, dict(ask_first) if ask_first else None, meta,
        )  # fmt: skip
        return _mark(fn, spec)

    return _bare_or_called(fn, register, "tool")


def resource(
    uri: str,
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    mime_type: str | None = "text/plain",
    scopes: Iterable[str] = (),
) -> Callable[[F], F]:
    """Expose a function as the resource at `uri`; `{name}` parts make it a template."""
    if callable(uri):
        raise SignatureError("@resource needs the resource's URI: @resource('scheme://path')")

    def register(fn: F) -> F:
        arguments = describe_parameters(fn, Context)
        spec = ResourceSpec(
            fn, uri, name or fn.__name__, _description(fn, description), arguments, mime_type, title, tuple(scopes)
        )
        variables, expected = set(arguments.model.model_fields), set(TEMPLATE_VARIABLE.findall(uri))
        if variables != expected:
            raise SignatureError(f"{fn.__qualname__}: parameters {sorted(variables)} must be {sorted(expected)}")
        return _mark(fn, spec)

    return register


def view(
    uri: str,
    template: str,
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    csp: dict[str, list[str]] | None = None,
    permissions: Iterable[str] = (),
    prefers_border: bool | None = None,
    scopes: Iterable[str] = (),
    folder: str | Path | None = None,
) -> Callable[[F], F]:
    """Expose an MCP Apps view: the `ui://` resource a host renders `template` (from app/ui/, or `folder`) as.

    The function returns the template's context (a dict; it may take a `Context`). `csp` lists the
    origins the view loads from or connects to (`connectDomains`, `resourceDomains`, `frameDomains`,
    `baseUriDomains`: none by default), `permissions` the browser features it asks for (`camera`,
    `microphone`, `geolocation`, `clipboardWrite`). A tool shows its result in it with `@tool(ui=uri)`.
    """
    if callable(uri) or not uri.startswith(UI_SCHEME) or TEMPLATE_VARIABLE.search(uri):
        raise SignatureError(f"@view needs a fixed {UI_SCHEME} URI and a template: @view('ui://app/name', 'file.html')")
    try:
        meta = view_meta(csp, tuple(permissions), prefers_border)
    except ValueError as error:
        raise SignatureError(f"view {uri!r}: {error}") from error

    def register(fn: F) -> F:
        arguments = describe_parameters(fn, Context)
        if set(arguments.model.model_fields):
            raise SignatureError(f"{fn.__qualname__}: a view takes no arguments (a Context at most)")

        def rendered(**kwargs: Any) -> str:
            return render(template, fn(**kwargs) or {}, str(folder) if folder else None)

        spec = ResourceSpec(
            rendered, uri, name or fn.__name__, _description(fn, description), arguments,
            APP_MIME_TYPE, title, tuple(scopes), meta,
        )  # fmt: skip
        return _mark(fn, spec)

    return register


def prompt(
    fn: F | None = None,
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    scopes: Iterable[str] = (),
) -> Any:
    """Expose a function as a prompt: `@prompt` or `@prompt(name=...)`; arguments are strings."""

    def register(fn: F) -> F:
        arguments = describe_parameters(fn, Context)
        spec = PromptSpec(fn, name or fn.__name__, _description(fn, description), arguments, title, tuple(scopes))
        return _mark(fn, spec)

    return _bare_or_called(fn, register, "prompt")


def completion(*, prompt: str | None = None, resource: str | None = None, argument: str) -> Callable[[F], F]:
    """Suggest values for `argument` of a prompt (by name) or resource template (by URI).

    The function takes `(value: str, context: dict[str, str])` (the partial value,
    and the arguments already chosen) and returns a list of suggestions.
    """
    if (prompt is None) == (resource is None):
        raise SignatureError("@completion needs exactly one of prompt= or resource=")

    def register(fn: F) -> F:
        ref_type, ref = ("ref/prompt", prompt) if prompt is not None else ("ref/resource", resource)
        return _mark(fn, CompletionSpec(fn, ref_type, ref or "", argument))

    return register


def spec_of(obj: object) -> ToolSpec | ResourceSpec | PromptSpec | CompletionSpec | None:
    """What `obj` was decorated as; None for anything else in a module, a proxy such as `current_app` included
    (asking it for an attribute outside a request would fail)."""
    return getattr(obj, SPEC_ATTRIBUTE, None) if isinstance(obj, FunctionType) else None


def _mark(fn: F, spec: object) -> F:
    _check_function(fn)
    setattr(fn, SPEC_ATTRIBUTE, spec)
    return fn


def _check_function(fn: Callable[..., Any]) -> None:
    if not inspect.isfunction(fn) or inspect.iscoroutinefunction(fn) or fn.__name__ == "<lambda>":
        raise SignatureError(f"{getattr(fn, '__qualname__', fn)!r}: use a named, plain (not async) function")


def _bare_or_called(fn: Callable | None, register: Callable, kind: str) -> Any:
    """Support both `@tool` and `@tool(...)`."""
    if fn is None:
        return register
    if not callable(fn):
        raise SignatureError(f"@{kind} takes keyword arguments only, e.g. @{kind}(name='...')")
    return register(fn)


def _description(fn: Callable[..., Any], given: str | None) -> str:
    return given or inspect.getdoc(fn) or ""
