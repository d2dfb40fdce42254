"""The extension objects: the database's session ends with the request that made it."""

from __future__ import annotations

from flask import Flask

from app.extensions import db


def test_a_request_that_used_the_database_gives_its_connection_back(app: Flask, client):
    with app.app_context():
        pool = db.engine.pool
    assert client.get("/status").json["checks"]["database"] == "ok"  # it reads the database
    assert pool.checkedout() == 0


def test_a_session_opened_in_an_app_context_is_removed_when_the_context_ends(app: Flask):
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        session = db.session()
        assert session.in_transaction()
    assert not session.in_transaction()  # closed: its connection went back to the pool
    with app.app_context():
        assert not db.session.registry.has()  # a new context starts without one
