"""The shared store (app/kv.py): what a failure leaves behind."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DataError

from app import kv


@pytest.mark.services
def test_a_failed_write_leaves_the_database_store_usable(make_app, postgres_url):
    """A write PostgreSQL refuses is rolled back: the session (a task's thread keeps one for its whole run) goes on."""
    app = make_app(DATABASE_URL=postgres_url)
    with app.app_context():
        store = kv.store()
        with pytest.raises(DataError):
            store.set("k" * 300, {}, 60)  # longer than the key column
        store.set("fine", {"a": 1}, 60)
        assert store.get("fine") == {"a": 1}
        assert store.lock("held", 60) and not store.lock("held", 60)
