"""What a LiveBoard database must look like whatever happened to the process that wrote it (a SIGKILL in the middle of
a storm of writes, a backup taken while the evening goes on): SQLite's own checks pass, the evening's rules hold,
and nothing is half-written.

Read straight from the file with plain SQL, apart from any server: a crashed server's file, or a backup copy that
no server ever opened.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    """The file read-only: a check must not be what repairs it (opening it read-write would replay the WAL into the
    database file; read-only, SQLite still reads the WAL, as a server starting on it would)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


@dataclass(frozen=True)
class Tally:
    """The versions, and the writes that each raised a version by one: a pitch, a phone's note, a join (one
    attendance `join` row, also when it moves the person out of another session), a series' item."""

    event_version: int
    series_version: int
    pitches: int
    notes: int
    joins: int
    items: int

    @property
    def writes(self) -> int:
        return self.pitches + self.notes + self.joins

    @classmethod
    def of(cls, db: sqlite3.Connection, event: str = "demo", series: str = "seniorer") -> Tally:
        one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
        event_id = one("SELECT id FROM event WHERE slug = ?", event)
        series_id = one("SELECT id FROM series WHERE slug = ?", series)
        return cls(
            event_version=one("SELECT version FROM event WHERE id = ?", event_id),
            series_version=one("SELECT version FROM series WHERE id = ?", series_id),
            pitches=one("SELECT count(*) FROM pitch WHERE event_id = ?", event_id),
            notes=one("SELECT count(*) FROM note WHERE event_id = ?", event_id),
            joins=one("SELECT count(*) FROM attendance WHERE event_id = ? AND action = 'join'", event_id),
            items=one("SELECT count(*) FROM item WHERE series_id = ?", series_id),
        )


def check(path: Path, before: Tally | None = None) -> Tally:
    """Assert every rule on the database file at `path`; its tally. With `before` (the tally when the writes
    began, when they were only joins, pitches, notes and items), each version rose by exactly its writes: no
    write is committed without its version, and no version without its write."""
    db = connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == [], "rows pointing at nothing"
        _check_rules(db)
        tally = Tally.of(db)
    finally:
        db.close()
    if before is not None:
        assert tally.event_version - before.event_version == tally.writes - before.writes, (before, tally)
        assert tally.series_version - before.series_version == tally.items - before.items, (before, tally)
    return tally


def _check_rules(db: sqlite3.Connection) -> None:
    # No session over its room's capacity.
    over = db.execute(
        "SELECT s.id, r.capacity, (SELECT count(*) FROM presence p WHERE p.session_id = s.id) AS present"
        " FROM session s JOIN room r ON r.id = s.room_id WHERE present > r.capacity"
    ).fetchall()
    assert over == [], f"sessions over capacity: {over}"
    # One session per participant per round, and that session is in that round.
    twice = db.execute(
        "SELECT participant_id, round_id FROM presence GROUP BY participant_id, round_id HAVING count(*) > 1"
    ).fetchall()
    assert twice == [], f"in two sessions of one round: {twice}"
    astray = db.execute(
        "SELECT p.id FROM presence p JOIN session s ON s.id = p.session_id WHERE s.round_id <> p.round_id"
    ).fetchall()
    assert astray == [], f"presences in another round's session: {astray}"
    # A note belongs to its session's pitch (a swap afterwards may move the pitch, not in these tests' storms).
    notes = db.execute(
        "SELECT n.id FROM note n JOIN session s ON s.id = n.session_id WHERE n.pitch_id <> s.pitch_id"
    ).fetchall()
    assert notes == [], f"notes on another pitch than their session's: {notes}"
    # Every presence and the attendance log agree: where a person is now is where their last join in that round
    # took them, and a round they left or never joined has no presence (each join writes both, in one transaction).
    last: dict[tuple[int, int], tuple[str, int]] = {}
    for participant, round_id, session, action in db.execute(
        "SELECT a.participant_id, s.round_id, a.session_id, a.action FROM attendance a"
        " JOIN session s ON s.id = a.session_id WHERE a.participant_id IS NOT NULL ORDER BY a.id"
    ):
        if action == "join" or last.get((participant, round_id), ("", session))[1] == session:
            last[(participant, round_id)] = (action, session)
    present = {(p, r): s for p, r, s in db.execute("SELECT participant_id, round_id, session_id FROM presence")}
    logged = {key: session for key, (action, session) in last.items() if action == "join"}
    assert present == logged, _differences(present, logged)


def _differences(present: dict[tuple[int, int], int], logged: dict[tuple[int, int], int]) -> str:
    keys = sorted(set(present) | set(logged))
    found = defaultdict(list)
    for key in keys:
        if present.get(key) != logged.get(key):
            found["presence vs. last join"].append((key, present.get(key), logged.get(key)))
    return f"presence and the attendance log disagree: {dict(found)}"
