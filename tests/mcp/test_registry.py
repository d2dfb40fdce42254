"""Decorators and discovery: what a function's signature becomes, and what fails start-up."""

from __future__ import annotations

import json
import sys
import types
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from app.mcp import Context, completion, prompt, resource, tool
from app.mcp.server.registry import RegistryError, load
from app.mcp.signatures import SignatureError
from tests.support.mcp_client import TOKEN, McpActions


class Address(BaseModel):
    street: str
    city: str = "Paris"


class Receipt(BaseModel):
    total: float
    lines: list[str]


def test_name_description_and_schema_come_from_the_function():
    @tool
    def book_table(
        guests: Annotated[int, Field(ge=1), "How many people"],
        when: Annotated[str, "ISO date and time"],
        area: Literal["inside", "terrace"] = "inside",
        address: Address | None = None,
        ctx: Context | None = None,
    ) -> Receipt:
        """Book a table at the restaurant."""

    spec = book_table.__mcp_spec__
    schema = spec.arguments.schema
    assert spec.name == "book_table" and spec.description == "Book a table at the restaurant."
    assert schema["required"] == ["guests", "when"]
    assert schema["properties"]["guests"] == {
        "description": "How many people",
        "minimum": 1,
        "title": "Guests",
        "type": "integer",
    }
    assert schema["properties"]["area"]["enum"] == ["inside", "terrace"]
    assert schema["properties"]["area"]["default"] == "inside"
    assert "Address" in schema["$defs"]
    assert schema["additionalProperties"] is False
    assert spec.output_schema["properties"]["lines"]["type"] == "array"
    assert spec.wrap_output is False


def test_ctx_parameter_is_not_in_the_schema():
    @tool
    def whoami_again(ctx: Context) -> str:
        """Say who is calling."""

    spec = whoami_again.__mcp_spec__
    assert spec.arguments.context_parameter == "ctx"
    assert spec.arguments.schema["properties"] == {}


def test_non_object_results_are_wrapped():
    @tool(name="add-numbers", title="Add", read_only=True, idempotent=True)
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    spec = add.__mcp_spec__
    assert spec.name == "add-numbers"
    assert spec.output_schema == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }
    assert spec.annotations == {"readOnlyHint": True, "idempotentHint": True, "title": "Add"}


def test_text_and_content_results_have_no_output_schema():
    @tool
    def shout(text: str) -> str:
        """Shout."""

    assert shout.__mcp_spec__.output_schema is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(*args: int) -> str: ...", "plain or keyword-only"),
        ("def f(**kwargs: int) -> str: ...", "plain or keyword-only"),
        ("def f(a, /) -> str: ...", "plain or keyword-only"),
        ("def f(a) -> str: ...", "needs a type annotation"),
        ("def f(_private: int) -> str: ...", "underscore"),
        ("async def f(a: int) -> str: ...", "not async"),
        ("def f(a: 'Missing') -> str: ...", "cannot resolve"),
    ],
)
def test_unsupported_signatures_fail_at_import(source, message):
    namespace: dict = {}
    exec(source, namespace)
    with pytest.raises(SignatureError, match=message):
        tool(namespace["f"])


def test_lambdas_and_bad_names_are_refused():
    with pytest.raises(SignatureError, match="named"):
        tool(lambda: "x")
    with pytest.raises(SignatureError, match="tool name"):

        @tool(name="has spaces")
        def spaced() -> str: ...


def test_positional_decorator_argument_is_explained():
    with pytest.raises(SignatureError, match="keyword arguments only"):
        tool("my_tool")


def test_resource_template_parameters_must_match_the_uri():
    with pytest.raises(SignatureError, match=r"must be \['id'\]"):

        @resource("notes://{id}")
        def note(name: str) -> str: ...

    @resource("notes://{owner}/{id}")
    def owned(owner: str, id: str, ctx: Context) -> str:  # noqa: A002
        """A note."""

    spec = owned.__mcp_spec__
    assert spec.is_template
    assert spec.match("notes://ada/7") == {"owner": "ada", "id": "7"}
    assert spec.match("notes://ada/7/extra") is None


def test_template_variables_are_decoded_before_the_resource_sees_them():
    """`%2F` and `..` went through as they were: a resource joining them into a path could not tell."""

    @resource("files://{name}")
    def file(name: str) -> str: ...

    spec = file.__mcp_spec__
    assert spec.match("files://a%2Fb") == {"name": "a/b"}
    assert spec.match("files://..%2F..%2Fetc%2Fpasswd") == {"name": "../../etc/passwd"}
    assert spec.match("files://caf%C3%A9") == {"name": "café"}
    assert spec.match("files://%FF") is None  # not UTF-8: no name at all


def _module(name: str, **members) -> str:
    module = types.ModuleType(name)
    for key, value in members.items():
        value.__module__ = name
        setattr(module, key, value)
    sys.modules[name] = module
    return name


def test_duplicate_names_fail_at_start_up():
    @tool(name="same")
    def one() -> str:
        """One."""

    @tool(name="same")
    def two() -> str:
        """Two."""

    with pytest.raises(RegistryError, match="'same' is defined twice"):
        load([_module("dup_a", one=one), _module("dup_b", two=two)])


def test_completion_needs_a_target():
    @completion(prompt="nowhere", argument="x")
    def complete_x(value: str, context: dict[str, str]) -> list[str]:
        return []

    with pytest.raises(RegistryError, match="unknown prompt 'nowhere'"):
        load([_module("orphan_completion", complete_x=complete_x)])


def test_registry_is_sorted_and_counts_imported_functions_once():
    @prompt
    def b_prompt() -> str:
        """B."""

    @tool
    def zeta() -> str:
        """Z."""

    @tool
    def alpha() -> str:
        """A."""

    first = _module("reg_first", zeta=zeta, alpha=alpha, b_prompt=b_prompt)
    again = types.ModuleType("reg_second")
    again.alpha = alpha  # imported into another module: still alpha's own module counts
    sys.modules["reg_second"] = again
    registry = load([first, "reg_second"])
    assert list(registry.tools) == ["alpha", "zeta"]
    assert list(registry.prompts) == ["b_prompt"]


def test_shipped_tools_load():
    registry = load(["app.tools"])
    assert {"whoami", "convert_temperature", "count_slowly"} <= set(registry.tools)
    assert "profile://me" in registry.resources
    assert ("ref/prompt", "summarize", "style") in registry.completions


@pytest.mark.parametrize(
    ("uri", "outcome"),
    [
        ("notes://groceries-2", "note groceries-2"),
        ("notes://..%2Fsecrets", "Invalid arguments"),
        ("notes://a%20b", "Invalid arguments"),
    ],
)
def test_a_resource_checks_its_decoded_variables(make_app, uri, outcome):
    mcp = McpActions(make_app(MCP_TOOL_PACKAGES="tests.mcp.checked_resources", MCP_STATIC_TOKENS=TOKEN).test_client())
    body = mcp.legacy("resources/read", {"uri": uri}).get_json()
    assert outcome in json.dumps(body)
