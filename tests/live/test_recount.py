"""A flush of headcount changes alone renders from the last read with the touched sessions recounted
(`Live.recount`), not from a whole new read: the elements must be the same, byte for byte, as those a whole read
gives. Real joins, moves and leaves through the server; the two reads compared on its database."""

from __future__ import annotations

import dataclasses
import time

from liveboard.domain.changes import Change
from liveboard.live.elements import VIEWS, Dirty, render
from liveboard.live.registry import Live
from tests.conftest import LiveServer

WAIT = 5.0


def test_recounted_headcounts_render_as_a_whole_read_does(server: LiveServer) -> None:
    seen: list[Change] = []
    server.app.state.hub.subscribe(seen.extend)
    live = Live(server.app.state.db)
    event_id = server.event().id
    last = live.load(event_id)
    lokale_1, lokale_2 = server.slot(1, "Lokale 1"), server.slot(1, "Lokale 2")
    lokale_3, big_room_later = server.slot(2, "Lokale 3"), server.slot(2, "Store sal")
    a, b, c = server.client(), server.client(), server.client()
    steps = [
        (a, f"/e/demo/sessions/{lokale_1.id}/join"),
        (a, f"/e/demo/sessions/{lokale_2.id}/join"),  # a move: Lokale 1 loses one again
        (b, f"/e/demo/sessions/{lokale_3.id}/join"),
        (b, f"/e/demo/sessions/{lokale_3.id}/leave"),  # back to nobody: no row to count
        (c, f"/e/demo/sessions/{big_room_later.id}/join"),
    ]
    for participant, path in steps:
        participant.get("/e/demo")
        assert participant.post(path).status_code == 303, path
    deadline = time.monotonic() + WAIT
    while len(seen) < len(steps) and time.monotonic() < deadline:
        time.sleep(0.01)
    dirty = Dirty()
    for change in seen:
        dirty.add(change)
    assert dirty.kinds == {"presence"}
    assert {lokale_1.id, lokale_2.id, lokale_3.id, big_room_later.id} <= dirty.sessions

    recounted = live.recount(event_id, last, dirty.sessions)
    whole = live.load(event_id)
    assert recounted.event.version == whole.event.version == server.version()
    assert {s: c.present for s, c in recounted.by_session.items()} == {
        s: c.present for s, c in whole.by_session.items()
    }
    assert recounted.by_session[lokale_1.id].present == server.present(lokale_1)
    assert recounted.by_session[lokale_3.id].present == 0
    for view in VIEWS:
        for lang in ("en", "da"):
            assert render(view, lang, recounted, dirty) == render(view, lang, whole, dirty), (view, lang)
    # Whole regions too, every count on the board and not only the touched ones, read at the same moment (a clock
    # shows when it was read; a client that needs whole regions gets a whole read anyway).
    same_moment = dataclasses.replace(recounted, now=whole.now, clock=whole.clock)
    for view in ("phone", "screen"):
        assert render(view, "da", same_moment, None) == render(view, "da", whole, None), view
