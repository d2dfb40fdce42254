"""A function's signature as JSON Schema: a tool's arguments and its structured result.

Pure functions over signatures and pydantic; nothing here knows Flask or MCP wire
types. A plain string in `Annotated[T, "..."]` is the parameter's description.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, TypeAdapter, create_model
from pydantic.fields import FieldInfo


class SignatureError(TypeError):
    """A function cannot be exposed: its signature has no JSON Schema meaning."""


@dataclass(frozen=True)
class Arguments:
    """The validating model of a function's parameters, and where its context goes."""

    model: type[BaseModel]
    context_parameter: str | None
    schema: dict[str, Any]


def describe_parameters(fn: Callable[..., Any], context_type: type) -> Arguments:
    """Return the arguments model of `fn`; raise SignatureError for what JSON cannot carry."""
    hints = _hints(fn)
    fields: dict[str, Any] = {}
    context_parameter = None
    for name, parameter in inspect.signature(fn).parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
            raise SignatureError(f"{fn.__qualname__}: parameter {name!r} must be a plain or keyword-only parameter")
        if name not in hints:
            raise SignatureError(f"{fn.__qualname__}: parameter {name!r} needs a type annotation")
        if _is_context(hints[name], context_type):
            context_parameter = name
            continue
        if name.startswith("_"):
            raise SignatureError(f"{fn.__qualname__}: parameter {name!r} must not start with an underscore")
        fields[name] = _field(hints[name], parameter.default)
    try:
        model = create_model(f"{fn.__name__}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
        return Arguments(model, context_parameter, _clean(model.model_json_schema()))
    except PydanticUserError as error:
        raise SignatureError(f"{fn.__qualname__}: its parameters have no JSON Schema: {error}") from error


def describe_result(
    fn: Callable[..., Any], unstructured: tuple[type, ...]
) -> tuple[TypeAdapter | None, dict | None, bool]:
    """Return (adapter, outputSchema, wrapped) for `fn`'s return annotation.

    Content, text and no annotation give no schema. An object-shaped type (model,
    dataclass, TypedDict, dict) is the structured result itself; any other type is
    wrapped as `{"result": value}`, since structured content must be an object.
    """
    annotation = _hints(fn).get("return", inspect.Signature.empty)
    if annotation in (inspect.Signature.empty, None, type(None), str, Any) or _is_content(annotation, unstructured):
        return None, None, False
    try:
        adapter = TypeAdapter(annotation)
        schema = _clean(adapter.json_schema(mode="serialization"))
    except PydanticUserError as error:
        raise SignatureError(f"{fn.__qualname__}: its return type has no JSON Schema: {error}") from error
    if schema.get("type") == "object":
        return adapter, schema, False
    wrapped = {"type": "object", "properties": {"result": schema}, "required": ["result"]}
    return adapter, wrapped, True


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return get_type_hints(fn, include_extras=True)
    except (NameError, TypeError) as error:
        raise SignatureError(f"{fn.__qualname__}: cannot resolve its type hints: {error}") from error


def _field(annotation: Any, default: Any) -> tuple[Any, FieldInfo]:
    """Turn `Annotated[T, "description"]` and a default into a pydantic field."""
    description = None
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        description = next((extra for extra in extras if isinstance(extra, str)), None)
        others = [extra for extra in extras if not isinstance(extra, str)]
        annotation = Annotated[(base, *others)] if others else base
    required = default is inspect.Parameter.empty
    return annotation, Field(... if required else default, description=description)


def _is_context(annotation: Any, context_type: type) -> bool:
    """Return whether a parameter takes the context: `Context`, or `Context | None`."""
    annotation = _strip_annotated(annotation)
    return annotation is context_type or context_type in get_args(annotation)


def _strip_annotated(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _is_content(annotation: Any, unstructured: tuple[type, ...]) -> bool:
    """Return whether `annotation` is content: a content type, or a list or union of them.

    A bare `list`, or `list[Any]`, is read as a list of content items of any kind.
    """
    annotation = _strip_annotated(annotation)
    if annotation in (list, tuple, Any) or (isinstance(annotation, type) and issubclass(annotation, unstructured)):
        return True
    args = get_args(annotation)
    return bool(args) and get_origin(annotation) is not dict and all(_is_content(a, unstructured) for a in args)


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's generated top-level title; the tool's name says it already."""
    schema.pop("title", None)
    return schema
