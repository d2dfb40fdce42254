"""The official MCP Python SDK (`mcp` 2.x) as a client of this server, in both protocol eras.

Each test runs twice: once in the SDK's default mode (`"auto"`: it probes `server/discover` and
must settle on 2026-07-28) and once in `"legacy"` mode (the `initialize` handshake, a 2025
revision, an `Mcp-Session-Id` and server-to-client requests over SSE). The bearer token goes
on the `httpx2.AsyncClient` handed to `streamable_http_client`, the SDK's documented way to
set headers. An httpx2 request hook records what the SDK put on the wire.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from mcp import types
from mcp.client import Client, ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from tests.mcp.conftest import McpServer
from tests.support.deadline import run_within

MODES = ["auto", "legacy"]
MODERN = "2026-07-28"
#: Upper bound for one test's whole client conversation; the server answers in milliseconds.
DEADLINE_SECONDS = 30
SAMPLED_TEXT = "Paris, said the fixed model."


@dataclass
class Wire:
    """What the SDK sent: one entry per HTTP request, in order."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    async def record(self, request: httpx2.Request) -> None:
        """httpx2 request hook: note the HTTP method, the JSON-RPC method and the MCP headers."""
        body: dict[str, Any] = {}
        if request.method == "POST" and request.content:
            parsed = json.loads(request.content)
            body = parsed if isinstance(parsed, dict) else {}
        self.requests.append(
            {
                "http": request.method,
                "rpc": body.get("method", "response" if "result" in body or "error" in body else None),
                "version": request.headers.get("mcp-protocol-version"),
                "session": request.headers.get("mcp-session-id"),
            }
        )

    def answered_server_requests(self) -> int:
        """How many JSON-RPC responses the SDK POSTed back (legacy server-to-client requests)."""
        return self.rpc_methods().count("response")

    def rpc_methods(self) -> list[str]:
        """The JSON-RPC methods POSTed (responses to server requests appear as "response")."""
        return [entry["rpc"] for entry in self.requests if entry["http"] == "POST" and entry["rpc"]]


@asynccontextmanager
async def connect(server: McpServer, mode: str, wire: Wire | None = None, **callbacks: Any) -> AsyncIterator[Client]:
    """An SDK `Client` on the server's /mcp in `mode`, authenticated with `server.token`."""
    hooks = {"request": [wire.record]} if wire is not None else {}
    headers = {"Authorization": f"Bearer {server.token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(10), event_hooks=hooks) as http:
        transport = streamable_http_client(server.mcp_url, http_client=http)
        async with Client(transport, mode=mode, read_timeout_seconds=10, **callbacks) as client:
            yield client


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    run_within(DEADLINE_SECONDS, scenario)


def only_text(content: list[Any]) -> str:
    """The text of a result whose content is a single text block."""
    assert len(content) == 1, content
    block = content[0]
    assert isinstance(block, types.TextContent), block
    return block.text


def resource_text(result: types.ReadResourceResult) -> str:
    """The text of a read with a single text resource."""
    assert len(result.contents) == 1, result.contents
    contents = result.contents[0]
    assert isinstance(contents, types.TextResourceContents), contents
    return contents.text


def assert_era(client: Client, mode: str) -> None:
    """Check the version the session negotiated, and how: discover for auto, initialize for legacy."""
    session = client.session
    if mode == "auto":
        assert client.protocol_version == MODERN
        assert session.discover_result is not None
        assert session.initialize_result is None
    else:
        # The SDK offers its newest 2025 revision, which this server supports.
        assert client.protocol_version == LATEST_HANDSHAKE_VERSION
        assert session.initialize_result is not None
        assert session.discover_result is None


def assert_answer_path(wire: Wire, mode: str) -> None:
    """How the client's answer travelled: a retried tools/call (2026-07-28) or a POSTed response (legacy)."""
    calls = wire.rpc_methods().count("tools/call")
    if mode == "auto":
        assert (calls, wire.answered_server_requests()) == (2, 0), wire.requests
    else:
        assert (calls, wire.answered_server_requests()) == (1, 1), wire.requests


@pytest.mark.parametrize("mode", MODES)
def test_negotiates_the_expected_era(mcp_server: McpServer, mode: str) -> None:
    """Auto probes `server/discover` and stays on 2026-07-28; legacy does the initialize handshake."""
    wire = Wire()
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with connect(mcp_server, mode, wire) as client:
            assert_era(client, mode)
            seen["version"] = client.protocol_version
            await client.list_tools()

    run(scenario)
    methods = wire.rpc_methods()
    posts = [entry for entry in wire.requests if entry["http"] == "POST"]
    if mode == "auto":
        assert methods[0] == "server/discover", methods
        assert "initialize" not in methods
        assert all(entry["http"] == "POST" for entry in wire.requests), "2026-07-28 has no GET stream"
        assert all(entry["session"] is None for entry in wire.requests)
        assert all(entry["version"] == MODERN for entry in posts)
    else:
        assert methods[:2] == ["initialize", "notifications/initialized"], methods
        assert "server/discover" not in methods
        assert posts[-1]["session"], "no Mcp-Session-Id after initialize"
        assert posts[-1]["version"] == seen["version"]


@pytest.mark.parametrize("mode", MODES)
def test_tools(mcp_server: McpServer, mode: str) -> None:
    """List the tools and call a structured, a plain and a caller-aware one."""

    async def scenario() -> None:
        async with connect(mcp_server, mode) as client:
            assert_era(client, mode)
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"whoami", "convert_temperature", "test_simple_text"} <= names

            converted = await client.call_tool(
                "convert_temperature", {"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}
            )
            assert not converted.is_error, converted
            assert converted.structured_content == {"value": 212.0, "unit": "fahrenheit"}

            simple = await client.call_tool("test_simple_text", {})
            assert not simple.is_error, simple
            assert only_text(simple.content) == "This is a simple text response for testing."

            me = await client.call_tool("whoami", {})
            assert not me.is_error, me
            assert me.structured_content is not None
            assert me.structured_content["subject"].startswith("user:")  # the person of the personal token
            assert me.structured_content["email"] == mcp_server.email

    run(scenario)


@pytest.mark.parametrize("mode", MODES)
def test_progress_notifications_reach_the_callback(mcp_server: McpServer, mode: str) -> None:
    """The tool reports 0, 50 and 100 of 100; the SDK hands each one to the progress callback."""
    updates: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total))

    async def scenario() -> None:
        async with connect(mcp_server, mode) as client:
            assert_era(client, mode)
            result = await client.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)
            assert only_text(result.content) == "Progress test completed."

    run(scenario)
    assert updates == [(0, 100), (50, 100), (100, 100)]


@pytest.mark.parametrize("mode", MODES)
def test_resources(mcp_server: McpServer, mode: str) -> None:
    """List resources and templates, read a static resource and one from the template."""

    async def scenario() -> None:
        async with connect(mcp_server, mode) as client:
            assert_era(client, mode)
            uris = {str(resource.uri) for resource in (await client.list_resources()).resources}
            assert "test://static-text" in uris
            templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
            assert "test://template/{id}/data" in templates

            static = await client.read_resource("test://static-text")
            assert resource_text(static) == "This is the content of the static text resource."

            templated = resource_text(await client.read_resource("test://template/42/data"))
            assert "42" in templated
            assert json.loads(templated)["id"] == "42"

    run(scenario)


@pytest.mark.parametrize("mode", MODES)
def test_prompts_and_completion(mcp_server: McpServer, mode: str) -> None:
    """List prompts, render one with arguments, and complete a prompt argument."""

    async def scenario() -> None:
        async with connect(mcp_server, mode) as client:
            assert_era(client, mode)
            names = {prompt.name for prompt in (await client.list_prompts()).prompts}
            assert {"test_prompt_with_arguments", "summarize"} <= names

            rendered = await client.get_prompt("test_prompt_with_arguments", {"arg1": "alpha", "arg2": "beta"})
            assert len(rendered.messages) == 1
            text = rendered.messages[0].content
            assert isinstance(text, types.TextContent), text
            assert "alpha" in text.text and "beta" in text.text

            completed = await client.complete(
                types.PromptReference(type="ref/prompt", name="summarize"), {"name": "style", "value": "bul"}
            )
            assert completed.completion.values == ["bullet points"]

    run(scenario)


@pytest.mark.parametrize("mode", MODES)
def test_elicitation(mcp_server: McpServer, mode: str) -> None:
    """The tool asks for a name; the SDK routes the question to the elicitation callback.

    In 2026-07-28 the question comes back as an input-required result and the SDK retries the call
    with the answer; in legacy mode the server sends `elicitation/create` on the call's SSE stream
    and the SDK POSTs the answer (which may land on the other gunicorn worker).
    """
    asked: list[str] = []

    async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"name": "Alice"})

    wire = Wire()

    async def scenario() -> None:
        async with connect(mcp_server, mode, wire, elicitation_callback=on_elicit) as client:
            assert_era(client, mode)
            result = await client.call_tool("test_input_required_result_elicitation", {})
            assert not result.is_error, result
            assert only_text(result.content) == "Hello, Alice!"

    run(scenario)
    assert asked == ["What is your name?"]
    assert_answer_path(wire, mode)


@pytest.mark.parametrize(
    ("mode", "tool", "arguments", "expected"),
    [
        ("auto", "test_input_required_result_sampling", {}, f"The model says: {SAMPLED_TEXT}"),
        ("legacy", "test_sampling", {"prompt": "Capital of France?"}, f"LLM response: {SAMPLED_TEXT}"),
    ],
)
def test_sampling(mcp_server: McpServer, mode: str, tool: str, arguments: dict[str, Any], expected: str) -> None:
    """The tool asks the client's model; the sampling callback answers with a fixed assistant text."""
    prompts: list[Any] = []

    async def on_sample(
        context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        prompts.append(params.messages[0].content)
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text=SAMPLED_TEXT), model="fixed-model"
        )

    wire = Wire()

    async def scenario() -> None:
        async with connect(mcp_server, mode, wire, sampling_callback=on_sample) as client:
            assert_era(client, mode)
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, result
            assert only_text(result.content) == expected

    run(scenario)
    assert len(prompts) == 1
    assert_answer_path(wire, mode)


def leaf_errors(error: BaseException) -> list[BaseException]:
    """The exceptions inside `error`, with (nested) exception groups flattened away."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaf_errors(inner)]
    return [error]


@pytest.mark.parametrize("mode", MODES)
def test_wrong_token_is_refused(mcp_server: McpServer, mode: str) -> None:
    """A bearer token the server does not know gets 401, and the SDK fails to connect with an MCPError.

    The SDK raises the MCPError from inside its task groups, so it arrives wrapped in exception groups.
    """
    statuses: list[int] = []
    raised: list[BaseException] = []

    async def note_status(response: httpx2.Response) -> None:
        statuses.append(response.status_code)

    async def scenario() -> None:
        headers = {"Authorization": f"Bearer not-{mcp_server.token}"}
        hooks = {"response": [note_status]}
        async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(10), event_hooks=hooks) as http:
            try:
                async with Client(streamable_http_client(mcp_server.mcp_url, http_client=http), mode=mode):
                    pass
            except Exception as error:  # inspected below, whatever its wrapping
                raised.extend(leaf_errors(error))

    run(scenario)
    assert raised, "the SDK connected with a wrong token"
    assert all(isinstance(error, MCPError) for error in raised), raised
    assert any("bearer token" in str(error).lower() for error in raised), raised
    # auto: server/discover, then the initialize fallback; legacy: initialize only. Each one is refused.
    assert statuses == [401] * (2 if mode == "auto" else 1), statuses
