"""`Database.quick` (one statement on a DBAPI connection, for the reads a hall makes by the thousand) and
`Database.off_loop` (database work on a reader thread), on SQLite and on PostgreSQL: the same answers as a
Session gives, and the same errors, so a database that is away is told as one (503, or 1013 on a socket)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import bindparam
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from liveboard import demo, i18n
from liveboard.db import Database
from liveboard.domain import events
from liveboard.domain.changes import bump
from liveboard.models import Event, Room

ROOM_NAME = select(Room.name).where(Room.id == bindparam("room"))  # type: ignore[arg-type]
BY_SLUG_AND_PHASE = select(Event.id).where(Event.slug == bindparam("slug"), Event.phase == bindparam("phase"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    database: Database = request.getfixturevalue("database" if request.param == "sqlite" else "pg_database")
    assert demo.load_demo(database)
    return database


def test_scalar_reads_what_a_session_reads(db: Database) -> None:
    with db.read() as session:
        event = events.by_slug(session, demo.SLUG)
        room = session.exec(select(Room).where(Room.event_id == event.id)).first()
    assert room is not None
    assert db.quick.scalar(events.VERSION, event=event.id) == event.version
    assert db.quick.scalar(ROOM_NAME, room=room.id) == room.name  # a text as typed, Danish letters and all
    # Several parameters, passed by name whatever the driver's style (SQLite's are positional).
    assert db.quick.scalar(BY_SLUG_AND_PHASE, phase=event.phase, slug=demo.SLUG) == event.id
    assert (
        db.quick.scalar(BY_SLUG_AND_PHASE, phase="ended" if event.phase != "ended" else "setup", slug=demo.SLUG) is None
    )
    assert db.quick.scalar(events.VERSION, event=10**9) is None


def test_scalar_sees_a_commit_at_once(db: Database) -> None:
    with db.read() as session:
        event = events.by_slug(session, demo.SLUG)
    before = db.quick.scalar(events.VERSION, event=event.id)
    with db.write() as session:
        bump(session, events.ref(session, demo.SLUG, {}), "test")
    assert db.quick.scalar(events.VERSION, event=event.id) == before + 1


def test_a_failing_statement_is_sqlalchemys_error_and_the_connection_goes_back(tmp_path: Path) -> None:
    """An unmigrated file: the table is missing, as a database that is away fails, with `OperationalError` (which
    the web layer answers with 503). The pooled connection is given back each time."""
    database = Database(f"sqlite:///{tmp_path}/empty.db")
    try:
        for _ in range(database.engine.pool.size() + database.engine.pool._max_overflow + 2):  # type: ignore[attr-defined]
            with pytest.raises(OperationalError):
                database.quick.scalar(events.VERSION, event=1)
        assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        database.dispose()


def test_off_loop_runs_on_a_reader_thread_with_the_callers_context(db: Database) -> None:
    async def ask() -> tuple[str, str, bool]:
        i18n.current.set("en")
        return await db.off_loop(
            lambda: (i18n.current.get(), threading.current_thread().name, threading.current_thread() is main)
        )

    main = threading.current_thread()
    lang, name, on_main = asyncio.run(ask())
    assert lang == "en" and name.startswith("liveboard-read") and not on_main


def test_off_loop_passes_errors_on(db: Database) -> None:
    def fails() -> None:
        raise OperationalError("SELECT 1", {}, Exception("away"))

    with pytest.raises(OperationalError):
        asyncio.run(db.off_loop(fails))
