"""Committed changes: the one place where an event's version rises and its change is recorded.

Each write bumps the event's version inside its transaction and notes what changed on the session;
`Database.write` hands the notes to the live layer only after the commit succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Table, Update, bindparam, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from liveboard.models import Event, Series

T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    #: The event's id, or the series' when `scope` is "series".
    event_id: int
    slug: str
    version: int
    #: What changed, e.g. "pitch", "interest", "presence", "schedule", "announcement", "event".
    kind: str
    ids: dict[str, int] = field(default_factory=dict)
    #: "event" or "series": what `event_id` and `version` belong to.
    scope: str = "event"

    @property
    def topic(self) -> tuple[str, int]:
        """What the change is about, as the live layer keys its channels."""
        return (self.scope, self.event_id)


class Versioned(Protocol):
    """What `bump` needs of an event: an `Event` row, or an `events.EventRef` (id and slug alone)."""

    id: int | None
    slug: str
    version: int


def _bumping(table: Table) -> Update:
    return (
        update(table)
        .where(table.c.id == bindparam("ident"))
        .values(version=table.c.version + bindparam("by"))
        .returning(table.c.version)
    )


# Built once: every write runs one of these first, and a statement built per call costs several times its run.
_BUMP_EVENT = _bumping(Event.__table__)  # type: ignore[attr-defined]
_BUMP_SERIES = _bumping(Series.__table__)  # type: ignore[attr-defined]


def _bumped(db: Session, statement: Update, row: Any, by: int = 1) -> int:
    db.flush()  # what the ORM's autoflush would do before a statement: rows added so far are written first
    version = db.connection().execute(statement, {"ident": row.id, "by": by}).scalar_one()
    if isinstance(row, (Event, Series)):
        # The row in the session learns its version as loaded, not as an edit a flush would write again.
        set_committed_value(row, "version", version)
    else:
        row.version = version
    return version


_LOCK_EVENT = select(Event.__table__.c.id).where(Event.__table__.c.id == bindparam("ident")).with_for_update()  # type: ignore[attr-defined]


def lock(db: Session, event: Versioned) -> None:
    """Take the event's lock without writing yet: for a write that checks its rules first and bumps only once it
    is sure (PostgreSQL: the event's row, as `bump` would take it; SQLite: the writer already holds the
    database's write lock, from its BEGIN IMMEDIATE)."""
    if db.get_bind().dialect.name != "sqlite":
        db.connection().execute(_LOCK_EVENT, {"ident": event.id})


_LOCK_SERIES = select(Series.__table__.c.id).where(Series.__table__.c.id == bindparam("ident")).with_for_update()  # type: ignore[attr-defined]


def lock_series(db: Session, series: Series) -> None:
    """`lock` for a dialogue series: its row, as `bump_series` would take it."""
    if db.get_bind().dialect.name != "sqlite":
        db.connection().execute(_LOCK_SERIES, {"ident": series.id})


def bump(db: Session, event: Versioned, kind: str, **ids: int) -> int:
    """Raise the event's version and record the change. Call it first in a write: it takes the event's row lock."""
    version = _bumped(db, _BUMP_EVENT, event)
    db.info.setdefault("changes", []).append(Change(event.id, event.slug, version, kind, dict(ids)))  # type: ignore[arg-type]
    return version


def bump_each(db: Session, event: Versioned, kind: str, each: list[dict[str, int]]) -> list[int]:
    """`bump` for several changes of one write at once (`presence.moves`): one statement, a version each, in order.
    Unlike `bump`, it comes last: the caller holds the event's lock already (`lock`)."""
    if not each:
        return []
    last = _bumped(db, _BUMP_EVENT, event, by=len(each))
    versions = list(range(last - len(each) + 1, last + 1))
    db.info.setdefault("changes", []).extend(
        Change(event.id, event.slug, version, kind, dict(ids))  # type: ignore[arg-type]
        for version, ids in zip(versions, each, strict=True)
    )
    return versions


def reload(db: Session, row: T) -> T | None:
    """`row` as it is committed now, or None when it is gone: for rows read before `bump`.

    On PostgreSQL, writes run side by side until `bump` lines them up, so while this transaction waited for the
    event's lock another one may have changed or removed what it had read. (SQLite's BEGIN IMMEDIATE takes the
    lock before the first read, so there nothing changes.)"""
    return db.get(type(row), inspect(row).identity, populate_existing=True)


def bump_series(db: Session, series: Series, kind: str, **ids: int) -> int:
    """`bump` for a dialogue series: its version rises and its row is locked, first thing in every write."""
    version = _bumped(db, _BUMP_SERIES, series)
    db.info.setdefault("changes", []).append(Change(series.id, series.slug, version, kind, dict(ids), "series"))  # type: ignore[arg-type]
    return version


def take_changes(db: Session) -> list[Change]:
    return db.info.pop("changes", [])


def tag(db: Session, **ids: int) -> None:
    """Add ids known only after the insert (a new row's id) to the change this transaction recorded last."""
    db.info["changes"][-1].ids.update(ids)
