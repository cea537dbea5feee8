"""Two instances relaying through a real Redis: what one commits, the other's clients see; when Redis goes
away, both keep serving and say that live updates are interrupted; when it returns, everyone catches up.

The two instances are real uvicorn servers in this process, on one SQLite file (SQLite takes writers from
several processes); the multi-process cluster on PostgreSQL behind nginx is in tests/scale.
"""

from __future__ import annotations

import json
import re
from contextlib import ExitStack

import httpx
import pytest
import redis
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.config import ConfigError, Settings
from liveboard.live.redis_hub import PREFIX
from tests.conftest import LiveServer
from tests.live.conftest import wait_for
from tests.live.test_websocket import WAIT, Watch
from tests.servers import RedisServer

#: The relay banner as sent when shown, and when hidden again.
SHOWN = r'<p id="live-relay" class="live-status" role="status" hx-swap-oob="true">'
HIDDEN = r'<p id="live-relay" class="live-status" role="status" hx-swap-oob="true" hidden>'


def screen(stack: ExitStack, server: LiveServer, v: int | None = None) -> Watch:
    url = server.url.replace("http://", "ws://") + f"/e/demo/ws?view=screen&lang=en&v={'' if v is None else v}"
    ws = stack.enter_context(connect(url, origin=Origin(server.url), open_timeout=WAIT))
    return Watch(ws, f"screen on {server.url}")


def count_in(frame: str, session_id: int) -> int | None:
    found = re.search(rf'id="count-{session_id}"[^>]*>(\d+)<', frame)
    return int(found.group(1)) if found else None


def join(server: LiveServer, session_id: int) -> httpx.Response:
    """A new participant checks in to a session (a fresh browser: its own cookie)."""
    response = server.client().post(f"/e/demo/sessions/{session_id}/join")
    assert response.status_code == 303, response.text
    return response


def health(server: LiveServer) -> dict[str, object]:
    return httpx.get(f"{server.url}/healthz", timeout=WAIT).json()


def test_a_change_on_one_instance_reaches_the_screens_of_both(pair: tuple[LiveServer, LiveServer]) -> None:
    a, b = pair
    slot = a.slot(1, "Lokale 1")
    with ExitStack() as stack:
        on_a, on_b = screen(stack, a), screen(stack, b)
        on_a.until("live-relay"), on_b.until("live-relay")  # their first, whole state
        a.wait_live(1), b.wait_live(1)
        before = a.present(slot)
        version = int(join(a, slot.id).headers["X-LiveBoard-Version"])
        for watch in (on_a, on_b):
            frame = watch.until(rf'data-v="{version}"')
            assert count_in(frame, slot.id) == before + 1
        # And the other way round: B commits, A's screen shows it.
        version = int(join(b, slot.id).headers["X-LiveBoard-Version"])
        assert count_in(on_a.until(rf'data-v="{version}"'), slot.id) == before + 2
        assert count_in(on_b.until(rf'data-v="{version}"'), slot.id) == before + 2
        # Each instance delivers its own change once: it ignores its own message coming back from Redis.
        assert on_a.quiet(0.5) == [] and on_b.quiet(0.5) == []
    assert health(a) == {"status": "ok", "database": True, "broadcast": "redis", "relaying": True}


def test_without_redis_both_serve_and_say_so_and_catch_up_when_it_returns(
    pair: tuple[LiveServer, LiveServer], redis_server: RedisServer
) -> None:
    a, b = pair
    slot, other = a.slot(1, "Lokale 1"), a.slot(1, "Lokale 2")
    with ExitStack() as stack:
        on_b = screen(stack, b)
        on_b.until("live-relay")
        b.wait_live(1)

        redis_server.stop()
        on_b.until(SHOWN)
        assert health(a)["relaying"] is False and health(b)["relaying"] is False
        assert health(b)["status"] == "ok"

        # Pages and forms keep working on both; B's own changes still reach B's screens.
        assert a.client().get("/e/demo").status_code == 200
        join(a, slot.id)
        join(a, slot.id)
        version = int(join(b, other.id).headers["X-LiveBoard-Version"])
        frame = on_b.until(rf'data-v="{version}"')
        assert count_in(frame, other.id) == b.present(other)
        # A screen that connects now is told at once.
        late = screen(stack, b, v=version)
        late.until(SHOWN)

        redis_server.start()
        # Without a reload: the banner goes, and what A committed meanwhile arrives.
        for watch in (on_b, late):
            text = watch.until(HIDDEN, seconds=10)
            shown = [count_in(f, slot.id) for f in [*watch.frames, text] if count_in(f, slot.id) is not None]
            assert shown and shown[-1] == a.present(slot), watch.name
        assert health(b)["relaying"] is True


def test_after_redis_crashes_and_restarts_empty_the_screens_catch_up(
    pair: tuple[LiveServer, LiveServer], redis_server: RedisServer
) -> None:
    """A crash (SIGKILL), not a shutdown; Redis comes back with nothing, since it only ever relayed."""
    a, b = pair
    slot = a.slot(2, "Lokale 3")
    with ExitStack() as stack:
        on_b = screen(stack, b)
        on_b.until("live-relay")
        b.wait_live(1)
        redis_server.kill()
        wait_for(lambda: not a.app.state.hub.relaying, "A noticed that Redis is gone")
        join(a, slot.id)
        redis_server.start()
        on_b.until_true(lambda f: count_in(f, slot.id) == a.present(slot), seconds=10)


def test_a_garbled_message_is_ignored(pair: tuple[LiveServer, LiveServer], redis_server: RedisServer) -> None:
    a, b = pair
    slot = a.slot(1, "Lokale 1")
    with ExitStack() as stack, redis.Redis.from_url(redis_server.url) as raw:
        on_b = screen(stack, b)
        on_b.until("live-relay")
        b.wait_live(1)
        event_id = a.event().id
        for junk in (b"not json", b"{}", json.dumps({"origin": "x", "changes": [[1, 2]]}).encode()):
            raw.publish(f"{PREFIX}{event_id}", junk)
        raw.publish(f"{PREFIX}not-a-number", json.dumps({"origin": "x", "changes": []}))
        version = int(join(a, slot.id).headers["X-LiveBoard-Version"])
        assert count_in(on_b.until(rf'data-v="{version}"'), slot.id) == a.present(slot)
        assert b.app.state.hub.relaying


@pytest.mark.parametrize("url", ["kafka://localhost", "redis", "", "http://example.org"])
def test_an_unknown_broadcast_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ConfigError, match="LIVEBOARD_BROADCAST_URL must be memory:// or redis://"):
        Settings(broadcast_url=url)


@pytest.mark.parametrize("url", ["mysql://localhost/lb", "liveboard.db", ""])
def test_an_unknown_database_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ConfigError, match="LIVEBOARD_DATABASE_URL must be"):
        Settings(database_url=url)
