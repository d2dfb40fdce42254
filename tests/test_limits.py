"""Rate limits: 429 with Retry-After, shaped for each surface."""

from __future__ import annotations

import secrets

import pytest
import redis
from sqlalchemy import event

from app.auth.users import Profile, upsert_user
from app.extensions import db
from app.oauth import personal
from config import ConfigError
from tests.conftest import csrf_token
from tests.support.mcp_client import McpActions
from tests.support.services import free_port


def test_mcp_is_limited_per_credential(make_app):
    app = make_app(MCP_STATIC_TOKENS="one,two", MCP_RATE_LIMIT="3 per minute", MCP_TOOL_PACKAGES="app.tools")
    first, second = McpActions(app.test_client(), token="one"), McpActions(app.test_client(), token="two")
    assert [first.legacy("ping").status_code for _ in range(3)] == [200, 200, 200]
    limited = first.legacy("ping")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["jsonrpc"] == "2.0" and "error" in limited.get_json()
    assert second.legacy("ping").status_code == 200  # another credential has its own budget


def test_invalid_bearer_tokens_are_limited_per_address_before_any_lookup(make_app):
    """Each random token was a credential of its own, so never limited, and each cost a database lookup."""
    app = make_app(MCP_INVALID_TOKEN_RATE_LIMIT="5 per minute", MCP_TOOL_PACKAGES="app.tools")
    client = app.test_client()
    with app.app_context():
        user = upsert_user("dev", Profile(subject="ada@example.test", email="ada@example.test", name="Ada"))
        _, valid = personal.create(user.id, "script", "mcp", 1, "http://localhost/mcp")
    assert McpActions(client, token=valid).legacy("ping").status_code == 200  # verified: now cached
    lookups = []
    with app.app_context():
        listen = (db.engine, "before_cursor_execute")
        event.listen(*listen, lambda *args: lookups.append(args[2]) if "oauth_tokens" in args[2] else None)
        codes = [McpActions(client, token=secrets.token_urlsafe(32)).legacy("ping").status_code for _ in range(30)]
        assert codes == [401] * 5 + [429] * 25
        assert len(lookups) == 5, "a refused request looked its token up"
        refused = McpActions(client, token="another-bad-one").legacy("ping")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert McpActions(client, token=valid).legacy("ping").status_code == 200  # a known token still works
        assert McpActions(app.test_client(), token=valid).legacy("ping").status_code == 200


def test_token_endpoint_is_limited_with_an_oauth_error(make_app):
    client = make_app(TOKEN_RATE_LIMIT="2 per minute").test_client()
    codes = [client.post("/oauth/token", data={"grant_type": "authorization_code"}).status_code for _ in range(3)]
    assert codes[:2] == [401, 401] and codes[2] == 429
    limited = client.post("/oauth/token", data={})
    assert limited.json["error"] == "temporarily_unavailable" and "Retry-After" in limited.headers


def test_sign_in_is_limited(make_app):
    client = make_app(SIGN_IN_RATE_LIMIT="2 per minute").test_client()
    assert [client.get("/auth/dev").status_code for _ in range(3)] == [200, 200, 429]
    page = client.get("/auth/dev")
    assert "Too Many Requests" in page.text or "too many" in page.text.lower()


def test_the_views_of_one_page_share_its_limit(make_app):
    """The form and its post are two views (one per method) but one page: one budget between them."""
    client = make_app(SIGN_IN_RATE_LIMIT="2 per minute", AUTHORIZE_RATE_LIMIT="2 per minute").test_client()
    token = csrf_token(client.get("/auth/dev").text)
    assert client.post("/auth/dev", data={"csrf_token": token}).status_code == 400  # no name: refused, and counted
    assert client.get("/auth/dev").status_code == 429
    assert client.get("/oauth/authorize").status_code == 400  # no parameters
    assert client.post("/oauth/authorize", data={"csrf_token": token}).status_code == 400
    assert client.get("/oauth/authorize").status_code == 429


def test_bad_limits_stop_start_up(make_app):
    with pytest.raises(ConfigError, match="MCP_RATE_LIMIT"):
        make_app(MCP_RATE_LIMIT="lots")


def test_limits_shared_through_redis(make_app, postgres_url, redis_url):
    settings = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "MCP_STATIC_TOKENS": "one",
        "MCP_RATE_LIMIT": "2 per minute",
    }
    first, second = (
        McpActions(make_app(**settings).test_client(), "one"),
        McpActions(make_app(**settings).test_client(), "one"),
    )
    assert first.legacy("ping").status_code == second.legacy("ping").status_code == 200
    assert first.legacy("ping").status_code == 429  # the other instance's requests counted


def test_a_count_in_redis_is_one_round_trip_without_a_transaction(make_app, redis_url):
    """Each /mcp call counts in Redis: INCR and EXPIRE go in one round trip, without MULTI and EXEC (two commands
    more, and their replies, for an atomicity a counter does not need), and replies are parsed in C (hiredis)."""
    app = make_app(REDIS_URL=redis_url, MCP_STATIC_TOKENS="one", MCP_RATE_LIMIT="100 per minute")
    client = redis.Redis.from_url(redis_url)
    mcp = McpActions(app.test_client(), "one")
    before = client.info("commandstats")
    assert [mcp.legacy("ping").status_code for _ in range(3)] == [200, 200, 200]
    after = client.info("commandstats")

    def calls(command: str) -> int:
        stat = f"cmdstat_{command}"
        return after.get(stat, {}).get("calls", 0) - before.get(stat, {}).get("calls", 0)

    assert (calls("incrby"), calls("expire"), calls("multi"), calls("exec")) == (3, 3, 0, 0)
    (key,) = client.keys("limit:MCP_RATE_LIMIT:*")
    assert 0 < client.ttl(key) <= 120
    assert redis.utils.HIREDIS_AVAILABLE


def test_invalid_tokens_from_one_ipv6_network_count_together(make_app):
    """A host usually holds a whole /64: a fresh address per request must not mean a fresh budget."""
    client = make_app(MCP_INVALID_TOKEN_RATE_LIMIT="3 per minute", MCP_TOOL_PACKAGES="app.tools").test_client()

    def from_address(address: str) -> int:
        client.environ_base["REMOTE_ADDR"] = address
        return McpActions(client, token=secrets.token_urlsafe(32)).legacy("ping").status_code

    assert [from_address(f"2001:db8:0:1::{n}") for n in range(1, 6)] == [401, 401, 401, 429, 429]
    assert from_address("2001:db8:0:2::1") == 401  # another /64


def test_limits_hold_per_process_while_redis_is_down(make_app):
    """An outage of the shared store must not lift the limits: each process counts on its own meanwhile."""
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", TOKEN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    codes = [client.post("/oauth/token", data={"grant_type": "authorization_code"}).status_code for _ in range(3)]
    assert codes[:2] == [401, 401] and codes[2] == 429
