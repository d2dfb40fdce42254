"""Server-side browser sessions with Flask-Session: in the database, or in Redis.

The cookie holds only a random session id; the data lives in the shared store, so
any worker of any instance serves any request.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

from flask import Flask, Request, Response, current_app
from flask_session.base import ServerSideSessionInterface
from flask_session.sqlalchemy import SqlAlchemySessionInterface
from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm import Mapped, mapped_column

from app import hooks
from app.errors import handle_store_down, store_errors
from app.extensions import db
from app.security import bearer_token


class SessionRecord(db.Model):
    """One browser session, as Flask-Session's SQLAlchemy backend stores it."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expiry: Mapped[datetime | None] = mapped_column(DateTime)


SESSION_ERROR = "app.session_error"
#: An unchanged session is stored again, its expiry moved on, at most this often (seconds).
REFRESH_SECONDS = 3600
REFRESHED_AT = "_refreshed_at"


class NoSessionForBearer:
    """Requests with a bearer token get no session: no store lookup, no cookie.

    An MCP client's call carries its own credential and never needs a browser session.
    (Only Bearer: a proxy's Basic authentication in front of the site must not cost
    people their sessions.)
    """

    def open_session(self, app: Flask, request):
        if bearer_token(request.environ.get("HTTP_AUTHORIZATION")) is not None:
            return self.make_null_session(app)
        try:
            return super().open_session(app, request)
        # Flask-Session retries a failed query without a rollback, so a connection lost
        # mid-load fails its retry with PendingRollbackError: the store is just as unavailable.
        except (*store_errors(app), PendingRollbackError) as error:
            # Loading happens before the request is dispatched, where error handlers
            # (and the after-request hooks that add headers) do not run. Carry the
            # failure into the request instead (see `answer_store_error`).
            request.environ[SESSION_ERROR] = error
            return self.make_null_session(app)


class HashedSessionIds:
    """Keep sessions under a keyed hash of their ids, not the ids themselves.

    The store then holds nothing a cookie could be made from: a database backup or a
    read of Redis signs no one in without SECRET_KEY (as tokens, codes and secrets are
    kept as hashes). Changing SECRET_KEY therefore signs everyone out.
    """

    _id_key: bytes | None = None

    def _get_store_id(self, sid: str) -> str:
        if self._id_key is None:  # one interface per app: derived from its key on first use
            self._id_key = hmac.new(current_app.secret_key.encode(), b"browser session ids", hashlib.sha256).digest()
        return self.key_prefix + hmac.new(self._id_key, sid.encode(), hashlib.sha256).hexdigest()


class StoredWhenChanged:
    """Store a session when a request changed it, and an unchanged one about once an hour (sliding expiry).

    Flask-Session stores every permanent session at the end of every request. Requests of one browser run side by
    side (a page's assets, the playground's calls to /mcp), so one that loaded the session before another changed
    it wrote its older copy back over the change: a form's CSRF token, put in the session as the page was made,
    was gone when the form was posted.
    """

    def should_set_storage(self, app: Flask, session) -> bool:
        return session.modified

    def save_session(self, app: Flask, session, response: Response) -> None:
        if session and time.time() - session.get(REFRESHED_AT, 0) > REFRESH_SECONDS:
            session[REFRESHED_AT] = time.time()  # a change: stored, with a new expiry
        return super().save_session(app, session, response)


def answer_store_error(req: Request) -> Response | None:
    """Answer 503 (errors.handle_store_down) if the request's session could not load."""
    error = req.environ.get(SESSION_ERROR)
    return handle_store_down(error) if error is not None else None


class DatabaseSessionInterface(HashedSessionIds, NoSessionForBearer, StoredWhenChanged, SqlAlchemySessionInterface):
    """Flask-Session's SQLAlchemy backend over the model above.

    The stock backend defines its model anew for every app and creates the table at
    start-up; here the model is defined once and the table comes from the migrations,
    so several apps can share `db` and start-up touches no database. Expired rows go
    at each sign-in (and with `flask session_cleanup`), not at random on any request.
    """

    def __init__(self, app: Flask, **options) -> None:
        self.client = db
        self.sql_session_model = SessionRecord
        ServerSideSessionInterface.__init__(self, app, **options)

    def regenerate(self, session) -> None:
        super().regenerate(session)
        self._delete_expired_sessions()


def init_app(app: Flask) -> None:
    """Install the session interface: in Redis when the app has a Redis client, else in the database."""
    hooks.before(app, answer_store_error)
    options = {"key_prefix": "session:", "permanent": True, "sid_length": 32}
    if "redis" in app.extensions:
        app.session_interface = _redis_sessions(app, options)
    else:
        app.session_interface = DatabaseSessionInterface(app, **options)


def _redis_sessions(app: Flask, options: dict) -> ServerSideSessionInterface:
    """Flask-Session's Redis backend (loaded only with Redis)."""
    from flask_session.redis import RedisSessionInterface

    class RedisSessions(HashedSessionIds, NoSessionForBearer, StoredWhenChanged, RedisSessionInterface):
        pass

    return RedisSessions(app, client=app.extensions["redis"], **options)
