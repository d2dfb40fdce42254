"""The development sign-in, the session around it, and sign-out."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.users import User
from app.extensions import db
from tests.conftest import csrf_token


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_dev_sign_in_creates_the_user(app, client, auth):
    response = auth.dev_sign_in(name="Ada Lovelace", email="Ada@Example.test")
    assert response.status_code == 302 and response.location == "/auth/success"
    assert "Welcome, Ada Lovelace" in client.get("/").text
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.provider, user.subject, user.email) == ("dev", "ada@example.test", "ada@example.test")


def test_second_sign_in_updates_the_same_row(app, auth):
    auth.dev_sign_in(name="Ada")
    auth.sign_out()
    auth.dev_sign_in(name="Ada King")
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert [user.name for user in users] == ["Ada King"]


def test_invalid_form_is_a_400_with_messages(client):
    page = client.get("/auth/dev")
    response = client.post("/auth/dev", data={"name": "", "email": "nope", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text


def test_form_without_csrf_token_is_refused(client):
    response = client.post("/auth/dev", data={"name": "Eve", "email": "eve@example.test"})
    assert response.status_code == 400


def test_safe_next_is_honoured(auth):
    assert auth.dev_sign_in(next="/settings?tab=2").location == "/settings?tab=2"


def test_unsafe_next_is_ignored(auth):
    assert auth.dev_sign_in(next="//evil.example/x").location == "/auth/success"


def test_session_id_rotates_at_sign_in(app, client, auth):
    client.get("/auth/login?next=/x")  # the session exists before sign-in
    before = session_cookie(client)
    assert before
    auth.dev_sign_in()
    after = session_cookie(client)
    assert after and after != before
    # The id from before sign-in is gone from the store: it cannot be replayed.
    other = app.test_client()
    other.set_cookie("session", before)
    assert other.get("/").status_code == 302


def test_logout_needs_post_with_csrf(client, auth):
    auth.dev_sign_in()
    assert client.get("/auth/logout").status_code == 200  # a confirm page only
    assert client.get("/").status_code == 200
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200
    response = auth.sign_out()
    assert response.status_code == 200 and "signed out" in response.text
    assert client.get("/").status_code == 302


def test_logout_deletes_the_stored_session(app, client, auth):
    auth.dev_sign_in()
    cookie = session_cookie(client)
    auth.sign_out()
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/").status_code == 302


def test_dev_sign_in_absent_unless_enabled(make_app):
    client = make_app(OAUTH_PROVIDER="google", OAUTH_CLIENT_ID="i", OAUTH_CLIENT_SECRET="s").test_client()
    assert client.get("/auth/dev").status_code == 404
    assert client.get("/auth/login/dev").status_code == 404
