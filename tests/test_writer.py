"""The process's one writer (`liveboard/writer.py`): writes waiting together are committed together, in the order
they came; one that fails takes nothing of the others with it; an answer comes only for what is committed."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, func, select

from liveboard import demo
from liveboard.db import Database
from liveboard.domain import events, participants, presence
from liveboard.domain.changes import Change, bump
from liveboard.domain.errors import Conflict
from liveboard.models import Announcement, Attendance, Event, Participant, Presence, Room
from liveboard.models import Session as Slot
from liveboard.writer import Outcome


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    assert demo.load_demo(database)
    with database.write() as session:
        for room in session.exec(select(Room)):
            room.capacity = 10_000
            session.add(room)
    yield database


def first_round_sessions(database: Database) -> list[int]:
    with database.read() as session:
        slots = list(session.exec(select(Slot).order_by(Slot.round_id, Slot.id)))
    return [s.id for s in slots if s.round_id == slots[0].round_id]  # type: ignore[misc]


def joining(token: str, session_id: int) -> object:
    def work(session: Session) -> int:
        event = events.ref(session, demo.SLUG, {})
        return presence.join(session, event, participants.Visitor(token), session_id)

    return work


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_writes_waiting_together_are_committed_together_in_the_order_they_came(db: Database) -> None:
    sessions = first_round_sessions(db)
    heard: list[Change] = []
    db.listeners.append(heard.extend)

    async def storm() -> list[tuple[object, list[int]]]:
        return await asyncio.gather(*(db.writer.run(joining(f"t{i}", sessions[i % 3])) for i in range(300)))

    answers = run(storm())
    versions = [v for _, found in answers for v in found]  # type: ignore[union-attr]
    # One version each, rising in the order the writes were handed in: first come, first committed.
    assert len(versions) == 300 and versions == sorted(versions) and len(set(versions)) == 300
    assert db.writer.writes == 300 and db.writer.batches < 300
    assert sorted(c.version for c in heard) == versions
    with db.read() as session:
        assert session.exec(select(func.count()).select_from(Presence)).one() >= 300
        joins = session.exec(select(func.count()).select_from(Attendance).where(Attendance.action == "join")).one()
        assert joins >= 300


def test_a_write_that_fails_takes_nothing_of_its_batch_with_it(db: Database) -> None:
    sessions = first_round_sessions(db)

    def refused(session: Session) -> None:
        event = events.by_slug(session, demo.SLUG)
        bump(session, event, "announcement")
        session.add(Announcement(event_id=event.id, text="never"))  # type: ignore[arg-type]
        session.flush()
        raise Conflict("no")

    async def mixed() -> list[object]:
        jobs = [joining("a", sessions[0]), refused, joining("b", sessions[1]), refused, joining("c", sessions[2])]
        return await asyncio.gather(*(db.writer.run(job) for job in jobs), return_exceptions=True)  # type: ignore[arg-type]

    before = db.writer.batches
    answers = run(mixed())
    assert [type(a).__name__ for a in answers] == ["tuple", "Conflict", "tuple", "Conflict", "tuple"]
    with db.read() as session:
        assert session.exec(select(Announcement).where(Announcement.text == "never")).first() is None
        event = events.by_slug(session, demo.SLUG)
        found = {p.session_id for p in session.exec(select(Presence))}
    assert set(sessions[:3]) <= found
    # The three joins kept consecutive versions: the refused writes' bumps went with their savepoints.
    versions = [a[1][0] for a in answers if isinstance(a, tuple)]
    assert versions == list(range(versions[0], versions[0] + 3)) and event.version == versions[-1]
    assert db.writer.batches - before <= 5


def test_a_write_alone_that_fails_rolls_back_and_is_not_heard(db: Database) -> None:
    heard: list[Change] = []
    db.listeners.append(heard.extend)

    def refused(session: Session) -> None:
        bump(session, events.by_slug(session, demo.SLUG), "announcement")
        raise Conflict("no")

    with pytest.raises(Conflict):
        run(db.writer.run(refused))
    assert heard == []


def test_rows_a_write_returns_are_readable_after_the_commit(db: Database) -> None:
    def add(session: Session) -> Announcement:
        event = events.by_slug(session, demo.SLUG)
        bump(session, event, "announcement")
        row = Announcement(event_id=event.id, text="Kaffe i foyeren")  # type: ignore[arg-type]
        session.add(row)
        session.flush()
        return row

    async def two() -> list[tuple[Announcement, list[int]]]:
        return await asyncio.gather(db.writer.run(add), db.writer.run(add))

    (first, _), (second, _) = run(two())  # type: ignore[misc]
    assert first.id and second.id and first.id != second.id and first.text == "Kaffe i foyeren"


def test_a_write_runs_in_its_callers_context_and_names_its_actor(db: Database) -> None:
    where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="elsewhere")

    def look(session: Session) -> tuple[str, object, str]:
        return where.get(), session.info.get("actor"), threading.current_thread().name

    async def asked() -> tuple[object, list[int]]:
        where.set("the request")
        return await db.writer.run(look, actor="mette")

    (seen, actor, thread), _ = run(asked())  # type: ignore[misc]
    assert (seen, actor, thread) == ("the request", "mette", "liveboard-writer")


def test_stop_finishes_what_is_queued(db: Database) -> None:
    sessions = first_round_sessions(db)

    async def queued() -> list[object]:
        tasks = [asyncio.ensure_future(db.writer.run(joining(f"s{i}", sessions[0]))) for i in range(20)]
        await asyncio.sleep(0)
        await asyncio.to_thread(db.writer.stop)
        return await asyncio.gather(*tasks)

    assert len(run(queued())) == 20  # type: ignore[arg-type]
    with db.read() as session:
        event = session.exec(select(Event)).one()
        assert session.exec(select(func.count()).select_from(Presence)).one() >= 20
        assert event.version > 0


def test_clean_writes_run_without_savepoints_and_a_refused_one_leaves_nothing(db: Database) -> None:
    """A join refuses before it writes (`clean`): a full room's refusal in the middle of a batch leaves no
    participant row, no version and no presence behind, and the others commit."""
    sessions = first_round_sessions(db)
    with db.write() as session:
        room = session.exec(select(Room).join(Slot, Slot.room_id == Room.id).where(Slot.id == sessions[1])).one()
        full = session.exec(select(func.count()).select_from(Presence).where(Presence.session_id == sessions[1])).one()
        room.capacity = full
        session.add(room)

    async def mixed() -> list[object]:
        jobs = [joining("a", sessions[0]), joining("late", sessions[1]), joining("b", sessions[2])]
        return await asyncio.gather(*(db.writer.run(job, clean=True) for job in jobs), return_exceptions=True)  # type: ignore[arg-type]

    answers = run(mixed())
    assert [type(a).__name__ for a in answers] == ["tuple", "Conflict", "tuple"]
    with db.read() as session:
        tokens = set(session.exec(select(Participant.token)))
    assert {"a", "b"} <= tokens and "late" not in tokens
    versions = [a[1][0] for a in answers if isinstance(a, tuple)]  # type: ignore[index]
    assert versions[1] == versions[0] + 1


def test_a_clean_write_that_breaks_its_promise_costs_the_others_nothing(db: Database) -> None:
    """A write run without a savepoint that fails after writing (here: a statement the database refuses) rolls
    back the batch; the others run again, each in a savepoint, and commit."""
    sessions = first_round_sessions(db)

    def broken(session: Session) -> None:
        event = events.by_slug(session, demo.SLUG)
        bump(session, event, "announcement")
        session.connection().exec_driver_sql("INSERT INTO no_such_table VALUES (1)")

    async def mixed() -> list[object]:
        jobs = [joining("a", sessions[0]), broken, joining("b", sessions[1])]
        return await asyncio.gather(*(db.writer.run(job, clean=True) for job in jobs), return_exceptions=True)  # type: ignore[arg-type]

    answers = run(mixed())
    assert [type(a).__name__ for a in answers] == ["tuple", "OperationalError", "tuple"]
    with db.read() as session:
        assert {"a", "b"} <= set(session.exec(select(Participant.token)))
        version = session.exec(select(Event.version)).one()
    assert sorted(a[1][0] for a in answers if isinstance(a, tuple)) == [version - 1, version]  # type: ignore[index]


def announcing(calls: list[int]) -> Any:
    """A write done together (`Writer.together`): an announcement per item, one call for all waiting; "boom"
    breaks the promise to refuse only before writing."""

    def work(session: Session, items: list[str]) -> list[Outcome]:
        calls.append(len(items))
        event = events.ref(session, demo.SLUG, {})
        outcomes = []
        for item in items:
            if item == "refused":
                outcomes.append(Outcome(error=Conflict("no")))
                continue
            version = bump(session, event, "announcement")
            session.add(Announcement(event_id=event.id, text=item))
            if item == "boom":
                raise RuntimeError("a statement the database refused")
            outcomes.append(Outcome(result=item, versions=[version]))
        return outcomes

    return work


def test_writes_done_together_are_one_call_for_all_waiting_in_the_order_they_came(db: Database) -> None:
    calls: list[int] = []
    work = announcing(calls)

    async def storm() -> list[object]:
        jobs = [db.writer.together(work, f"a{i}") for i in range(200)]
        jobs.insert(100, db.writer.run(joining("alone", first_round_sessions(db)[0])))
        jobs.insert(50, db.writer.together(work, "refused"))
        return await asyncio.gather(*jobs, return_exceptions=True)

    answers = run(storm())
    assert isinstance(answers[50], Conflict)
    done = [a for a in answers if isinstance(a, tuple)]
    assert len(done) == 201 and [a[0] for a in answers[:3]] == ["a0", "a1", "a2"]  # type: ignore[index]
    versions = [a[1][0] for a in done]  # type: ignore[index]
    assert versions == sorted(versions) and len(set(versions)) == 201  # first come, first committed
    assert sum(calls) == 201 and len(calls) < 50  # grouped: far fewer calls than writes


def test_a_group_that_fails_unexpectedly_runs_again_each_alone_and_only_the_bad_one_fails(db: Database) -> None:
    calls: list[int] = []
    work = announcing(calls)

    async def storm() -> list[object]:
        return await asyncio.gather(
            *(db.writer.together(work, t) for t in ("x1", "x2", "boom", "x3")), return_exceptions=True
        )

    answers = run(storm())
    assert isinstance(answers[2], RuntimeError)
    assert [a[0] for a in answers if isinstance(a, tuple)] == ["x1", "x2", "x3"]  # type: ignore[index]
    with db.read() as session:
        texts = set(session.exec(select(Announcement.text)).all())
    assert {"x1", "x2", "x3"} <= texts and "boom" not in texts
