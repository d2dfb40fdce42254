"""What browser tests do in a page again and again."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def dev_sign_in(page: Page, base_url: str, name: str, email: str) -> None:
    """Sign in through the development sign-in page, and wait until it says so."""
    page.goto(f"{base_url}/auth/dev")
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="You are signed in").wait_for()
