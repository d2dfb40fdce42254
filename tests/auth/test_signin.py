"""`next` is honoured only for paths on this site."""

from __future__ import annotations

import pytest

from app.auth.signin import safe_next_url


@pytest.mark.parametrize("value", ["/", "/a/b?c=d", "/tools#x"])
def test_same_site_paths_are_kept(value):
    assert safe_next_url(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/a\r\nLocation: https://evil.example",
        "evil.example",
        "/\tevil",
    ],
)
def test_other_sites_and_tricks_are_refused(value):
    assert safe_next_url(value) is None
