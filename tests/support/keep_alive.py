"""Early answers on one kept-alive connection: each followed by a normal request on the same connection.

An early answer is one the app gives before it reads the request body: 401 (no credential),
403 (a foreign Origin), 415 (not JSON), 429 (over the rate limit), 413 (too long); 400 (not
JSON-RPC) reads it. `early_answers` lists (status, headers, body size) for every size from
0 bytes to the body limit + 1; `run_pairs` sends each, then a normal tools/call, with `send`,
and counts the pairs where either failed. The normal request is a POST, as an MCP client's
next one is: a proxy may quietly retry a GET on another connection, never a POST.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.mcp_http import MODERN, tool_call_request

#: Body sizes tried for every early answer (the limit and the limit + 1 are added).
SIZES = (0, 1, 4096, 65535, 65537, 300_000)
#: Invalid tokens an address may send per day: the test spends them first, then gets 429 for more. Per day, not
#: per minute: windows are aligned to the clock, and a minute's end between the spending and the probes (seconds
#: apart on a busy machine) would give the next probes a fresh budget, so 401 instead of 429.
INVALID_TOKEN_LIMIT = 3
INVALID_TOKEN = "not-a-token-this-server-issued"
TOKEN = "keep-alive-static-token-0000001"

Send = Callable[[str, str, dict[str, str], bytes], tuple[int, bytes]]


@dataclass
class Tally:
    pairs: int = 0
    failures: list[str] = field(default_factory=list)


def settings() -> dict[str, str]:
    """What the app under test needs: a token, and the limit on invalid tokens the 429s come from."""
    return {"MCP_STATIC_TOKENS": TOKEN, "MCP_INVALID_TOKEN_RATE_LIMIT": f"{INVALID_TOKEN_LIMIT} per day"}


def early_answers(limit: int) -> list[tuple[int, dict[str, str], int]]:
    json_type, text_type = {"Content-Type": "application/json"}, {"Content-Type": "text/plain"}
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    answers = {
        401: json_type,
        403: json_type | {"Origin": "https://elsewhere.example"},
        415: text_type | bearer,
        429: json_type | {"Authorization": f"Bearer {INVALID_TOKEN}"},
        400: json_type | bearer,
    }
    sizes = (*SIZES, limit)
    found = [(status, headers, size) for status, headers in answers.items() for size in sizes]
    return found + [(413, json_type | bearer, limit + 1)]


def run_pairs(send: Send, limit: int, rounds: int = 1) -> Tally:
    """Spend the address's invalid tokens, then send every early answer and a GET /health after each."""
    for _ in range(INVALID_TOKEN_LIMIT):
        send("POST", "/mcp", {"Content-Type": "application/json", "Authorization": f"Bearer {INVALID_TOKEN}"}, b"{}")
    call, headers = tool_call_request(TOKEN, "whoami", {}, MODERN)
    normal_body, normal_headers = json.dumps(call).encode(), headers | {"Content-Type": "application/json"}
    tally = Tally()
    for _ in range(rounds):
        for status, headers, size in early_answers(limit):
            tally.pairs += 1
            body = b"x" * size
            try:
                got, _ = send("POST", "/mcp", headers, body)
                if got != status:
                    tally.failures.append(f"{status} with {size} bytes answered {got}")
                    continue
                got, answer = send("POST", "/mcp", normal_headers, normal_body)
                if got != 200 or b'"result"' not in answer:
                    tally.failures.append(f"after {status} with {size} bytes: whoami answered {got}")
            except Exception as error:  # a lost request is what this counts
                tally.failures.append(f"after {status} with {size} bytes: {error!r}")
    return tally
