"""Migration 0004 on a log written the old way: rows of the shared password say "admin", the code's words become
values in `data`, and `detail` keeps only what people typed (`liveboard/migrations/versions/0004_accounts.py`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from servers import PostgresServer, database_name
from sqlalchemy import text

from liveboard import migrate
from liveboard.db import Database
from liveboard.domain import audit

#: (action, subject, detail as the code before 0004 wrote it) → (detail, data) after it.
OLD_ROWS: list[tuple[tuple[str, str, str], tuple[str, dict[str, Any]]]] = [
    (("pitch.edit", "pitch:3", "before: old text"), ("", {"before": "old text"})),
    (("note.edit", "note:4", "before: a line\nand another"), ("", {"before": "a line\nand another"})),
    (("pitch.merge", "pitch:4", "into pitch:3"), ("", {"into": 3})),
    (("note.merge", "note:8", "into note:7"), ("", {"into": 7})),
    (("session.swap", "session:4", "with session:5"), ("", {"with": 5})),
    (("session.remove", "session:4", "pitch:9"), ("", {"pitch": 9})),
    (("series.meeting", "series:unge", "meeting:2"), ("", {"meeting": 2})),
    (("series.close", "series:unge", "meeting:2"), ("", {"meeting": 2})),
    (("event.phase", "", "running"), ("", {"phase": "running"})),
    (("event.pitching", "", "closed"), ("", {"open": False})),
    (("event.pitching", "", "open"), ("", {"open": True})),
    (("room.add", "room:1", "Sal A (120)"), ("Sal A", {"capacity": 120})),
    (("room.edit", "room:1", "Sal (A) (80)"), ("Sal (A)", {"capacity": 80})),
    (("session.place", "session:6", "Titel → Sal A, Runde 1"), ("Titel", {"room": "Sal A", "round": "Runde 1"})),
    (
        ("session.place", "session:7", "Ældre → unge, og omvendt → Sal B, Runde 2"),
        ("Ældre → unge, og omvendt", {"room": "Sal B", "round": "Runde 2"}),
    ),
    (("session.move", "session:6", "→ Sal B, Runde 2"), ("", {"room": "Sal B", "round": "Runde 2"})),
    (
        ("event.purge", "", '{"participants": 2, "notes": 1, "pitches": 0}'),
        ("", {"participants": 2, "notes": 1, "pitches": 0}),
    ),
    (("note.key", "session:6", "new note-taker link"), ("", {})),
    (("note.themes", "note:4", "bolig, transport"), ("", {"themes": ["bolig", "transport"]})),
    # What people typed stays as they typed it, even when it reads like the code's words.
    (("pitch.approve", "pitch:3", "before: the storm"), ("before: the storm", {})),
    (("pitch.type_in", "pitch:5", "into pitch:3"), ("into pitch:3", {})),
    (("announce", "announcement:1", "Kaffen er klar"), ("Kaffen er klar", {})),
    (("round.add", "round:1", "Runde 1"), ("Runde 1", {})),
    (("series.create", "series:unge", ""), ("", {})),
    # A worded detail that does not fit its pattern is left alone rather than guessed at.
    (("room.add", "room:2", "Sal uden tal"), ("Sal uden tal", {})),
    (("event.purge", "", "not json"), ("not json", {})),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to 0003, before accounts, on each engine."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/old.db")
        migrate.upgrade(database.engine, "0003")
        yield database
        database.dispose()
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = postgres.create_database(database_name())
    database = Database(postgres.url(name))
    try:
        migrate.upgrade(database.engine, "0003")
        yield database
    finally:
        database.dispose()
        postgres.drop_database(name)


def write_the_old_way(database: Database) -> None:
    now = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO series (slug, title, audience, description, language, timezone, version, created_at) "
                "VALUES ('unge', 'Unge', '', '', 'da', 'Europe/Copenhagen', 0, :now)"
            ),
            {"now": now},
        )
        for (action, subject, detail), _ in OLD_ROWS:
            connection.execute(
                text(
                    "INSERT INTO audit (event_id, at, actor, action, subject, detail) "
                    "VALUES (NULL, :at, 'host', :action, :subject, :detail)"
                ),
                {"at": now, "action": action, "subject": subject, "detail": detail},
            )


def test_old_rows_say_admin_and_keep_the_codes_words_as_values(at_0003: Database) -> None:
    write_the_old_way(at_0003)
    migrate.upgrade(at_0003.engine)
    with at_0003.engine.connect() as connection:
        found = connection.execute(text("SELECT actor, action, detail, data, series_id FROM audit ORDER BY id")).all()
        series_id = connection.execute(text("SELECT id FROM series WHERE slug = 'unge'")).scalar_one()
    assert {row.actor for row in found} == {"admin"}
    for row, ((action, subject, _), (detail, data)) in zip(found, OLD_ROWS, strict=True):
        stored = row.data if isinstance(row.data, dict) else json.loads(row.data)
        assert (row.action, row.detail, stored) == (action, detail, data), action
        assert row.series_id == (series_id if subject.startswith("series:") else None), action


def test_every_old_action_reads_in_words_after(at_0003: Database) -> None:
    """The host console says the migrated values in the reader's language, without a parse of text."""
    write_the_old_way(at_0003)
    migrate.upgrade(at_0003.engine)
    with at_0003.engine.connect() as connection:
        found = connection.execute(text("SELECT action, data FROM audit ORDER BY id")).all()
    said = {}
    for row in found:
        data = row.data if isinstance(row.data, dict) else json.loads(row.data)
        described = audit.describe(row.action, data)
        if described is not None:
            message, values = described
            said.setdefault(row.action, message % values if values else message)  # the first of each action
    assert said["pitch.merge"] == "into #3"
    assert said["session.place"] == "in Sal A, Runde 1"
    assert said["event.phase"] == "Sessions running"
    assert said["event.pitching"] == "closed"
    assert said["note.themes"] == "themes: bolig, transport"  # a list: said, not looked up as a word
    assert said["event.purge"] == "2 participants, 1 notes, 0 pitches"
    assert said["room.add"] == "capacity 120"
    assert {row.action for row in found} <= set(audit.LABELS)
