"""Where this server is, as others reach it: its public URL and origin, and the names of loopback.

Every URL the server hands out (metadata, challenges, redirects, callbacks, snippets)
starts with `public_url()`: PUBLIC_URL when set (it must be, in production), else the
request's own address (development; carried into the threads a request starts), else the
development server's (a command run outside any request).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, has_request_context, request

from app.extensions import this_app

#: Where `make run` serves.
DEVELOPMENT_URL = "http://127.0.0.1:5000"
#: Where a thread's app context keeps the public URL of the request that started its work.
CARRIED = "public_url"
#: The host names of this machine's loopback interface, as URLs spell them (IPv6 without brackets).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def public_url() -> str:
    """The externally visible base URL, without a trailing slash."""
    configured = this_app().config["PUBLIC_URL"]
    if configured:
        return configured
    return request.host_url.rstrip("/") if has_request_context() else g.get(CARRIED, DEVELOPMENT_URL)


def carry_public_url(url: str) -> None:
    """In work a request started in a thread of its own (a streamed call, a task): use the request's `url`."""
    setattr(g, CARRIED, url)


def public_origin() -> str:
    """This server's origin as browsers name it (`scheme://host[:port]`)."""
    parts = urlsplit(public_url())
    return f"{parts.scheme}://{parts.netloc}"
