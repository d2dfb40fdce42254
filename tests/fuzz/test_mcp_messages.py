"""/mcp with any JSON-RPC of both eras: a clean JSON-RPC reply or 202, never a 5xx."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from werkzeug.wrappers import Response

from tests.fuzz.harness import ORJSON_INTEGERS, check_mcp_reply, post_mcp, sse_messages
from tests.fuzz.known import KNOWN_BUGS, Tally, bounded
from tests.fuzz.strategies import Exchange, mcp_exchanges
from tests.fuzz.target import Target


def orjson_value(value: Any) -> Any:
    """`value` as the server reads it (orjson: integers beyond 64 bits become floats, B9)."""
    return float(value) if isinstance(value, int) and value not in ORJSON_INTEGERS else value


@dataclass
class CancelLedger:
    """The cancellations a fuzzer sent in legacy sessions, to recognise B11 and B12 later."""

    sent: set[tuple[str, str]] = field(default_factory=set)

    def record(self, exchange: Exchange, response: Response) -> None:
        message, session = exchange.message, exchange.headers.get("Mcp-Session-Id")
        if response.status_code != 202 or not session or not isinstance(message, dict):
            return
        params = message.get("params")
        if message.get("method") == "notifications/cancelled" and isinstance(params, dict):
            self.sent.add((session, repr(orjson_value(params.get("requestId")))))

    def bug(self, exchange: Exchange, response: Response) -> str | None:
        """B11 (an empty stream) or B12 (a 500) for a request whose id this session cancelled before."""
        message, session = exchange.message, exchange.headers.get("Mcp-Session-Id")
        if not isinstance(message, dict) or (session, repr(orjson_value(message.get("id")))) not in self.sent:
            return None
        if response.status_code >= 500:
            return "B12" if "B12" in KNOWN_BUGS else None
        empty = response.mimetype == "text/event-stream" and not sse_messages(response)
        return "B11" if empty and "B11" in KNOWN_BUGS else None


def test_mcp_jsonrpc_fuzz(target: Target) -> None:
    """Any JSON body, method, params, _meta, id and era headers: a clean JSON-RPC reply or 202, never 5xx."""
    tally = Tally("POST /mcp, JSON-RPC of both eras")
    cancels = CancelLedger()

    @bounded(300)
    @given(exchange=mcp_exchanges(target))
    @tally.counted
    def run(exchange: Exchange) -> None:
        response = post_mcp(target, exchange.data, exchange.headers)
        era = "modern" if "MCP-Protocol-Version" in exchange.headers else "no version header"
        tally.saw(response, era, "stream" if response.mimetype == "text/event-stream" else "json")
        cancels.record(exchange, response)
        if bug := cancels.bug(exchange, response):
            tally.note(f"known {bug}")
            return
        check_mcp_reply(response, exchange, tally)

    tally.run(run)
