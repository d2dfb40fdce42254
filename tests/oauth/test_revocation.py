"""A revoked token stops working everywhere: at once where it was revoked, within a moment elsewhere through Redis,
and within TOKEN_CACHE_SECONDS when a worker cannot hear about it."""

from __future__ import annotations

import re
import secrets
import time

import redis
from sqlalchemy import update

from app import broadcast
from app.clock import utcnow
from app.extensions import db
from app.oauth import revocation, verify
from app.oauth.models import Token
from tests.conftest import AuthActions, csrf_token
from tests.oauth.test_personal import new_token, ping
from tests.support.waiting import wait_until


def test_a_revocation_reaches_another_instance_through_redis(make_app, postgres_url, redis_url):
    """TOKEN_CACHE_SECONDS is 300 here: only the revocation message can make B refuse the token within seconds."""
    settings = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TOKEN_CACHE_SECONDS": "300",
    }
    a, b = make_app(**settings).test_client(), make_app(**settings).test_client()
    AuthActions(a).dev_sign_in()
    value = re.search(r'id="new-token"[^>]*value="([^"]+)"', new_token(a).text).group(1)
    assert ping(b, value).status_code == 200  # B has verified it, and trusts it from its cache now
    page = a.get("/account/tokens")
    listing = page.text
    found = re.search(r"/account/tokens/(\d+)/revoke", listing)
    assert found, f"no Revoke on /account/tokens (HTTP {page.status_code}): {listing[:800]}"  # seen once in CI
    token_id = found.group(1)
    revoked_at = time.monotonic()
    assert a.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(listing)}).status_code == 302
    wait_until(lambda: ping(b, value).status_code == 401, "B refusing the revoked token", 3)
    print(f"\nB refused the token {time.monotonic() - revoked_at:.3f} s after A revoked it")


def test_a_worker_that_lost_its_subscription_forgets_what_it_cached(make_app, postgres_url, redis_url):
    """Messages sent while a worker was not subscribed are lost: it forgets its cache when it subscribes again."""
    settings = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "TOKEN_CACHE_SECONDS": "300"}
    app = make_app(**settings)
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    value = re.search(r'id="new-token"[^>]*value="([^"]+)"', new_token(client).text).group(1)
    assert ping(client, value).status_code == 200  # the listener started: it empties the cache when subscribed
    listener = app.extensions["revocation_listener"]
    assert listener.hearing.wait(5)
    assert ping(client, value).status_code == 200  # cached now
    with app.app_context():
        db.session.execute(update(Token).values(revoked_at=utcnow()))  # revoked, and nobody told
        db.session.commit()
    assert ping(client, value).status_code == 200  # the cache still trusts it
    store = redis.Redis.from_url(redis_url)
    store.client_kill_filter(_type="pubsub")  # the listener's connection drops; it subscribes again
    wait_until(lambda: ping(client, value).status_code == 401, "the worker forgetting its cache", 5)
    store.close()


def test_a_token_revoked_during_its_lookup_is_not_cached(make_app, monkeypatch):
    """The row is read as valid, the token is revoked and the revocation heard, then the lookup would cache it."""
    app = make_app(TOKEN_CACHE_SECONDS="300")
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    value = re.search(r'id="new-token"[^>]*value="([^"]+)"', new_token(client).text).group(1)
    read_row = verify._look_up

    def read_then_revoked(*key):
        found = read_row(*key)
        revocation.revoke(Token.kind == "personal")  # another request revokes it; this worker hears of it
        return found

    monkeypatch.setattr(verify, "_look_up", read_then_revoked)
    assert ping(client, value).status_code == 200  # the lookup read it before the revocation
    monkeypatch.setattr(verify, "_look_up", read_row)
    assert ping(client, value).status_code == 401  # and did not cache it


def test_a_listener_whose_redis_stops_answering_subscribes_again(make_app, postgres_url, redis_url, monkeypatch):
    """A connection can die without a reset (a dropped route, a frozen server): a PING that gets no PONG ends it."""
    monkeypatch.setattr(broadcast, "HEALTH_SECONDS", 0.5)
    monkeypatch.setattr(broadcast, "ANSWER_SECONDS", 0.5)
    app = make_app(DATABASE_URL=postgres_url, REDIS_URL=redis_url, TOKEN_CACHE_SECONDS="300")
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    value = re.search(r'id="new-token"[^>]*value="([^"]+)"', new_token(client).text).group(1)
    assert ping(client, value).status_code == 200
    assert app.extensions["revocation_listener"].hearing.wait(5)
    assert ping(client, value).status_code == 200  # cached now
    with app.app_context():
        db.session.execute(update(Token).values(revoked_at=utcnow()))  # revoked, and nobody told
        db.session.commit()
    store = redis.Redis.from_url(redis_url)
    store.client_pause(2500, all=True)  # Redis holds every reply: the listener's PING goes unanswered
    wait_until(lambda: not app.extensions["revocation_listener"].hearing.is_set(), "the listener giving up", 5)
    wait_until(lambda: ping(client, value).status_code == 401, "the worker forgetting its cache", 10)
    store.close()
