"""The attendance log (`liveboard/domain/attendance.py`): every join and leave is appended as presence changes,
replaying it gives exactly who is where now, and the curves drawn from a known log are right."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
from conftest import LiveServer
from sqlmodel import select

from liveboard.db import Database
from liveboard.domain import attendance
from liveboard.models import Attendance, Presence

T0 = datetime(2030, 6, 24, 19, 0, tzinfo=UTC)


def assert_log_matches_presence(database: Database) -> None:
    """Replaying joins and leaves per (participant, session) gives the presence table, for every session still
    in the grid (a removed session's entries lose their session id, as its presence went with it)."""
    with database.read() as db:
        replay: Counter[tuple[int | None, int]] = Counter()
        for entry in db.exec(select(Attendance)).all():
            if entry.session_id is not None:
                replay[(entry.participant_id, entry.session_id)] += 1 if entry.action == "join" else -1
        present = {(p.participant_id, p.session_id) for p in db.exec(select(Presence)).all()}
    assert {key for key, n in replay.items() if n == 1} == present
    assert all(n in (0, 1) for n in replay.values()), "a leave without a join, or two joins in a row"


def entries(session_id: int, *steps: tuple[int, str]) -> list[Attendance]:
    return [
        Attendance(
            event_id=1, session_id=session_id, pitch_id=1, participant_id=i, action=action, at=T0 + timedelta(minutes=m)
        )
        for i, (m, action) in enumerate(steps)
    ]


def test_joins_moves_leaves_and_grid_changes_are_all_in_the_log(server: LiveServer, host: httpx.Client) -> None:
    assert_log_matches_presence(server.database)  # the demo's own log
    before = server.count(Attendance)
    a, b, c = server.client(), server.client(), server.client()
    one, two = server.slot(1, "Lokale 1"), server.slot(1, "Lokale 2")
    for phone in (a, b, c):
        assert phone.post(f"/e/demo/sessions/{one.id}/join").status_code == 303
    assert b.post(f"/e/demo/sessions/{two.id}/join").status_code == 303  # a move: a leave and a join
    assert c.post(f"/e/demo/sessions/{one.id}/leave").status_code == 303
    assert c.post(f"/e/demo/sessions/{one.id}/leave").status_code == 303  # not there: nothing to log
    assert a.post(f"/e/demo/sessions/{one.id}/join").status_code == 303  # already there: nothing to log
    assert server.count(Attendance) - before == 3 + 2 + 1
    assert_log_matches_presence(server.database)

    # The host takes a session out, and moves another to another round: everyone in them leaves, in the log too.
    people_in_two = server.present(two)
    assert host.post(f"/e/demo/host/sessions/{two.id}/delete").status_code == 303
    moved = server.slot(1, "Store sal")
    people_in_moved = server.present(moved)
    free_room = server.room("Lokale 4")
    response = host.post(
        f"/e/demo/host/sessions/{moved.id}/move", data={"room_id": free_room.id, "round_id": server.round(3).id}
    )
    assert response.status_code == 303, response.text
    leaves = server.rows(Attendance, Attendance.action == "leave")
    assert len(leaves) >= people_in_two + people_in_moved
    assert_log_matches_presence(server.database)


def test_a_curve_from_a_known_log() -> None:
    log = entries(7, (0, "join"), (2, "join"), (2, "join"), (5, "leave"), (9, "join"), (12, "leave"), (12, "leave"))
    curve = attendance.curves(log)[7]
    minutes = [(int((t - T0).total_seconds() // 60), n) for t, n in curve.points]
    assert minutes == [(0, 1), (2, 3), (5, 2), (9, 3), (12, 1)]
    assert curve.peak == 3
    assert curve.peak_at == T0 + timedelta(minutes=2)
    assert curve.at(T0 - timedelta(minutes=1)) == 0
    assert curve.at(T0 + timedelta(minutes=6)) == 2
    assert curve.at(T0 + timedelta(hours=1)) == 1


def test_a_log_that_starts_mid_evening_never_goes_below_zero() -> None:
    curve = attendance.curves(entries(3, (0, "leave"), (1, "join"), (2, "leave"), (3, "leave")))[3]
    assert [n for _, n in curve.points] == [0, 1, 0, 0]
    assert curve.peak == 1


def test_sessions_no_longer_in_the_grid_have_no_curve() -> None:
    removed = entries(1, (0, "join"))[0]
    removed.session_id = None
    assert attendance.curves([removed]) == {}
    empty = attendance.Curve([])
    assert (empty.peak, empty.peak_at) == (0, None)
