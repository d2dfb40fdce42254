"""A request's headers as the engine reads them: straight from the WSGI environ.

Werkzeug's view (`request.headers`) rewrites the name on every lookup and raises and
catches a KeyError for each header that is absent; a call to /mcp looks up about ten,
most of them absent (Origin, Mcp-Session-Id, the `Mcp-Param-*` of a tool). Here each name
is rewritten once per process, and an absent header is a dict miss.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from werkzeug.datastructures import EnvironHeaders


class RequestHeaders(Mapping[str, str]):
    """The headers of the request with this WSGI environ, by name (any case), read-only."""

    __slots__ = ("environ",)

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self.environ.get(environ_key(name), default)

    def __getitem__(self, name: str) -> str:
        return self.environ[environ_key(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and environ_key(name) in self.environ

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in EnvironHeaders(self.environ))

    def __len__(self) -> int:
        return len(EnvironHeaders(self.environ))


@cache
def environ_key(name: str) -> str:
    """Where the WSGI environ keeps header `name` (PEP 3333). The names are the code's own (this server's headers,
    a tool's `Mcp-Param-*`), never a client's: the cache stays small."""
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"
