"""Housekeeping keeps the authorization server's tables bounded: what is past its use goes, in batches."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta

from sqlalchemy import func, insert, select

from app.auth.users import User
from app.clock import utcnow
from app.extensions import db
from app.oauth import housekeeping
from app.oauth.models import AuthorizationCode, Consent, OAuthClient, Token
from tests.conftest import AuthActions

ROWS = 10_000


def a_person(app) -> int:
    with app.app_context():
        person = User(subject="dev:keeper", provider="dev", email="keeper@example.test", name="Keeper")
        db.session.add(person)
        db.session.commit()
        return person.id


def code(client_id: str, user_id: int, expires_in: timedelta) -> dict:
    return {
        "code_hash": secrets.token_hex(32), "client_id": client_id, "user_id": user_id, "redirect_uri": "r",
        "scope": "mcp", "resource": "r", "code_challenge": "c", "code_challenge_method": "S256",
        "family": secrets.token_hex(8), "expires_at": utcnow() + expires_in, "used": True,
    }  # fmt: skip


def token(client_id: str, user_id: int, **times: object) -> dict:
    return {
        "kind": "oauth", "family": secrets.token_hex(8), "client_id": client_id, "user_id": user_id, "scope": "mcp",
        "resource": "r", "access_hash": secrets.token_hex(32), "refresh_hash": secrets.token_hex(32),
        "expires_at": utcnow() - timedelta(days=60), "refresh_expires_at": None, **times,
    }  # fmt: skip


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (AuthorizationCode, Token, Consent, OAuthClient)
        }


def test_what_is_past_its_use_goes_and_the_rest_stays(make_app):
    app = make_app()
    user_id = a_person(app)
    now, long_ago = utcnow(), utcnow() - timedelta(days=400)
    with app.app_context():
        db.session.add_all([
            OAuthClient(client_id="granted", kind="registered", metadata_json="{}", created_at=long_ago,
                        granted_at=long_ago),
            OAuthClient(client_id="never-granted", kind="registered", metadata_json="{}", created_at=long_ago),
            OAuthClient(client_id="new", kind="registered", metadata_json="{}"),
            Consent(user_id=user_id, client_id="granted", scope="mcp"),
            Consent(user_id=user_id, client_id="gone-client", scope="mcp"),
        ])  # fmt: skip
        rows = [
            code("granted", user_id, -timedelta(hours=7)),  # goes: expired 7 hours ago
            code("granted", user_id, -timedelta(hours=1)),  # stays: still catches a replay
            code("gone-client", user_id, timedelta(minutes=5)),  # goes: its client is gone
        ]
        db.session.execute(insert(AuthorizationCode), rows)
        db.session.execute(insert(Token), [
            token("granted", user_id, refresh_expires_at=now - timedelta(days=8)),  # goes
            token("granted", user_id, refresh_expires_at=now + timedelta(days=8), rotated_at=now),  # stays: reuse
            token("granted", user_id, revoked_at=now - timedelta(days=8), refresh_expires_at=now + timedelta(days=9)),
            token("granted", user_id, revoked_at=now - timedelta(days=1), expires_at=now),  # stays: revoked a day ago
            token("granted", user_id, refresh_hash=None, expires_at=now + timedelta(days=30)),  # stays
        ])  # fmt: skip
        db.session.commit()
        purged = housekeeping.purge()
        kept_clients = set(db.session.scalars(select(OAuthClient.client_id)))
        kept_consents = set(db.session.scalars(select(Consent.client_id)))
    assert purged == {"codes": 2, "tokens": 2, "consents": 1, "registrations": 1, "events": 0}
    assert kept_clients == {"granted", "new"} and kept_consents == {"granted"}
    assert counts(app)["oauth_tokens"] == 3 and counts(app)["oauth_codes"] == 1


def test_ten_thousand_expired_rows_go_in_batches_beside_sign_ins(make_app, postgres_url):
    # Sign-ins go on for as long as the purge takes: on a loaded machine, more than 30 a minute.
    app = make_app(DATABASE_URL=postgres_url, SIGN_IN_RATE_LIMIT="10000 per minute")
    user_id = a_person(app)
    with app.app_context():
        db.session.add(OAuthClient(client_id="busy", kind="registered", metadata_json="{}", granted_at=utcnow()))
        db.session.execute(insert(AuthorizationCode), [code("busy", user_id, -timedelta(days=1)) for _ in range(ROWS)])
        expired = utcnow() - timedelta(days=30)
        db.session.execute(insert(Token), [token("busy", user_id, refresh_expires_at=expired) for _ in range(ROWS)])
        db.session.commit()
    sign_ins: list[float] = []
    failures: list[str] = []
    done = threading.Event()

    def sign_in_repeatedly() -> None:
        number = 0
        while not done.is_set() or number < 3:
            number += 1
            started = time.monotonic()
            try:
                response = AuthActions(app.test_client()).dev_sign_in(email=f"p{number}@example.test")
            except AssertionError as error:  # the sign-in page came back without its form
                failures.append(f"sign-in {number}: {error}")
                return
            sign_ins.append(time.monotonic() - started)
            if response.status_code != 302:
                failures.append(f"sign-in {number}: {response.status_code}")

    signing = threading.Thread(target=sign_in_repeatedly)
    signing.start()
    try:
        with app.app_context():
            started = time.monotonic()
            purged = housekeeping.purge()
            took = time.monotonic() - started
    finally:
        done.set()
        signing.join(timeout=60)
    print(f"\npurged {purged} in {took:.1f} s in batches of {housekeeping.BATCH}; {len(sign_ins)} sign-ins meanwhile, "
          f"the slowest {max(sign_ins):.2f} s")  # fmt: skip
    # The sign-ins start housekeeping too (a few batches each): between them, every row went.
    assert counts(app)["oauth_codes"] == 0 and counts(app)["oauth_tokens"] == 0
    assert purged["codes"] + purged["tokens"] > ROWS
    assert not failures and len(sign_ins) >= 3 and max(sign_ins) < 5.0
