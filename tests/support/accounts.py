"""A person over HTTP: a `requests.Session` signs in with the development form and makes a personal token.

The forms are the app's own pages, posted with their CSRF token and a same-origin Referer, as a browser posts
them (over https, the CSRF check wants that Referer).
"""

from __future__ import annotations

import re

import requests

from tests.conftest import csrf_token
from tests.support.servers import HTTP_TIMEOUT

#: The personal token on /account/tokens, right after it was made (the only time it is shown).
NEW_TOKEN = re.compile(r'<input id="new-token"[^>]*value="([^"]+)"')


def submit_dev_form(
    session: requests.Session, page: requests.Response, name: str, email: str, *, timeout: float = HTTP_TIMEOUT
) -> requests.Response:
    """Post the development sign-in form shown on `page` as `name` <`email`>; return the answer, unfollowed."""
    data = {"name": name, "email": email, "csrf_token": csrf_token(page.text)}
    headers = {"Referer": page.url}
    return session.post(page.url, data=data, headers=headers, allow_redirects=False, timeout=timeout)


def dev_sign_in(
    session: requests.Session,
    base_url: str,
    name: str,
    email: str,
    *,
    page_url: str | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> requests.Response:
    """Sign `session` in through the development sign-in form (at `page_url`, else `base_url`/auth/dev).

    Return the form's answer: the redirect to where the person goes next.
    """
    page = session.get(page_url or f"{base_url}/auth/dev", allow_redirects=False, timeout=timeout)
    assert page.status_code == 200, page.text
    signed_in = submit_dev_form(session, page, name, email, timeout=timeout)
    assert signed_in.status_code in (302, 303), f"dev sign-in answered {signed_in.status_code}: {signed_in.text}"
    return signed_in


def create_personal_token(
    session: requests.Session, base_url: str, name: str, scope: str = "mcp", *, timeout: float = HTTP_TIMEOUT
) -> str:
    """Make a personal access token on /account/tokens as the person signed in on `session`; return it."""
    page = session.get(f"{base_url}/account/tokens", allow_redirects=False, timeout=timeout)
    assert page.status_code == 200, f"/account/tokens answered {page.status_code}: {page.text}"
    data = {"name": name, "scope": scope, "days": "1", "csrf_token": csrf_token(page.text)}
    created = session.post(f"{base_url}/account/tokens", data=data, allow_redirects=False, timeout=timeout)
    assert created.status_code == 201, f"creating a token answered {created.status_code}: {created.text}"
    match = NEW_TOKEN.search(created.text)
    assert match, f"no new token on the page:\n{created.text}"
    return match[1]
