"""The database (SQLite by default, PostgreSQL by URL), its migrations, and sessions."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from app import sessions
from app.extensions import db, migrate

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def init_app(app: Flask) -> None:
    """Bind the database, Flask-Migrate and the server-side session store to `app`."""
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _tune_sqlite)
    sessions.init_app(app)


def _tune_sqlite(connection, _record) -> None:
    """Let several gunicorn workers share one SQLite file: WAL, and wait on locks."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
