"""Rate limits shared by two instances through a real Redis (`liveboard/web/ratelimit.py`), and off while Redis
is away: the evening goes on unlimited rather than refused, and the limits apply again once Redis is back."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.conftest import LiveServer
from tests.live.conftest import wait_for
from tests.servers import RedisServer


def moves(server: LiveServer, phone: httpx.Client, count: int) -> list[int]:
    """`count` joins and leaves of one session, alternating: their status codes."""
    slot = server.slot(2, "Lokale 1")
    paths = [f"/e/demo/sessions/{slot.id}/{'join' if i % 2 == 0 else 'leave'}" for i in range(count)]
    return [phone.post(path).status_code for path in paths]


def same_phone(on: LiveServer, phone: httpx.Client) -> httpx.Client:
    """The same browser talking to another instance: its signed cookie goes with it."""
    other = on.client()
    other.cookies.set("lb_pid", phone.cookies["lb_pid"], domain="127.0.0.1")
    return other


def test_two_instances_share_a_participants_limit(pair: tuple[LiveServer, LiveServer]) -> None:
    a, b = pair
    phone = a.client()
    assert moves(a, phone, 16) == [303] * 16
    assert moves(b, same_phone(b, phone), 14) == [303] * 14
    assert moves(a, phone, 1) == [429]


def test_limits_fail_open_while_redis_is_away_and_apply_again_when_it_is_back(
    pair: tuple[LiveServer, LiveServer], redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    a, _ = pair
    phone = a.client()
    assert moves(a, phone, 1) == [303]
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="liveboard.web.ratelimit"):
        assert moves(a, phone, 40) == [303] * 40  # past the limit: nothing counts them while Redis is away
    warnings = [r for r in caplog.records if r.name == "liveboard.web.ratelimit"]
    assert len(warnings) == 1 and "rate limits are off" in warnings[0].getMessage()
    redis_server.start()
    codes: list[int] = []
    wait_for(lambda: codes.extend(moves(a, phone, 1)) or codes[-1] == 429, "the limit applies again", 30)
    assert set(codes) <= {303, 429}
