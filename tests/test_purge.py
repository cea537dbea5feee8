"""Purge: after the event nobody can be identified, and the harvest is all still there."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from liveboard.db import Database
from liveboard.demo import load_demo
from liveboard.domain import audit, events, participants, pitches
from liveboard.domain.purge import preview, purge
from liveboard.models import Event, Interest, Note, Participant, Pitch, Presence


def load(database: Database) -> None:
    load_demo(database, now=datetime(2026, 3, 12, 19, 0, tzinfo=UTC))
    with database.write() as db:
        pitches.type_in(db, events.by_slug(db, "demo"), {"title": "Fra et papirkort", "author": "Værten"})


def harvest(database: Database) -> dict:
    """What must survive a purge: the snapshot's counts and texts, and the notes' texts."""
    with database.read() as db:
        event = events.by_slug(db, "demo")
        data = events.snapshot(db, event, host=True)
        texts = sorted((n.kind, n.text, n.pitch_id, n.session_id) for n in db.exec(select(Note)))
        rows = (len(db.exec(select(Interest)).all()), len(db.exec(select(Presence)).all()))
    data.pop("version")
    for pitch in data["pitches"]:  # pitch authors from phones are cleared on purpose
        pitch.pop("author")
    return {"snapshot": data, "notes": texts, "rows": rows}


def test_purge_clears_tokens_and_names(database: Database) -> None:
    load(database)
    with database.read() as db:
        expected = preview(db, events.by_slug(db, "demo"))
    assert expected["participants"] > 0 and expected["notes"] > 0 and expected["pitches"] > 0
    with database.write() as db:
        counts = purge(db, events.by_slug(db, "demo"))
    assert counts == expected
    with database.read() as db:
        people = db.exec(select(Participant)).all()
        assert all(p.token is None and p.name is None for p in people)
        assert all(n.author == "" and n.participant_id is None for n in db.exec(select(Note)))
        for pitch in db.exec(select(Pitch)):
            assert pitch.participant_id is None
            if pitch.source == "phone":
                assert pitch.author == ""
        typed_in = db.exec(select(Pitch).where(Pitch.title == "Fra et papirkort")).one()
        assert typed_in.author == "Værten"


def test_purge_keeps_pitches_notes_and_counts(database: Database) -> None:
    load(database)
    before = harvest(database)
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    assert harvest(database) == before


def test_purge_raises_the_version_and_is_audited(database: Database) -> None:
    load(database)
    with database.read() as db:
        version = events.by_slug(db, "demo").version
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    with database.read() as db:
        event = events.by_slug(db, "demo")
        assert event.version > version
        assert audit.entries(db, event)[0].action == "event.purge"


def test_a_second_purge_finds_nothing_left(database: Database) -> None:
    load(database)
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    with database.write() as db:
        event = events.by_slug(db, "demo")
        assert preview(db, event) == {"participants": 0, "notes": 0, "pitches": 0}
        assert purge(db, event) == {"participants": 0, "notes": 0, "pitches": 0}


def test_purge_touches_only_its_event(database: Database) -> None:
    load(database)
    with database.write() as db:
        other = Event(slug="andet", title="Et andet arrangement")
        db.add(other)
        db.flush()
        participants.get_or_create(db, other, "token-of-someone-else")
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    with database.read() as db:
        assert participants.find(db, events.by_slug(db, "andet"), "token-of-someone-else") is not None
