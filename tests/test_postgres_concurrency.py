"""Many writers at once on one event in PostgreSQL: the rules hold, and every outcome is one the domain names.

SQLite runs one write transaction at a time (BEGIN IMMEDIATE), so what a transaction reads is what it writes on.
PostgreSQL runs them side by side, and the event's row lock (`bump`) is the only thing that puts them in a line:
whatever a transaction read before it got the lock may have been changed, moved or removed meanwhile. Here
participants check in and out, move between sessions and mark interest while hosts rearrange the same round's
grid, all through `Database.write()` the way the views call the domain. A refusal (Conflict, Invalid, NotFound)
is a fine answer; a deadlock, a serialization failure, an IntegrityError or any other exception is a bug.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from servers import PostgresServer, database_name
from sqlalchemy import delete, func, text, update
from sqlmodel import Session, col, select
from test_attendance import assert_log_matches_presence

from liveboard.db import Database
from liveboard.domain import changes, events, notes, participants, pitches, presence, schedule
from liveboard.domain.errors import Conflict, Invalid, NotFound
from liveboard.models import Attendance, Event, Interest, Participant, Pitch, Presence, Room, Round
from liveboard.models import Session as Slot

THREADS = 16
OPERATIONS = 50
HOSTS = 4
PEOPLE = 24
#: Small rooms, so check-ins run into full ones.
CAPACITY = 3
EXPECTED = (Conflict, Invalid, NotFound)


@pytest.fixture
def demo_db(postgres: PostgresServer, pg_demo: str) -> Iterator[Database]:
    """The demo on a PostgreSQL database of its own, nobody checked in anywhere (nor ever was), every room small."""
    name = postgres.create_database(database_name(), template=pg_demo)
    database = Database(postgres.url(name))
    try:
        with database.write() as db:
            db.exec(delete(Presence))  # type: ignore[call-overload]
            db.exec(delete(Attendance))  # type: ignore[call-overload]
            db.exec(update(Room).values(capacity=CAPACITY))  # type: ignore[call-overload]
        yield database
    finally:
        database.dispose()
        postgres.drop_database(name)


@dataclass
class Log:
    """What one thread did: outcomes per operation, its interest toggles, and anything unexpected."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: (token, pitch id) → how often a toggle turned interest on, minus how often it turned it off.
    interest: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Demo:
    rounds: list[int]
    rooms: list[int]
    approved: list[int]
    other_pitches: list[int]
    tokens: list[str]


def look(database: Database) -> Demo:
    with database.read() as db:
        event = events.by_slug(db, "demo")
        rounds = [r.id for r in events.rounds(db, event)]
        every = pitches.all_pitches(db, event)
        return Demo(
            rounds=rounds[1:],  # rounds 2 and 3: the ones the hosts rearrange and the participants choose in
            rooms=[r.id for r in events.rooms(db, event)],  # type: ignore[misc]
            approved=[p.id for p in every if p.status == "approved"],  # type: ignore[misc]
            other_pitches=[p.id for p in every if p.status != "approved"],  # type: ignore[misc]
            tokens=[f"concurrency-{i:02d}" for i in range(PEOPLE)],
        )


def sessions(database: Database, round_ids: list[int]) -> list[Slot]:
    """The grid as a phone or the host console would have just loaded it."""
    with database.read() as db:
        return list(db.exec(select(Slot).where(col(Slot.round_id).in_(round_ids))))


# --- what the views do, one write transaction each --------------------------------------------------------------


def as_participant(database: Database, token: str, work: Callable[[Session, Event, Participant], object]) -> object:
    """phone.act: the event by its slug, the participant made on their first action, then the domain."""
    with database.write() as db:
        event = events.by_slug(db, "demo")
        changes.lock(db, event)
        participant = participants.get_or_create(db, event, token, lang="da")
        return work(db, event, participant)


#: A join that finds the person already there, or a leave of a session they are not in, writes nothing.
UNCHANGED = " (nothing to change)"


def moving(database: Database, token: str, step: Callable[..., int], session_id: object) -> bool:
    """phone.move: the event by its id alone, then `step` for the phone's token; whether it changed anything."""
    with database.write() as db:
        event = events.ref(db, "demo", {})
        step(db, event, participants.Visitor(token, "da"), session_id)
        return bool(db.info.get("changes"))


def as_host(database: Database, work: Callable[[Session, Event], object]) -> object:
    """host.action: the event by its slug, then the domain with the form's fields as strings."""
    with database.write() as db:
        return work(db, events.by_slug(db, "demo"))


def participant_step(database: Database, demo: Demo, rng: random.Random, log: Log) -> str:
    token = rng.choice(demo.tokens)
    roll = rng.random()
    if roll < 0.45:
        grid = sessions(database, demo.rounds[:1])
        target = str(rng.choice(grid).id) if grid else "1"
        return "join" + ("" if moving(database, token, presence.join, target) else UNCHANGED)
    if roll < 0.6:
        grid = sessions(database, demo.rounds[:1])
        target = str(rng.choice(grid).id) if grid else "1"
        return "leave" + ("" if moving(database, token, presence.leave, target) else UNCHANGED)
    pitch_id = rng.choice(demo.approved if rng.random() < 0.9 else demo.other_pitches)
    now_on = as_participant(database, token, lambda db, e, p: pitches.toggle_interest(db, e, p, str(pitch_id)))
    log.interest[(token, pitch_id)] += 1 if now_on else -1
    return "interest"


def host_step(database: Database, demo: Demo, rng: random.Random) -> str:
    grid = sessions(database, demo.rounds)
    slot = rng.choice(grid) if grid else None
    cell = {"room_id": str(rng.choice(demo.rooms)), "round_id": str(rng.choice(demo.rounds))}
    roll = rng.random()
    if roll < 0.35 or slot is None:
        form = {"pitch_id": str(rng.choice(demo.approved)), **cell}
        as_host(database, lambda db, e: schedule.place(db, e, form))
        return "place"
    if roll < 0.6:
        as_host(database, lambda db, e: schedule.move(db, e, str(slot.id), cell))
        return "move"
    if roll < 0.85:
        other = rng.choice(grid)
        as_host(database, lambda db, e: schedule.swap(db, e, str(slot.id), str(other.id)))
        return "swap"
    as_host(database, lambda db, e: schedule.remove(db, e, str(slot.id)))
    return "remove"


def run_thread(database: Database, demo: Demo, number: int, barrier: threading.Barrier, log: Log) -> None:
    rng = random.Random(number)
    host = number < HOSTS
    barrier.wait(timeout=30)
    for _ in range(OPERATIONS):
        try:
            name = host_step(database, demo, rng) if host else participant_step(database, demo, rng, log)
        except EXPECTED as error:
            log.outcomes[(type(error).__name__, str(error))] += 1
            continue
        except BaseException:
            log.unexpected.append(traceback.format_exc())
            continue
        log.outcomes[(name, "ok")] += 1


# --- the test ---------------------------------------------------------------------------------------------------


def test_participants_and_hosts_racing_on_one_event_keep_every_rule(demo_db: Database) -> None:
    demo = look(demo_db)
    with demo_db.read() as db:
        version_before = db.exec(select(Event.version).where(Event.slug == "demo")).one()
        interest_before = dict(
            db.exec(select(Interest.pitch_id, func.count()).group_by(col(Interest.pitch_id))).all()  # type: ignore[arg-type]
        )
    logs = [Log() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    threads = [
        threading.Thread(target=run_thread, args=(demo_db, demo, i, barrier, logs[i]), daemon=True)
        for i in range(THREADS)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60 - (time.monotonic() - started))
    assert not any(thread.is_alive() for thread in threads), "a writer is stuck: a lock wait that never ends"

    unexpected = [text for log in logs for text in log.unexpected]
    assert unexpected == [], f"{len(unexpected)} unexpected exceptions; the first:\n{unexpected[0]}"
    outcomes: Counter[tuple[str, str]] = sum((log.outcomes for log in logs), Counter())
    succeeded = sum(count for (_, result), count in outcomes.items() if result == "ok")
    assert succeeded + sum(count for (_, result), count in outcomes.items() if result != "ok") == THREADS * OPERATIONS
    # The race was a race: every kind of write got through, and people were turned away from full rooms.
    assert {name.removesuffix(UNCHANGED) for name, result in outcomes if result == "ok"} == {
        "join",
        "leave",
        "interest",
        "place",
        "move",
        "swap",
        "remove",
    }, outcomes
    assert any("is full" in message for _, message in outcomes), outcomes

    with demo_db.read() as db:
        event = events.by_slug(db, "demo")
        slots = {s.id: s for s in db.exec(select(Slot).where(Slot.event_id == event.id))}
        rooms = {r.id: r for r in db.exec(select(Room).where(Room.event_id == event.id))}
        round_ids = {r.id for r in db.exec(select(Round).where(Round.event_id == event.id))}
        seats = list(db.exec(select(Presence).where(col(Presence.round_id).in_(round_ids))))
        interest_after = dict(
            db.exec(select(Interest.pitch_id, func.count()).group_by(col(Interest.pitch_id))).all()  # type: ignore[arg-type]
        )

    # Every committed write raised the version exactly once; refused ones, and joins and leaves with nothing to
    # change, left no trace.
    changed = sum(count for (name, result), count in outcomes.items() if result == "ok" and UNCHANGED not in name)
    assert event.version == version_before + changed
    # One presence per participant and round, and in a session of that round.
    assert len({(p.participant_id, p.round_id) for p in seats}) == len(seats)
    assert all(slots[p.session_id].round_id == p.round_id for p in seats)
    # One session per cell, a pitch at most once per round.
    assert len({(s.room_id, s.round_id) for s in slots.values()}) == len(slots)
    assert len({(s.pitch_id, s.round_id) for s in slots.values()}) == len(slots)
    # Nobody over a room's capacity.
    headcount = Counter(p.session_id for p in seats)
    assert all(headcount[s.id] <= rooms[s.room_id].capacity for s in slots.values()), headcount
    # The attendance log tells the same story as the presence table.
    assert_log_matches_presence(demo_db)
    # Interest is exactly what the toggles that went through say: each turned it on or off, one at a time.
    toggled: Counter[int] = Counter()
    for log in logs:
        for (_, pitch_id), net in log.interest.items():
            toggled[pitch_id] += net
    for pitch_id in set(interest_before) | set(interest_after) | set(toggled):
        assert interest_after.get(pitch_id, 0) == interest_before.get(pitch_id, 0) + toggled[pitch_id], pitch_id
    # A pitch that is not approved took no interest.
    with demo_db.read() as db:
        marked = db.exec(
            select(func.count())
            .select_from(Interest)
            .join(Pitch, col(Pitch.id) == Interest.pitch_id)
            .where(
                col(Pitch.id).in_(demo.other_pitches),
                col(Interest.participant_id).in_(select(Participant.id).where(col(Participant.token).in_(demo.tokens))),
            )
        ).one()
    assert marked == 0


# --- writes queued behind the event's lock ----------------------------------------------------------------------
#
# The race above finds these now and then; here they are made certain. Another transaction holds the event's row
# lock (as a long write would); each write starts, reads what it acts on, and queues for the lock in turn. When the
# lock is freed they run one after another, and each must act on what the ones before it left.


def queued(database: Database, *works: Callable[[], object]) -> list[object]:
    """What each of `works` returned or raised, when all were queued behind the event's lock, in this order."""
    results: list[object] = [None] * len(works)

    def run(i: int) -> None:
        try:
            results[i] = works[i]()
        except Exception as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(works))]
    with database.engine.begin() as holder:
        # The lock `bump` takes: it lets the queued writes' foreign-key checks on the event row through.
        holder.execute(text("SELECT id FROM event WHERE slug = 'demo' FOR NO KEY UPDATE"))
        for waiting, thread in enumerate(threads, 1):
            thread.start()
            wait_for_lock_waiters(database, waiting)
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def wait_for_lock_waiters(database: Database, count: int) -> None:
    deadline = time.monotonic() + 10
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while True:
        with database.engine.connect() as connection:
            if connection.execute(query).scalar_one() >= count:
                return
        assert time.monotonic() < deadline, f"{count} writes never queued for the event's lock"
        time.sleep(0.005)


def grid(database: Database) -> dict[str, Slot]:
    """Round 2 of the demo by room name: Store sal, Lokale 1 and Lokale 3 hold a session each."""
    with database.read() as db:
        round_id = db.exec(select(Round.id).where(Round.label == "Runde 2")).one()
        rows = db.exec(
            select(Room.name, Slot).join(Room, col(Room.id) == Slot.room_id).where(Slot.round_id == round_id)
        )
        return {name: slot for name, slot in rows.all()}


def test_a_swap_queued_behind_another_swaps_what_the_first_left(demo_db: Database) -> None:
    before = grid(demo_db)
    a, b, c = before["Store sal"], before["Lokale 1"], before["Lokale 3"]
    swap = schedule.swap
    results = queued(
        demo_db,
        lambda: as_host(demo_db, lambda db, e: swap(db, e, str(a.id), str(b.id))),
        lambda: as_host(demo_db, lambda db, e: swap(db, e, str(b.id), str(c.id))),
    )
    assert results == [None, None]
    after = grid(demo_db)
    assert [after[name].pitch_id for name in ("Store sal", "Lokale 1", "Lokale 3")] == [
        b.pitch_id,
        c.pitch_id,
        a.pitch_id,
    ]


def test_what_is_queued_behind_a_removal_finds_the_session_gone(demo_db: Database) -> None:
    cells = grid(demo_db)
    slot, other = str(cells["Store sal"].id), str(cells["Lokale 1"].id)
    with demo_db.read() as db:
        room = db.exec(select(Room.id).where(Room.name == "Lokale 4")).one()
    as_participant(demo_db, "queued", lambda db, e, p: None)
    note = {"kind": "idea", "text": "Til sidst", "author": ""}
    results = queued(
        demo_db,
        lambda: as_host(demo_db, lambda db, e: schedule.remove(db, e, slot)),
        lambda: as_host(demo_db, lambda db, e: schedule.move(db, e, slot, {"room_id": str(room), "round_id": "2"})),
        lambda: as_host(demo_db, lambda db, e: schedule.swap(db, e, slot, other)),
        lambda: as_host(demo_db, lambda db, e: schedule.remove(db, e, slot)),
        lambda: moving(demo_db, "queued", presence.join, slot),
        lambda: as_participant(demo_db, "queued", lambda db, e, p: notes.add(db, e, p, slot, note)),
    )
    assert results[0] is None
    assert [type(result) for result in results[1:]] == [NotFound] * 5, results


def test_a_note_queued_behind_a_swap_belongs_to_the_pitch_now_in_the_room(demo_db: Database) -> None:
    cells = grid(demo_db)
    a, b = cells["Store sal"], cells["Lokale 1"]
    as_participant(demo_db, "noter", lambda db, e, p: None)
    note = {"kind": "idea", "text": "Efter byttet", "author": ""}
    results = queued(
        demo_db,
        lambda: as_host(demo_db, lambda db, e: schedule.swap(db, e, str(a.id), str(b.id))),
        lambda: as_participant(demo_db, "noter", lambda db, e, p: notes.add(db, e, p, str(a.id), note).pitch_id),
    )
    assert results == [None, b.pitch_id]


def test_interest_queued_behind_a_rejection_is_refused(demo_db: Database) -> None:
    with demo_db.read() as db:
        pitch = db.exec(select(Pitch).where(Pitch.title == "Ny pædagogik i dagtilbud")).one()
    assert pitch.status == "approved"
    as_participant(demo_db, "fan", lambda db, e, p: None)
    results = queued(
        demo_db,
        lambda: as_host(demo_db, lambda db, e: pitches.reject(db, e, str(pitch.id)).status),
        lambda: as_participant(demo_db, "fan", lambda db, e, p: pitches.toggle_interest(db, e, p, str(pitch.id))),
    )
    assert results[0] == "rejected"
    assert isinstance(results[1], Conflict), results


def test_what_is_queued_behind_a_room_removal_finds_the_room_gone(demo_db: Database) -> None:
    with demo_db.read() as db:
        room = str(db.exec(select(Room.id).where(Room.name == "Lokale 4")).one())
        pitch = str(db.exec(select(Pitch.id).where(Pitch.title == "Ny pædagogik i dagtilbud")).one())
    slot = str(grid(demo_db)["Lokale 1"].id)
    edit = {"name": "Lokale 4", "capacity": "20", "location": ""}
    results = queued(
        demo_db,
        lambda: as_host(demo_db, lambda db, e: events.remove_room(db, e, room)),
        lambda: as_host(
            demo_db, lambda db, e: schedule.place(db, e, {"pitch_id": pitch, "room_id": room, "round_id": "2"})
        ),
        lambda: as_host(demo_db, lambda db, e: schedule.move(db, e, slot, {"room_id": room, "round_id": "2"})),
        lambda: as_host(demo_db, lambda db, e: events.edit_room(db, e, room, edit)),
        lambda: as_host(demo_db, lambda db, e: events.remove_room(db, e, room)),
    )
    assert [type(result) for result in results] == [type(None), Invalid, Invalid, NotFound, NotFound], results


def test_what_is_queued_behind_a_round_removal_finds_the_round_gone(demo_db: Database) -> None:
    form = {"label": "Runde 4", "starts": "2030-06-24T21:00", "ends": "2030-06-24T21:40"}
    added = as_host(demo_db, lambda db, e: events.add_round(db, e, form))
    round_id = str(added.id)  # type: ignore[attr-defined]
    with demo_db.read() as db:
        room = str(db.exec(select(Room.id).where(Room.name == "Lokale 4")).one())
        pitch = str(db.exec(select(Pitch.id).where(Pitch.title == "Ny pædagogik i dagtilbud")).one())
    slot = str(grid(demo_db)["Lokale 1"].id)
    results = queued(
        demo_db,
        lambda: as_host(demo_db, lambda db, e: events.remove_round(db, e, round_id)),
        lambda: as_host(
            demo_db, lambda db, e: schedule.place(db, e, {"pitch_id": pitch, "room_id": room, "round_id": round_id})
        ),
        lambda: as_host(demo_db, lambda db, e: schedule.move(db, e, slot, {"room_id": room, "round_id": round_id})),
        lambda: as_host(demo_db, lambda db, e: events.edit_round(db, e, round_id, form)),
        lambda: as_host(demo_db, lambda db, e: events.remove_round(db, e, round_id)),
    )
    assert [type(result) for result in results] == [type(None), Invalid, Invalid, NotFound, NotFound], results
