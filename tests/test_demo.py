"""The demo event: the contract's minimums, an evening in full swing whenever it is loaded, loaded once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from sqlalchemy import func
from sqlmodel import select

from liveboard.db import Database
from liveboard.demo import load_demo
from liveboard.domain import announcements, attendance, events, notes, pitches
from liveboard.models import Event, Interest, Participant, Pitch, Presence, Room, Support
from liveboard.models import Session as Slot

NOW = datetime(2026, 3, 12, 19, 7, 31, tzinfo=UTC)


def snapshot(database: Database) -> dict:
    with database.read() as db:
        return events.snapshot(db, events.by_slug(db, "demo"), host=True)


def test_the_demo_has_the_contract_minimums(database: Database) -> None:
    assert load_demo(database, now=NOW) is True
    data = snapshot(database)
    assert len(data["rooms"]) >= 6
    assert all(room["capacity"] > 0 for room in data["rooms"])
    assert len(data["rounds"]) == 3
    approved = [p for p in data["pitches"] if p["status"] == "approved"]
    assert len(approved) >= 12
    assert {p["status"] for p in data["pitches"]} == {"approved", "pending", "rejected"}
    assert len(data["sessions"]) >= 6
    placed = {s["pitch_id"] for s in data["sessions"]}
    assert placed <= {p["id"] for p in approved}
    assert sum(p["interest"] > 0 for p in approved) >= 10


def test_the_demo_is_danish_and_has_the_merge_duplicate(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        event = events.by_slug(db, "demo")
        assert event.language == "da"
        assert "velfærd" in event.title.lower()
        pending = [p.title for p in pitches.pending(db, event)]
        assert len(pending) == 3
        assert any("stress" in title for title in pending)
        latest = announcements.latest(db, event)
        assert latest is not None and "QR-koden" in latest.text


def test_the_first_round_is_running_whenever_the_demo_is_loaded(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        rounds = events.rounds(db, events.by_slug(db, "demo"))
    assert rounds[0].starts == NOW.replace(second=0) - timedelta(minutes=10)
    assert events.clock(rounds, NOW).current == rounds[0]
    assert events.clock(rounds, NOW).next == rounds[1]
    for earlier, later in pairwise(rounds):
        assert later.starts - earlier.ends == timedelta(minutes=10)
        assert earlier.ends - earlier.starts == timedelta(minutes=40)


def test_the_grid_and_presence_keep_the_rules(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        event = events.by_slug(db, "demo")
        slots = events.sessions(db, event)
        assert len({(s.room_id, s.round_id) for s in slots}) == len(slots)
        assert len({(s.pitch_id, s.round_id) for s in slots}) == len(slots)
        capacity = {r.id: r.capacity for r in events.rooms(db, event)}
        present = events.presence_counts(db, event)
        first = events.rounds(db, event)[0]
        assert {s.round_id for s in slots if present.get(s.id)} == {first.id}
        full = [s for s in slots if present.get(s.id, 0) == capacity[s.room_id]]
        assert len(full) == 1
        assert all(present.get(s.id, 0) <= capacity[s.room_id] for s in slots)
        per_person = Counter(db.exec(select(Presence.participant_id, Presence.round_id)).all())
        assert max(per_person.values()) == 1


def test_the_demo_has_a_harvest_under_way_in_round_one(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        event = events.by_slug(db, "demo")
        first = events.rounds(db, event)[0]
        harvest = notes.of_event(db, event)
        assert len(harvest) >= 15
        assert {n.kind for n in harvest} == {"idea", "experience", "proposal"}
        sessions = set()
        for note in harvest:
            slot = db.get(Slot, note.session_id)
            assert slot is not None and slot.round_id == first.id and slot.pitch_id == note.pitch_id
            assert first.starts <= note.created_at <= NOW
            sessions.add(slot.id)
        running = [s for s in events.sessions(db, event) if s.round_id == first.id]
        assert sessions == {s.id for s in running}, "every running session has notes"
        # Curated: some highlighted, themes on most, one from a note-taker, and +1s from participants.
        assert 3 <= sum(n.highlighted for n in harvest) < len(harvest)
        themes = notes.themes_of(db, [n.id for n in harvest])  # type: ignore[misc]
        assert sum(1 for n in harvest if themes.get(n.id)) >= len(harvest) - 2  # type: ignore[arg-type]
        assert {"ventetid", "kontakt", "digitalisering", "ensomhed"} <= set(notes.themes_in_use(db, event))
        assert [n.source for n in harvest].count("taker") == 1
        support = notes.support_counts(db, event)
        assert sum(support.values()) >= 30 and max(support.values()) >= 8
        supporters = db.exec(select(Support.participant_id)).all()
        assert set(supporters) <= set(db.exec(select(Participant.id).where(Participant.event_id == event.id)))
        tokens = db.exec(select(Participant.token).where(Participant.event_id == event.id)).all()
        assert all(tokens) and len(set(tokens)) == len(tokens)


def test_the_attendance_log_never_overfills_a_room_nor_runs_ahead(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        event = events.by_slug(db, "demo")
        log = attendance.log(db, event)
        capacity = {
            s.id: r.capacity for s in events.sessions(db, event) for r in events.rooms(db, event) if r.id == s.room_id
        }
    assert log and all(entry.at <= NOW for entry in log)
    for session_id, curve in attendance.curves(log).items():
        assert curve.peak <= capacity[session_id]


def test_loading_the_demo_twice_loads_it_once(database: Database) -> None:
    assert load_demo(database, now=NOW) is True
    before = snapshot(database)
    assert load_demo(database) is False
    assert snapshot(database) == before
    with database.read() as db:
        assert db.exec(select(func.count()).select_from(Event)).one() == 1
        for model in (Room, Pitch, Participant, Interest):
            assert db.exec(select(func.count()).select_from(model)).one() > 0
