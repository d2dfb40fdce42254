"""The cache of verified tokens (app.oauth.verify.TokenCache): bounded, with deadlines, and read without its lock."""

from __future__ import annotations

import threading

from app.auth.principal import Principal
from app.oauth.verify import TokenCache


def principal(token_id: str) -> Principal:
    return Principal(f"user:{token_id}", token_id=token_id)


def test_a_token_is_read_back_until_its_deadline():
    cache = TokenCache()
    cache.put(("a", "aud"), principal("1"), 60, cache.generation)
    cache.put(("b", "aud"), principal("2"), -1, cache.generation)  # already past its deadline
    assert cache.get(("a", "aud")) == principal("1")
    assert cache.get(("a", "elsewhere")) is None
    assert cache.get(("b", "aud")) is None


def test_the_oldest_cached_goes_first_and_a_token_cached_again_is_the_newest():
    cache = TokenCache(size=2)
    for name in ("a", "b", "a", "c"):  # "a" again: now newer than "b"
        cache.put((name, "aud"), principal(name), 60, cache.generation)
    assert [cache.get((name, "aud")) is not None for name in ("a", "b", "c")] == [True, False, True]


def test_a_lookup_that_began_before_a_revocation_caches_nothing():
    cache = TokenCache()
    generation = cache.generation
    cache.forget([7])
    cache.put(("a", "aud"), principal("7"), 60, generation)
    assert cache.get(("a", "aud")) is None


def test_reads_do_not_wait_for_a_writer():
    """Every /mcp call reads the cache: it must not queue behind a worker's thread holding the lock to write."""
    cache = TokenCache()
    cache.put(("a", "aud"), principal("1"), 60, cache.generation)
    read: list[Principal | None] = []
    with cache.lock:
        reader = threading.Thread(target=lambda: read.append(cache.get(("a", "aud"))))
        reader.start()
        reader.join(timeout=5)
        answered_while_held = list(read)
    reader.join()
    assert answered_while_held == [principal("1")]
