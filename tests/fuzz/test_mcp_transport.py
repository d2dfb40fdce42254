"""/mcp under hostile transport: bytes, encodings, content types, nesting, header and body sizes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import assert_clean, check_mcp_reply, known_5xx, post_mcp, send
from tests.fuzz.known import ACCEPTS, MAX_CONTENT_LENGTH, NESTED, TOKEN, Tally, bounded
from tests.fuzz.strategies import HEADER_TEXT, Exchange, weighted
from tests.fuzz.target import Target

PING = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "APPLICATION/JSON",
    "application/json-rpc",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
)


#: Mostly JSON (so the bytes get parsed), else wrong, junk or no content types.
HOSTILE_CONTENT_TYPES = weighted(
    (4, st.sampled_from(CONTENT_TYPES[:5])), (1, st.sampled_from(CONTENT_TYPES[5:]) | HEADER_TEXT | st.none())
)


def hostile_bodies() -> st.SearchStrategy[bytes]:
    """Bytes that are mostly not JSON, or JSON in odd encodings, or valid JSON with invalid UTF-8 inside."""
    invalid_utf8 = st.sampled_from([b"\xff", b"\xfe\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"])
    inside = st.tuples(st.binary(max_size=8), invalid_utf8, st.binary(max_size=8)).map(b"".join)
    return st.one_of(
        st.binary(max_size=300),
        inside.map(lambda junk: b'{"jsonrpc":"2.0","id":1,"method":"' + junk + b'"}'),
        inside.map(lambda junk: b'{"jsonrpc":"2.0","id":"' + junk + b'","method":"ping"}'),
        st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig"]).map(PING.decode().encode),
        st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.integers(1, 3000).map(lambda depth: b'{"a":' * depth + b"0" + b"}" * depth),
    )


SURROGATE = re.compile(rb"\xed[\xa0-\xbf][\x80-\xbf]|\\u[dD][89a-fA-F]")


def surrogate_bug(data: bytes) -> str | None:
    """The known bug (B1) a body may hit: a surrogate, encoded in the bytes or escaped (json.loads passes both)."""
    return "B1" if SURROGATE.search(data) else None


def test_mcp_hostile_bytes_fuzz(target: Target) -> None:
    """Arbitrary bytes, invalid UTF-8, odd encodings, nesting, wrong content types: a clean 4xx, never 5xx."""
    tally = Tally("POST /mcp, hostile bytes and content types")

    @bounded(200)
    @given(data=hostile_bodies(), content_type=HOSTILE_CONTENT_TYPES)
    @tally.counted
    def run(data: bytes, content_type: str | None) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": ACCEPTS[0]}
        response = post_mcp(target, data, headers, content_type)
        tally.saw(response)
        if known_5xx(response, surrogate_bug(data), tally):
            return
        check_mcp_reply(response, Exchange.of(data, headers), tally)

    tally.run(run)


HUGE = 16 * 1024


def _nested_in_params(depth: int) -> bytes:
    nest = b"[" * depth + b"]" * depth
    return b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"a":' + nest + b"}}}"


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        pytest.param(b"[" * NESTED + b"]" * NESTED, "application/json", 400, id="arrays-nested-10000"),
        pytest.param(b'{"a":' * NESTED + b"0" + b"}" * NESTED, "application/json", 400, id="objects-nested-10000"),
        pytest.param(_nested_in_params(NESTED), "application/json", 400, id="arguments-nested-10000"),
        pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}', "application/json", 400, id="invalid-utf8"),
        pytest.param(b'{"jsonrpc":"2.0","id":"\xc0\xaf","method":"ping"}', "application/json", 400, id="overlong-utf8"),
        pytest.param(b"\xed\xa0\x80", "application/json", 400, id="encoded-surrogate"),
        pytest.param(PING, "text/plain", 415, id="text-plain"),
        pytest.param(PING, "application/x-www-form-urlencoded", 415, id="form"),
        pytest.param(PING, "multipart/form-data; boundary=x", 415, id="multipart"),
        pytest.param(PING, None, 415, id="no-content-type"),
        pytest.param(b" " * (MAX_CONTENT_LENGTH - len(PING)) + PING, "application/json", 200, id="exactly-max-length"),
        pytest.param(b" " * (MAX_CONTENT_LENGTH + 1 - len(PING)) + PING, "application/json", 413, id="one-byte-over"),
        pytest.param(b"x" * (4 * MAX_CONTENT_LENGTH), "application/json", 413, id="four-times-over"),
    ],
)
def test_mcp_hostile_bodies(target: Target, data: bytes, content_type: str | None, expected: int) -> None:
    """Deep nesting (10 000), invalid UTF-8, wrong content types, and body sizes at and past MAX_CONTENT_LENGTH."""
    response = post_mcp(target, data, {"Authorization": f"Bearer {TOKEN}"}, content_type)
    print(f"\n[fuzz] {len(data)} bytes as {content_type!r}: {response.status_code}")
    check_mcp_reply(response, Exchange.of(data, {}))
    assert response.status_code == expected, response.get_data()[:300]


def test_mcp_content_length_lies(target: Target) -> None:
    """A Content-Length far past the cap is refused (413) before the body is read; a garbage one is no 5xx."""
    statuses = {}
    for length in ("999999999999", "-1", "abc", "0"):
        response = send(
            target.client,
            "POST",
            "/mcp",
            data=PING,
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
            environ_overrides={"CONTENT_LENGTH": length},
        )
        statuses[length] = response.status_code
        check_mcp_reply(response, Exchange(PING, {}))  # the body is not read as sent: no id to expect
    print(f"\n[fuzz] Content-Length lies: {statuses}")
    assert statuses["999999999999"] == 413


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("X-Filler", "a" * HUGE, 200),
        ("User-Agent", "a" * HUGE, 200),
        ("Cookie", "session=" + "a" * HUGE, 200),
        ("Accept", "application/json, " + "a" * HUGE, 200),
        ("Mcp-Method", "a" * HUGE, 200),  # ignored outside 2026-07-28
        ("Mcp-Name", "=?base64?" + "A" * HUGE + "?=", 200),
        ("Authorization", "Bearer " + "a" * HUGE, 401),
        ("Mcp-Session-Id", "a" * HUGE, 404),
        ("MCP-Protocol-Version", "a" * HUGE, 400),
        ("Origin", "http://" + "a" * HUGE, 403),
    ],
)
def test_mcp_huge_headers(target: Target, header: str, value: str, expected: int) -> None:
    """16 KB header values (gunicorn refuses such before the app; the app itself must still not fail)."""
    headers = {"Authorization": f"Bearer {TOKEN}", header: value}
    response = post_mcp(target, PING, headers)
    print(f"\n[fuzz] {header}: {len(value)} bytes: {response.status_code}")
    check_mcp_reply(response, Exchange.of(PING, headers))
    assert response.status_code == expected, response.get_data()[:300]


def test_mcp_many_headers_and_huge_host(target: Target) -> None:
    """A hundred 1 KB headers are fine; a 16 KB Host is a clean 400 (routing refuses it, before /mcp's handlers,
    so its body is the app's JSON error page rather than JSON-RPC)."""
    many = {f"X-Fuzz-{index}": "b" * 1024 for index in range(100)} | {"Authorization": f"Bearer {TOKEN}"}
    response = post_mcp(target, PING, many)
    check_mcp_reply(response, Exchange.of(PING, many))
    host = post_mcp(target, PING, {"Authorization": f"Bearer {TOKEN}", "Host": "a" * HUGE})
    print(f"\n[fuzz] 100 x 1 KB headers: {response.status_code}; 16 KB Host: {host.status_code}")
    assert_clean(host, "huge Host")
    assert host.status_code == 400 and isinstance(host.get_json(), dict), host.get_data()[:300]
