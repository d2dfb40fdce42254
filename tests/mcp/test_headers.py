"""Tool parameters mirrored into `Mcp-Param-*` headers: where `header()` may stand, and the server's check."""

from __future__ import annotations

import base64
import re
from typing import Annotated

import pytest

from app.mcp import header, tool
from app.mcp.headers import mirrored
from app.mcp.signatures import SignatureError

TOOL = "test_mirrored_headers"


def encoded(value: str) -> str:
    return "=?base64?" + base64.b64encode(value.encode()).decode() + "?="


def call(mcp, arguments: dict, headers: dict):
    return mcp.modern("tools/call", {"name": TOOL, "arguments": arguments}, headers=headers)


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_the_annotation_is_advertised_where_the_parameter_is(mcp):
    tools = {t["name"]: t for t in mcp.modern("tools/list").get_json()["result"]["tools"]}
    properties = tools[TOOL]["inputSchema"]["properties"]
    assert properties["region"]["x-mcp-header"] == "Region"
    assert properties["priority"]["x-mcp-header"] == "Priority" and "x-mcp-header" not in properties["query"]


@pytest.mark.parametrize(
    ("arguments", "headers"),
    [
        ({"region": "us-west1"}, {"Mcp-Param-Region": "us-west1"}),
        ({"region": "Hello, 世界"}, {"Mcp-Param-Region": encoded("Hello, 世界")}),
        ({"region": " padded "}, {"Mcp-Param-Region": encoded(" padded ")}),
        ({"region": "=?base64?literal?="}, {"Mcp-Param-Region": encoded("=?base64?literal?=")}),
        ({"region": "SGVsbG8="}, {"mcp-param-region": "SGVsbG8="}),  # no sentinel: a literal; any case of name
        ({"region": "r", "priority": 42}, {"Mcp-Param-Region": "r", "Mcp-Param-Priority": "42.0"}),
        ({"region": "r", "dry_run": False}, {"Mcp-Param-Region": "r", "Mcp-Param-Dry-Run": "false"}),
        ({"region": "r", "priority": None}, {"Mcp-Param-Region": "r"}),  # null: no header expected
    ],
)
def test_headers_that_say_what_the_body_says_are_accepted(mcp, arguments, headers):
    response = call(mcp, arguments, headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["isError"] is False


@pytest.mark.parametrize(
    ("arguments", "headers", "says"),
    [
        ({"region": "us-west1"}, {}, "the Mcp-Param-Region header is missing"),
        ({"region": "us-west1"}, {"Mcp-Param-Region": "eu-west1"}, "does not match the argument 'region'"),
        ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVsbG8?="}, "malformed base64"),
        ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVs!!!bG8=?="}, "malformed base64"),
        ({"region": "r", "priority": 42}, {"Mcp-Param-Region": "r", "Mcp-Param-Priority": "41"}, "Priority"),
        ({"region": "r", "dry_run": True}, {"Mcp-Param-Region": "r", "Mcp-Param-Dry-Run": "True"}, "Dry-Run"),
        ({"region": "r", "priority": 42}, {"Mcp-Param-Region": "r", "Mcp-Param-Priority": "4.2e1"}, "Priority"),
        ({"region": "r", "priority": 42}, {"Mcp-Param-Region": "r", "Mcp-Param-Priority": "+42"}, "Priority"),
        ({"region": "r"}, {"Mcp-Param-Region": "r", "Mcp-Param-Priority": "1"}, "sent but the argument"),
    ],
)
def test_headers_that_disagree_with_the_body_are_400_header_mismatch(mcp, arguments, headers, says):
    response = call(mcp, arguments, headers)
    assert response.status_code == 400 and error_of(response)["code"] == -32020
    assert says in error_of(response)["message"]


def test_only_2026_requests_are_checked(mcp):
    """The `initialize`-based revisions have no such headers: their clients send none."""
    opened = mcp.initialize()
    response = mcp.legacy("tools/call", {"name": TOOL, "arguments": {"region": "r"}}, session=opened)
    assert response.status_code == 200 and response.get_json()["result"]["isError"] is False


def schema_of(properties: dict, **extra) -> dict:
    return {"type": "object", "properties": properties} | extra


@pytest.mark.parametrize(
    ("schema", "rule"),
    [
        (schema_of({"a": {"type": "string", "x-mcp-header": ""}}), "non-empty HTTP token"),
        (schema_of({"a": {"type": "string", "x-mcp-header": "Bad Name"}}), "non-empty HTTP token"),
        (schema_of({"a": {"type": "string", "x-mcp-header": "Bad\r\nName"}}), "non-empty HTTP token"),
        (schema_of({"a": {"type": "number", "x-mcp-header": "A"}}), "string, integer or boolean"),
        (schema_of({"a": {"type": "array", "x-mcp-header": "A"}}), "string, integer or boolean"),
        (
            schema_of(
                {"a": {"type": "string", "x-mcp-header": "Same"}, "b": {"type": "string", "x-mcp-header": "same"}}
            ),
            "used twice",
        ),
        (schema_of({"a": {"type": "array", "items": {"type": "string", "x-mcp-header": "A"}}}), "only through"),
        (schema_of({"a": {"anyOf": [{"type": "string", "x-mcp-header": "A"}]}}), "only through"),
        (schema_of({}, unevaluatedProperties={"type": "string", "x-mcp-header": "A"}), "only through"),
        (schema_of({"a": {"type": "string", "x-mcp-header": "Has_Underscore"}}), "non-empty HTTP token"),
        (
            schema_of({"a": {"$ref": "#/$defs/x"}}, **{"$defs": {"x": {"type": "string", "x-mcp-header": "A"}}}),
            "only through",
        ),
        ({"type": "object", "x-mcp-header": "Root"}, "must stand on a property"),
        (schema_of({"a": {"type": "object", "properties": {"b": {"type": "string"}}, "x-mcp-header": "A"}}), "string"),
    ],
)
def test_annotations_that_break_a_rule_are_refused(schema, rule):
    with pytest.raises(ValueError, match=re.escape(rule)):
        mirrored(schema)


def test_nested_properties_may_be_mirrored():
    schema = schema_of({"where": schema_of({"region": {"type": "string", "x-mcp-header": "Region"}})})
    [found] = mirrored(schema)
    assert (found.path, found.header_name, found.type) == (("where", "region"), "Mcp-Param-Region", "string")


def test_a_tool_with_a_bad_annotation_fails_when_declared():
    with pytest.raises(SignatureError, match="tool 'measure'.*string, integer or boolean"):

        @tool
        def measure(size: Annotated[float, header("Size")]) -> str:
            return str(size)
