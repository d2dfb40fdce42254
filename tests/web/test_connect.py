"""/connect: the guides, a warning where a hosted client could not reach this server, and a curl call that works."""

from __future__ import annotations

import pytest

from app.web.snippets import reachable_from_the_internet
from tests.conftest import AuthActions

WARNING = "cannot reach"


@pytest.mark.parametrize(
    ("url", "reachable"),
    [
        ("https://mcp.example.com/mcp", True),
        ("https://203.0.113.9/mcp", False),  # documentation range: not global
        ("https://8.8.8.8/mcp", True),
        ("http://mcp.example.com/mcp", False),
        ("https://localhost:5000/mcp", False),
        ("https://127.0.0.1/mcp", False),
        ("https://10.1.2.3/mcp", False),
        ("https://printer.local/mcp", False),
        ("https://intranet/mcp", False),
    ],
)
def test_what_a_hosted_client_can_reach(url, reachable):
    assert reachable_from_the_internet(url) is reachable


def connect_page(make_app, **settings: str) -> str:
    client = make_app(**settings).test_client()
    AuthActions(client).dev_sign_in()
    return client.get("/connect").text


def test_hosted_clients_are_warned_about_a_local_url(make_app):
    page = connect_page(make_app)  # http://localhost
    assert page.count(WARNING) == 2  # Claude and ChatGPT, not the local clients
    assert "Claude cannot reach http://localhost/mcp" in page and "PUBLIC_URL" in page


def test_no_warning_with_a_public_https_url(make_app):
    assert WARNING not in connect_page(make_app, PUBLIC_URL="https://mcp.example.com")
