"""The test servers behave as the tests that restart them assume: same port, and clients that come back."""

from __future__ import annotations

import pytest
import redis
from servers import PostgresServer, RedisServer
from sqlalchemy import text

from liveboard.db import Database


def test_the_app_reconnects_after_a_postgres_restart(postgres: PostgresServer, pg_database: Database) -> None:
    with pg_database.read() as db:
        assert db.exec(text("SELECT 1")).scalar_one() == 1  # type: ignore[call-overload]
    port = postgres.port
    postgres.restart()
    assert postgres.port == port
    # The pooled connection died with the old server; the pre-ping notices and opens a new one.
    with pg_database.read() as db:
        assert db.exec(text("SELECT 1")).scalar_one() == 1  # type: ignore[call-overload]


def test_redis_comes_back_on_the_same_port_empty(redis_server: RedisServer) -> None:
    url = redis_server.url
    client = redis.Redis.from_url(url)
    try:
        client.set("lb-test", "1")
        redis_server.stop()
        with pytest.raises(redis.ConnectionError):
            client.get("lb-test")
        redis_server.start()
        assert redis_server.url == url
        assert client.get("lb-test") is None  # no persistence: a restart starts empty
        assert client.ping()
    finally:
        client.close()
        redis_server.start()
