"""Committed changes: the one place where an event's version rises and its change is recorded.

Each write bumps the event's version inside its transaction and notes what changed on the session;
`Database.write` hands the notes to the live layer only after the commit succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import inspect, update
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


def bump(db: Session, event: Event, kind: str, **ids: int) -> int:
    """Raise the event's version and record the change. Call it first in a write: it takes the event's row lock."""
    version = db.exec(  # type: ignore[call-overload]
        update(Event).where(Event.id == event.id).values(version=Event.version + 1).returning(Event.version)
    ).scalar_one()
    event.version = version
    db.info.setdefault("changes", []).append(Change(event.id, event.slug, version, kind, dict(ids)))  # type: ignore[arg-type]
    return version


def reload(db: Session, row: T) -> T | None:
    """`row` as it is committed now, or None when it is gone: for rows read before `bump`.

    On PostgreSQL, writes run side by side until `bump` lines them up, so while this transaction waited for the
    event's lock another one may have changed or removed what it had read. (SQLite's BEGIN IMMEDIATE takes the
    lock before the first read, so there nothing changes.)"""
    return db.get(type(row), inspect(row).identity, populate_existing=True)


def bump_series(db: Session, series: Series, kind: str, **ids: int) -> int:
    """`bump` for a dialogue series: its version rises and its row is locked, first thing in every write."""
    version = db.exec(  # type: ignore[call-overload]
        update(Series).where(Series.id == series.id).values(version=Series.version + 1).returning(Series.version)
    ).scalar_one()
    series.version = version
    db.info.setdefault("changes", []).append(Change(series.id, series.slug, version, kind, dict(ids), "series"))  # type: ignore[arg-type]
    return version


def take_changes(db: Session) -> list[Change]:
    return db.info.pop("changes", [])


def tag(db: Session, **ids: int) -> None:
    """Add ids known only after the insert (a new row's id) to the change this transaction recorded last."""
    db.info["changes"][-1].ids.update(ids)
