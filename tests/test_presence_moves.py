"""`presence.moves`, the round start's joins and leaves as the writer hands them over together: whatever the mix, a
batch comes to exactly what the same moves made one after another come to. Refusals and who made each move, the
versions and what each change says, who is where, the attendance log in its order, and the participants made. The
batch only costs a few statements for all, whatever their number. Checked on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlmodel import Session, func, select

from liveboard import demo
from liveboard.db import Database
from liveboard.domain import blocking, events, participants, presence
from liveboard.models import Attendance, Event, Participant, Presence, Room
from liveboard.models import Session as Slot


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The demo evening, with one room nearly full (so joins are refused) and one participant blocked."""
    database: Database = request.getfixturevalue("database" if request.param == "sqlite" else "pg_database")
    assert demo.load_demo(database)
    with database.write() as session:
        event = events.by_slug(session, demo.SLUG)
        slot = session.exec(select(Slot).order_by(Slot.id)).first()
        assert slot is not None
        room = session.get(Room, slot.room_id)
        present = session.exec(select(func.count()).select_from(Presence).where(Presence.session_id == slot.id)).one()
        room.capacity = present + 2  # type: ignore[union-attr]
        session.add(room)
        someone = session.exec(select(Participant).order_by(Participant.id)).first()
        blocking.block(session, event, someone.id)  # type: ignore[union-attr]
    yield database


class Undo(Exception):
    """Rolls the first playing back, so the second starts from the same database."""


def play(database: Database, asked: list[presence.Move], *, together: bool) -> dict[str, Any]:
    """The moves in one transaction, all in one call or one call each; what they came to, read before the end."""
    seen: dict[str, Any] = {}
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    try:
        with database.write() as session:
            event = events.ref(session, demo.SLUG, {})
            base = session.exec(select(Event.version).where(Event.id == event.id)).one()
            last = session.exec(select(func.max(Attendance.id))).one() or 0
            sa_event.listen(database.engine, "before_cursor_execute", count)
            try:
                if together:
                    moved = presence.moves(session, event, asked)
                else:
                    moved = [presence.moves(session, event, [move])[0] for move in asked]
            finally:
                sa_event.remove(database.engine, "before_cursor_execute", count)
            seen = _state(session, moved, base, last)
            seen["statements"] = len(statements)
            if not together:
                raise Undo
    except Undo:
        pass
    return seen


def _state(session: Session, moved: list[presence.Moved], base: int, last: int) -> dict[str, Any]:
    tokens = dict(session.exec(select(Participant.id, Participant.token)).all())
    attendance = session.exec(select(Attendance).where(Attendance.id > last).order_by(Attendance.id)).all()
    return {
        "outcomes": [
            (
                type(m.error).__name__ if m.error else None,
                tokens.get(m.participant_id) if m.participant_id else None,  # type: ignore[call-overload]
                m.version - base if m.version is not None else None,
            )
            for m in moved
        ],
        "changes": [(c.version - base, c.kind, c.ids) for c in session.info.get("changes", [])],
        "presence": sorted(
            (tokens[p.participant_id], p.round_id, p.session_id)  # type: ignore[index]
            for p in session.exec(select(Presence)).all()
        ),
        "attendance": [(tokens.get(a.participant_id), a.session_id, a.pitch_id, a.action) for a in attendance],  # type: ignore[call-overload]
        "participants": sorted(t for t in tokens.values() if t),
        "version": session.exec(select(Event.version)).one() - base,
    }


def a_round_start(database: Database, seed: int, count: int) -> list[presence.Move]:
    """Joins and leaves of every session by new phones, phones that were there before and the blocked one, with
    ids that name no session, some of them repeated: what a hall and a script send."""
    rng = random.Random(seed)
    with database.read() as session:
        people = session.exec(select(Participant).order_by(Participant.id).limit(3)).all()
        sessions = [str(s) for s in session.exec(select(Slot.id).order_by(Slot.id)).all()]
    full = sessions[0]
    tokens = [f"phone-{i}" for i in range(8)] + [p.token for p in people]  # the first of `people` is blocked
    targets = sessions + [full] * len(sessions) + ["x", "0", "999999", " 3", ""]
    return [
        presence.Move(participants.Visitor(rng.choice(tokens), "da"), rng.choice(targets), rng.random() < 0.3)  # type: ignore[arg-type]
        for _ in range(count)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_comes_to_what_its_moves_one_after_another_come_to(db: Database, seed: int) -> None:
    asked = a_round_start(db, seed, 60)
    alone = play(db, asked, together=False)
    together = play(db, asked, together=True)
    for part in ("outcomes", "changes", "presence", "attendance", "participants", "version"):
        assert together[part] == alone[part], part
    refusals = {outcome[0] for outcome in together["outcomes"]}
    assert {"NotFound", "Conflict", "Denied", None} <= refusals  # the mix had everything in it
    assert together["version"] == len(together["changes"]) > 0
    # A few statements for the whole batch, against several for each move made alone.
    assert together["statements"] <= 12 < alone["statements"] // 4


def test_one_person_joining_changing_their_mind_and_leaving_in_one_batch(db: Database) -> None:
    with db.read() as session:
        first, second = session.exec(select(Slot.id).order_by(Slot.round_id, Slot.id)).all()[1:3]
    me = participants.Visitor("a-quick-thumb", "da")
    asked = [presence.Move(me, first), presence.Move(me, second), presence.Move(me, second, leaving=True)]
    played = play(db, asked, together=True)
    assert [o[0] for o in played["outcomes"]] == [None, None, None]
    assert [o[2] for o in played["outcomes"]] == [1, 2, 3]
    assert [c[2] for c in played["changes"]] == [
        {"session_id": first},
        {"session_id": second, "left_session_id": first},
        {"session_id": second},
    ]
    mine = [a for a in played["attendance"] if a[0] == "a-quick-thumb"]
    assert [(a[1], a[3]) for a in mine] == [(first, "join"), (first, "leave"), (second, "join"), (second, "leave")]
    assert not [p for p in played["presence"] if p[0] == "a-quick-thumb"]
    assert "a-quick-thumb" in played["participants"]  # made by the first join, kept as a join would keep it


def test_nothing_that_changes_nothing_takes_a_version(db: Database) -> None:
    nobody = participants.Visitor("never-acted", "da")
    asked = [presence.Move(nobody, "1", leaving=True), presence.Move(nobody, "not-a-session")]
    played = play(db, asked, together=True)
    assert played["outcomes"] == [(None, None, None), ("NotFound", None, None)]
    assert played["version"] == 0 and played["attendance"] == [] and "never-acted" not in played["participants"]
