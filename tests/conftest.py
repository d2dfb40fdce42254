"""Fixtures: apps made from environment-style settings, clients, and a sign-in helper."""

from __future__ import annotations

import functools
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app, storage
from app.extensions import db
from app.oauth import audit
from tests.support import services, stores
from tests.support.oidc import OidcProvider, start_oidc_provider

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


#: What a fixture brings with it besides Python: a test using it gets the marker, so `make test-fast` can leave
#: it out (with tests/fuzz/, marked `fuzz`).
NEEDS = {"postgres_url": "services", "redis_url": "services", "oidc_provider": "node", "mcp_server": "live"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in NEEDS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
        if item.nodeid.startswith("tests/fuzz/"):
            item.add_marker("fuzz")


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form in `html`."""
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def build_app(database: Path, **settings: str) -> Flask:
    """Create a test app on the SQLite file `database` and migrate it; keyword arguments are settings.

    A new SQLite file starts as a copy of one migrated once per test run (running the
    migrations for every test would cost more than most tests).
    """
    environ = {
        "APP_ENV": "testing",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{database}",
        "OAUTH_PROVIDER": "dev",
        "SESSION_COOKIE_SECURE": "false",
        **settings,
    }
    copied = environ["DATABASE_URL"] == f"sqlite:///{database}" and not database.exists()
    if copied:
        shutil.copyfile(_migrated_sqlite(), database)
    app = create_app(environ)
    if not copied:
        _migrate(app)
    return app


@functools.cache
def _migrated_sqlite() -> Path:
    """A SQLite file with every migration applied, made once per test run."""
    path = Path(tempfile.mkdtemp(prefix="migrated-")) / "migrated.db"
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": f"sqlite:///{path}", "OAUTH_PROVIDER": "dev"})
    _migrate(app)
    with app.app_context():
        with db.engine.connect() as connection:  # WAL mode: fold the log into the file before it is copied
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return path


def _migrate(app: Flask) -> None:
    storage.enable_migrations(app)
    with app.app_context():
        flask_migrate.upgrade()


@pytest.fixture
def make_app(tmp_path) -> Iterator[Callable[..., Flask]]:
    """Return a factory of migrated test apps; keyword arguments are settings."""
    made: list[Flask] = []

    def make(**settings: str) -> Flask:
        app = build_app(tmp_path / "test.db", **settings)
        made.append(app)
        return app

    yield make
    audit.flush()  # the tool calls noted: written now, not by the writer thread once the database is gone
    for app in made:  # stop what listens, then close pooled connections, so none outlives its test
        if "revocation_listener" in app.extensions:
            app.extensions["revocation_listener"].stop()
        if "mcp_changes" in app.extensions:
            app.extensions["mcp_changes"].stop()
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
        if "redis" in app.extensions:
            app.extensions["redis"].close()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    """Sign in and out through the real pages, CSRF tokens included."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def dev_sign_in(self, name: str = "Ada Lovelace", email: str = "ada@example.test", next: str | None = None):
        if next is not None:
            self._client.get("/auth/login", query_string={"next": next})
        page = self._client.get("/auth/dev")
        data = {"name": name, "email": email, "csrf_token": csrf_token(page.text)}
        return self._client.post("/auth/dev", data=data)

    def sign_out(self):
        page = self._client.get("/auth/logout")
        return self._client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Return a URL of the machine's PostgreSQL, on a schema of this test's own."""
    with stores.postgres_schema() as url:
        yield url


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Return a URL of the machine's Redis, on a database emptied for this test."""
    with stores.redis_database() as url:
        yield url


#: Redirect URIs the test provider's client accepts: the Flask test client's callbacks.
TEST_CLIENT_CALLBACKS = [
    "http://localhost/auth/callback",
    "http://localhost/auth/callback/corp",
    "http://localhost/connections/elsewhere/callback",
    "http://localhost/connections/beta/callback",
]


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """Run the real OpenID provider of tests/support/oidc_provider for the session."""
    services.require(services.have_node(), "Node.js and npm (for the test OpenID provider)")
    provider = start_oidc_provider(TEST_CLIENT_CALLBACKS)
    yield provider
    provider.stop()


@pytest.fixture
def oidc_settings(oidc_provider: OidcProvider) -> dict[str, str]:
    """Settings that sign in through the test provider with discovery."""
    return {
        "OAUTH_PROVIDER": "oidc",
        "OAUTH_ISSUER": oidc_provider.issuer,
        "OAUTH_CLIENT_ID": oidc_provider.client_id,
        "OAUTH_CLIENT_SECRET": oidc_provider.client_secret,
    }
