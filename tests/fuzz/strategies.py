"""Hypothesis strategies: JSON, header text, MCP messages (and their mutations) of both eras."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from app.mcp.context import LOG_LEVELS
from app.mcp.legacy.handshake import VERSIONS as LEGACY_VERSIONS
from app.mcp.server.modern import CAPABILITIES_KEY, LOG_LEVEL_KEY, NAMED_PARAMS
from app.mcp.server.modern import VERSION_KEY as META_VERSION_KEY
from tests.fuzz.known import ACCEPTS, KNOWN_METHODS, MODERN_VERSION, SUPPORTED_VERSIONS, TOKEN
from tests.fuzz.target import Target, Vocabulary

MISSING: Any = object()  # a field left out of a generated message
TEXT = st.text(max_size=12)  # hypothesis never puts a lone surrogate in text (see B1)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of `choices`, each drawn about in proportion to its weight (st.one_of weighs its branches alike)."""
    indices = [index for index, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indices).flatmap(lambda index: choices[index][1])


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = TEXT) -> st.SearchStrategy[Any]:
    """`good` about three times in four, else `bad` (any text, unless said otherwise)."""
    return weighted((3, good), (1, bad))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`strategy`, or MISSING (the field left out)."""
    return st.just(MISSING) | strategy


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_categories=("Cc",)), max_size=24)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=12
)
OBJECTS = st.dictionaries(TEXT, JSON, max_size=4)
VALID_IDS = st.integers() | TEXT
IDS = weighted((2, VALID_IDS), (1, st.none() | st.booleans() | st.floats() | st.lists(st.integers(), max_size=2)))
VERSIONS = st.sampled_from((*SUPPORTED_VERSIONS, "2024-11-05", "2099-01-01", "")) | HEADER_TEXT
GOOD_CAPABILITIES = st.fixed_dictionaries(
    {}, optional={"elicitation": st.just({}), "sampling": st.just({}), "roots": st.just({})}
)
#: A correct 2026-07-28 `_meta`: the version, the capabilities, and maybe a log level.
MODERN_META = st.fixed_dictionaries(
    {META_VERSION_KEY: st.just(MODERN_VERSION), CAPABILITIES_KEY: GOOD_CAPABILITIES},
    optional={LOG_LEVEL_KEY: st.sampled_from(LOG_LEVELS)},
)
#: Any `_meta`: correct or not, with any version, capabilities and log level.
ANY_META = st.fixed_dictionaries(
    {META_VERSION_KEY: VERSIONS | JSON, CAPABILITIES_KEY: GOOD_CAPABILITIES | OBJECTS | JSON},
    optional={LOG_LEVEL_KEY: st.sampled_from(LOG_LEVELS) | JSON},
)


def named(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    return weighted((3, st.sampled_from(names)), (1, TEXT)) if names else TEXT


def resource_uris(words: Vocabulary) -> st.SearchStrategy[str]:
    """Real resource URIs, templates filled with any text, and any text."""
    filled = st.sampled_from(words.templates).flatmap(
        lambda template: st.lists(TEXT, min_size=4, max_size=4).map(lambda parts: _fill(template, parts))
    )
    return named(words.resources) | filled


def _fill(template: str, parts: list[str]) -> str:
    values = iter(parts)
    return re.sub(r"\{[^}]*\}", lambda _: next(values, "x"), template)


def params_for(method: str, words: Vocabulary) -> st.SearchStrategy[dict[str, Any]]:
    """Params shaped for `method` (well typed; the mutations make them wrong), or any object for other methods."""
    uri = {"uri": resource_uris(words)}
    ref = st.fixed_dictionaries({"type": st.just("ref/prompt"), "name": named(words.prompts)}) | st.fixed_dictionaries(
        {"type": st.just("ref/resource"), "uri": st.sampled_from(words.templates or ("x",))}
    )
    shapes: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
        "tools/call": lambda: st.fixed_dictionaries(
            {"name": named(words.tools) | st.sampled_from(words.talkers or words.tools)},
            optional={"arguments": st.just({}) | OBJECTS},
        ),
        "prompts/get": lambda: st.fixed_dictionaries(
            {"name": named(words.prompts)}, optional={"arguments": st.dictionaries(TEXT, TEXT, max_size=3)}
        ),
        "resources/read": lambda: st.fixed_dictionaries(uri),
        "resources/subscribe": lambda: st.fixed_dictionaries(uri),
        "resources/unsubscribe": lambda: st.fixed_dictionaries(uri),
        "completion/complete": lambda: st.fixed_dictionaries(
            {"ref": ref, "argument": st.fixed_dictionaries({"name": TEXT, "value": TEXT})},
            optional={"context": st.fixed_dictionaries({"arguments": st.dictionaries(TEXT, TEXT, max_size=2)})},
        ),
        "initialize": lambda: st.fixed_dictionaries(
            {
                "protocolVersion": st.sampled_from(SUPPORTED_VERSIONS) | TEXT,
                "capabilities": GOOD_CAPABILITIES,
                "clientInfo": st.fixed_dictionaries({"name": TEXT, "version": TEXT}),
            }
        ),
        "logging/setLevel": lambda: st.fixed_dictionaries({"level": st.sampled_from(LOG_LEVELS)}),
        "notifications/cancelled": lambda: st.fixed_dictionaries({"requestId": VALID_IDS}, optional={"reason": TEXT}),
    }
    if method in shapes:
        return shapes[method]()
    if method.endswith("/list"):
        return st.fixed_dictionaries({}, optional={"cursor": TEXT})
    return OBJECTS


@dataclass(frozen=True)
class Exchange:
    """One generated POST to /mcp: the body as sent, its headers, and the message (if JSON)."""

    data: bytes
    headers: dict[str, str]
    message: Any = MISSING

    @classmethod
    def of(cls, data: bytes, headers: Mapping[str, str]) -> Exchange:
        """An exchange of raw bytes, with the message they hold if they are JSON text (RFC 8259: UTF-8, so no
        lone surrogate, escaped or not; json.loads lets those through, the server answers them -32700)."""
        try:
            message = json.loads(data)
            json.dumps(message, ensure_ascii=False).encode()
        except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
            message = MISSING
        return cls(data, dict(headers), message)

    @property
    def request_id(self) -> Any:
        """The id a reply must carry: the message's, when it is a valid JSON-RPC id; else None."""
        if not isinstance(self.message, dict):
            return None
        value = self.message.get("id")
        return value if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) else None

    @property
    def is_request(self) -> bool:
        """Whether the message is a well-formed request (which must get a reply, never a 202)."""
        message = self.message
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or self.request_id is None:
            return False
        method, params = message.get("method"), message.get("params", {})
        return isinstance(method, str) and bool(method) and (params is None or isinstance(params, dict))


def mirrored(message: Mapping[str, Any]) -> dict[str, str]:
    """The headers a correct 2026-07-28 client sends with `message`."""
    params, method = message.get("params"), message["method"]
    headers = {"MCP-Protocol-Version": MODERN_VERSION, "Mcp-Method": header_value(method)}
    named_param = NAMED_PARAMS.get(method)
    if named_param and isinstance(params.get(named_param), str):
        headers["Mcp-Name"] = header_value(params[named_param])
    return headers


def header_value(text: str) -> str:
    """`text` as a header value: as is when it is plain printable ASCII, else base64 in `=?base64?...?=`."""
    if text == text.strip() and all(0x20 <= ord(char) < 0x7F for char in text):
        return text
    return f"=?base64?{base64.b64encode(text.encode()).decode()}?="


#: Mutations: each breaks one thing in a correct message or its headers (in place).
Mutation = Callable[[st.DrawFn, dict[str, Any], dict[str, str]], None]


def _set(key: str, strategy: st.SearchStrategy[Any]) -> Mutation:
    def mutate(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
        message[key] = draw(strategy)

    return mutate


def _drop(key: str) -> Mutation:
    def mutate(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
        message.pop(key, None)

    return mutate


def _header(name: str, strategy: st.SearchStrategy[Any]) -> Mutation:
    def mutate(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
        value = draw(maybe(strategy))
        if value is MISSING:
            headers.pop(name, None)
        else:
            headers[name] = value

    return mutate


def _meta(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
    if isinstance(message.get("params"), dict):
        message["params"] = message["params"] | {"_meta": draw(ANY_META | OBJECTS | JSON)}


def _extra(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
    message.update(draw(OBJECTS))


MUTATIONS: tuple[Mutation, ...] = (
    _set("jsonrpc", JSON),
    _set("id", IDS),
    _drop("id"),
    _set("method", st.sampled_from(KNOWN_METHODS) | TEXT | JSON),
    _set("params", JSON),
    _drop("params"),
    _meta,
    _extra,
    _header("MCP-Protocol-Version", VERSIONS),
    _header("Mcp-Method", HEADER_TEXT | st.sampled_from(KNOWN_METHODS)),
    _header("Mcp-Name", HEADER_TEXT),
    _header("Mcp-Session-Id", HEADER_TEXT),
)


def credentials(target: Target) -> st.SearchStrategy[Any]:
    """Mostly the static token; else an OAuth access token this server issued, junk, or none (MISSING)."""
    return weighted(
        (12, st.just(f"Bearer {TOKEN}")),
        (2, st.sampled_from(target.access_tokens).map(lambda token: f"Bearer {token}")),
        (1, HEADER_TEXT.map(lambda text: f"Bearer {text}") | HEADER_TEXT),
        (1, st.just(MISSING)),
    )


def era_headers(draw: st.DrawFn, era: str, message: dict[str, Any], target: Target) -> dict[str, str]:
    """What a correct client of `era` sends: mirrored headers (2026-07-28), or a legacy version and session."""
    if era == "modern":
        message["params"] = message["params"] | {"_meta": draw(MODERN_META)}
        return mirrored(message)
    headers = {"MCP-Protocol-Version": draw(st.sampled_from(LEGACY_VERSIONS))} if draw(st.booleans()) else {}
    if era == "session":
        index = draw(st.integers(0, len(LEGACY_VERSIONS) - 1))
        headers = {"MCP-Protocol-Version": LEGACY_VERSIONS[index], "Mcp-Session-Id": target.sessions[index]}
    return headers


@st.composite
def mcp_exchanges(draw: st.DrawFn, target: Target) -> Exchange:
    """A POST /mcp: a correct request or notification of either era with 0-3 mutations, a client's reply,
    or any JSON at all; with any credential and Accept."""
    kind = draw(st.sampled_from(("request",) * 7 + ("notification", "reply", "any")))
    headers: dict[str, str] = {}
    if kind == "any":
        message: Any = draw(JSON)
    elif kind == "reply":
        message = {"jsonrpc": "2.0", "id": draw(IDS), draw(st.sampled_from(("result", "error"))): draw(OBJECTS)}
    else:
        method = draw(weighted((4, st.sampled_from(KNOWN_METHODS)), (2, st.just("tools/call")), (1, TEXT.filter(bool))))
        message = {
            "jsonrpc": "2.0",
            "id": draw(VALID_IDS),
            "method": method,
            "params": draw(params_for(method, target.words)),
        }
        if kind == "notification":
            del message["id"]
        headers = era_headers(draw, draw(st.sampled_from(("legacy", "session", "modern", "modern"))), message, target)
        for _ in range(draw(st.sampled_from((0, 0, 0, 1, 1, 2, 3)))):
            draw(st.sampled_from(MUTATIONS))(draw, message, headers)
    accept = draw(weighted((4, st.sampled_from(ACCEPTS[:2])), (1, maybe(st.sampled_from(ACCEPTS) | HEADER_TEXT))))
    for name, value in (("Authorization", draw(credentials(target))), ("Accept", accept)):
        if value is not MISSING:
            headers[name] = value
    return Exchange(json.dumps(message).encode(), headers, message)
