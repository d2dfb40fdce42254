"""Sign-in pages (login, login/<name>, callback, failure, dev) with any parameters: no 5xx, no open redirect."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.wrappers import Response

from app.auth.routes import FAILURE_REASONS
from tests.conftest import csrf_token
from tests.fuzz.harness import assert_clean, known_5xx, send
from tests.fuzz.known import ORIGIN, Tally, bounded
from tests.fuzz.strategies import JSON, OBJECTS, TEXT
from tests.fuzz.target import Target

PATH_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"), max_size=10)


@st.composite
def sign_in_steps(draw: st.DrawFn) -> tuple[str, Any]:
    """One sign-in step with any parameters, or any JSON posted to a sign-in page."""
    step = draw(st.sampled_from(("login", "login_with", "callback", "failure", "dev", "post")))
    query = draw(st.dictionaries(st.sampled_from(("code", "state", "error", "error_description", "iss")) | TEXT, TEXT))
    if step == "login":
        return step, {
            "next": draw(st.sampled_from(("/account/tokens", "//evil.example/", "https://evil.example/")) | TEXT)
        }
    if step == "login_with":
        return step, draw(st.sampled_from(("dev", "gh", "nope")) | PATH_TEXT)
    if step == "callback":
        return step, (draw(st.sampled_from((None, "gh", "dev", "nope")) | PATH_TEXT), query, draw(st.booleans()))
    if step == "failure":
        return step, draw(st.sampled_from(sorted(FAILURE_REASONS)) | TEXT)
    if step == "post":
        path = draw(st.sampled_from(("/auth/dev", "/auth/logout", "/auth/login", "/auth/callback", "/auth/failure")))
        content_type = draw(st.sampled_from(("application/json", "application/x-www-form-urlencoded", "text/plain")))
        return step, (path, json.dumps(draw(OBJECTS | JSON)), content_type)
    form = {"name": draw(TEXT), "email": draw(st.sampled_from(("a@b", "fuzz@example.test")) | TEXT)}
    return step, (form, draw(st.sampled_from((None, "/account/tokens", "//evil.example/", "/\\evil")) | TEXT))


def same_site(location: str) -> bool:
    """Whether a redirect stays on this site: a path, or this origin."""
    parts = urlsplit(location)
    return (not parts.scheme and not parts.netloc and location.startswith("/")) or location.startswith(ORIGIN + "/")


def run_sign_in_step(client: FlaskClient, step: str, argument: Any) -> Response:
    if step == "login":
        return send(client, "GET", "/auth/login", query_string=argument)
    if step == "login_with":
        return send(client, "GET", f"/auth/login/{argument}")
    if step == "callback":
        name, query, real_state = argument
        if real_state:  # start a real sign-in with the GitHub-type provider, and come back with its state
            started = send(client, "GET", "/auth/login/gh")
            query = query | {"state": parse_qs(urlsplit(started.location).query)["state"][0]}
        return send(client, "GET", "/auth/callback" + (f"/{name}" if name else ""), query_string=query)
    if step == "failure":
        return send(client, "GET", "/auth/failure", query_string={"reason": argument})
    if step == "post":  # any JSON (or text) to a sign-in page: no CSRF token, or no POST there
        path, data, content_type = argument
        return send(client, "POST", path, data=data, content_type=content_type)
    form, next_url = argument
    if next_url is not None:
        send(client, "GET", "/auth/login", query_string={"next": next_url})
    page = send(client, "GET", "/auth/dev")
    return send(client, "POST", "/auth/dev", data=form | {"csrf_token": csrf_token(page.get_data(as_text=True))})


EXPECTED_SIGN_IN = {
    "login": {200, 302},
    "login_with": {302, 404},
    "callback": {302},
    "failure": {401},
    "dev": {302, 400},
    "post": {400, 405},
}


def sign_in_bug(step: str, argument: Any) -> str | None:
    """The known bug (B8) a sign-in step hits: a callback with its real state, no code and no (or an empty) error."""
    if step != "callback":
        return None
    _, query, real_state = argument
    return "B8" if real_state and "code" not in query and not query.get("error") else None


def test_sign_in_fuzz(target: Target) -> None:
    """The sign-in pages with any parameters: no 5xx, documented statuses, redirects that stay on this site
    (or go to the configured provider), failure reasons from the known list only."""
    tally = Tally(
        "GET /auth/login, /auth/login/<name>, /auth/callback[/<name>], /auth/failure; POST /auth/dev; junk POSTs"
    )

    @bounded(200)
    @given(step=sign_in_steps())
    @tally.counted
    def run(step: tuple[str, Any]) -> None:
        name, argument = step
        response = run_sign_in_step(target.app.test_client(), name, argument)
        tally.saw(response, f"{name} {response.status_code}")
        if known_5xx(response, sign_in_bug(name, argument), tally):
            return
        assert_clean(response, f"{name} {argument!r}")
        assert response.status_code in EXPECTED_SIGN_IN[name], (name, response.status_code)
        if response.status_code == 302:
            assert same_site(response.location) or response.location.startswith(target.provider_url), response.location
        if name == "callback":
            reason = parse_qs(urlsplit(response.location).query).get("reason", ["signed in"])[0]
            assert reason == "signed in" or reason in FAILURE_REASONS, response.location
            tally.note(f"callback: {reason}")

    tally.run(run)
