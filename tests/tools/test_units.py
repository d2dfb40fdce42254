"""convert_temperature: typed arguments in, a structured result out."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}, {"value": 212.0, "unit": "fahrenheit"}),
        ({"value": 32, "from_unit": "fahrenheit"}, {"value": 0.0, "unit": "celsius"}),
        ({"value": 0, "from_unit": "kelvin"}, {"value": -273.15, "unit": "celsius"}),
    ],
)
def test_converts(mcp, arguments, expected):
    result = mcp.call_tool("convert_temperature", arguments)
    assert result["structuredContent"] == expected and not result["isError"]


def test_refuses_what_its_type_hints_refuse(mcp):
    result = mcp.call_tool("convert_temperature", {"value": 1, "from_unit": "rankine"})
    assert result["isError"] and "from_unit" in result["content"][0]["text"]


def test_below_absolute_zero_is_a_tool_error_that_says_why(mcp):
    result = mcp.call_tool("convert_temperature", {"value": -500, "from_unit": "celsius"})
    text = result["content"][0]["text"]
    assert result["isError"] and "-500 celsius is below absolute zero" in text and "-273.15" in text
