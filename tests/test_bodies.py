"""The rest of a request's body, read once it is answered (app.bodies): all of it when the app answered before reading
it, and nothing more when the app read it to its end."""

from __future__ import annotations

import io
import json

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.support.mcp_client import MODERN, TOKEN


class Recorded(io.BytesIO):
    """A request body that counts the reads made once it has been read to its end."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.length, self.reads_at_end = len(data), 0

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.length:
            self.reads_at_end += 1
        return super().read(size)


def posted(app, body: bytes, headers: dict[str, str]) -> tuple[int, Recorded]:
    stream = Recorded(body)
    response = app.test_client().post(
        "/mcp", input_stream=stream, content_length=len(body), content_type="application/json", headers=headers
    )
    return response.status_code, stream


def listing() -> bytes:
    meta = {VERSION_KEY: MODERN, CAPABILITIES_KEY: {}}
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}).encode()


def test_a_body_the_endpoint_read_whole_is_not_read_again(make_app):
    """Under gunicorn one more read of a body at its end costs about 20 Python calls, on every /mcp call."""
    app = make_app(MCP_STATIC_TOKENS=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"}
    status, stream = posted(app, listing(), headers)
    assert status == 200 and stream.tell() == stream.length
    assert stream.reads_at_end == 0


def test_a_body_answered_before_it_was_read_is_read_to_its_end(make_app):
    """A 401 comes before the body is read: the rest is read, so that the connection can take the next request."""
    app = make_app(MCP_STATIC_TOKENS=TOKEN)
    status, stream = posted(app, listing(), {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"})
    assert status == 401 and stream.tell() == stream.length
