"""The database (SQLite by default, PostgreSQL by URL), its migrations, sessions and the shared store."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import event

from app import kv, sessions
from app.extensions import db, this_app

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


class MigrationCommands(click.Group):
    """`flask db ...`: Flask-Migrate's command group, loaded when it runs.

    Flask-Migrate brings Alembic, Mako and Pygments, about 11 MB in every process
    that imports them; servers never migrate, so only the `flask db` command does.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra):
        return _migration_commands(parent).make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    """Bind the database and (with REDIS_URL) the Redis client to `app`, then the stores built on them:
    browser sessions and the shared store; add `flask db`."""
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    app.cli.add_command(MigrationCommands("db", help="Database migrations (Flask-Migrate)."))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _tune_sqlite)
    if app.config["REDIS_URL"]:
        # One client for the app: sessions, the shared store, rate limits, revocations and /status use it.
        app.extensions["redis"] = _redis_client(app.config["REDIS_URL"])
    sessions.init_app(app)
    kv.init_app(app)


def _redis_client(url: str):
    """A Redis client (redis is imported only when REDIS_URL is set: about 6 MB per process)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=5)


def enable_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to `app`, so its commands and functions (`flask_migrate.upgrade`) work."""
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=MIGRATIONS)


def _migration_commands(parent: click.Context | None) -> click.Group:
    """Flask-Migrate's group, bound to the app the CLI loaded (`flask`, or a test CLI runner)."""
    from flask_migrate.cli import db as commands

    info = parent.find_object(ScriptInfo) if parent is not None else None
    enable_migrations(info.load_app() if info is not None else this_app())
    return commands


def _tune_sqlite(connection, _record) -> None:
    """Let several gunicorn workers share one SQLite file: WAL, and wait on locks.

    In WAL mode `synchronous=NORMAL` syncs at checkpoints, not at every commit: a commit costs no fsync (about
    a millisecond here, during which a gevent worker serves nothing), and the file cannot be corrupted; only a
    power loss or an operating-system crash may take the last commits back (a crash of the app loses nothing).
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
