"""A typed tool: arguments validated from type hints, a structured result from a model, and a view
(MCP Apps) that draws the result in hosts that show views: app/ui/temperature.html."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.mcp import ToolError, tool, view

Unit = Literal["celsius", "fahrenheit", "kelvin"]


class Temperature(BaseModel):
    value: float = Field(description="The converted temperature, rounded to 2 decimals")
    unit: Unit


def _to_kelvin(value: float, unit: Unit) -> float:
    return {"celsius": value + 273.15, "fahrenheit": (value - 32) * 5 / 9 + 273.15, "kelvin": value}[unit]


@view("ui://units/temperature", "temperature.html", title="Temperature", prefers_border=True)
def temperature_view() -> dict:
    """A thermometer showing a converted temperature, with buttons to see it in another unit."""
    return {"units": ["celsius", "fahrenheit", "kelvin"]}


@tool(title="Convert a temperature", read_only=True, idempotent=True, open_world=False, ui="ui://units/temperature")
def convert_temperature(
    value: Annotated[float, "The temperature to convert"],
    from_unit: Annotated[Unit, "Unit of the given value"],
    to_unit: Annotated[Unit, "Unit to convert to"] = "celsius",
) -> Temperature:
    """Convert a temperature between Celsius, Fahrenheit and Kelvin."""
    kelvin = _to_kelvin(value, from_unit)
    if kelvin < 0:
        # A ToolError's message reaches the caller as is; any other exception is "failed unexpectedly".
        floor = "0 kelvin, -273.15 celsius, -459.67 fahrenheit"
        raise ToolError(f"{value:g} {from_unit} is below absolute zero ({floor}).")
    converted = {"celsius": kelvin - 273.15, "fahrenheit": (kelvin - 273.15) * 9 / 5 + 32, "kelvin": kelvin}[to_unit]
    return Temperature(value=round(converted, 2), unit=to_unit)
