"""Who came and went, and when: an append-only log of joins and leaves, and the curves drawn from it.

`presence` says who is where now; this says how a session filled and emptied over the evening. Each join
and leave is appended in the same transaction as the presence change, so the two never disagree, and
nothing here is ever updated or deleted (a purge only cuts the link to the participant).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from liveboard.models import Attendance, Event, Presence
from liveboard.models import Session as Slot


def left(db: Session, slot: Slot, participant_id: int | None) -> None:
    _append(db, slot, participant_id, "leave")


def emptied(db: Session, slot: Slot) -> None:
    """Everyone in `slot` leaves (the session is removed, or moved to another round): one leave each."""
    for participant_id in db.exec(select(Presence.participant_id).where(Presence.session_id == slot.id)).all():
        left(db, slot, participant_id)


_INSERT = insert(Attendance.__table__)  # type: ignore[attr-defined]  # built once: a round start writes it


def append_many(db: Session, rows: list[dict]) -> None:
    """Rows as one plain insert (`presence.moves`: a batch of joins and leaves), without the ORM's unit of work.
    Each row: event_id, session_id, pitch_id, participant_id, action, at."""
    if rows:
        db.connection().execute(_INSERT, rows)


def _append(db: Session, slot: Slot, participant_id: int | None, action: str) -> None:
    db.add(
        Attendance(
            event_id=slot.event_id,
            session_id=slot.id,
            pitch_id=slot.pitch_id,
            participant_id=participant_id,
            action=action,
        )
    )


def log(db: Session, event: Event) -> list[Attendance]:
    query = select(Attendance).where(Attendance.event_id == event.id).order_by(col(Attendance.at), col(Attendance.id))
    return list(db.exec(query))


@dataclass(frozen=True)
class Curve:
    """A session's headcount over time: a step function, as (moment, count from then on) points."""

    points: list[tuple[datetime, int]]

    @property
    def peak(self) -> int:
        return max((count for _, count in self.points), default=0)

    @property
    def peak_at(self) -> datetime | None:
        return next((moment for moment, count in self.points if count == self.peak and count), None)

    def at(self, moment: datetime) -> int:
        """The headcount at `moment`."""
        count = 0
        for when, value in self.points:
            if when > moment:
                break
            count = value
        return count


def curves(entries: Iterable[Attendance]) -> dict[int, Curve]:
    """Per session id, its curve. A leave without a join before it (a log that starts mid-evening) is
    ignored rather than drawn below zero; entries at the same moment make one point."""
    points: dict[int, list[tuple[datetime, int]]] = {}
    counts: dict[int, int] = {}
    for entry in entries:
        if entry.session_id is None:
            continue
        count = counts.get(entry.session_id, 0)
        count = count + 1 if entry.action == "join" else max(0, count - 1)
        counts[entry.session_id] = count
        series = points.setdefault(entry.session_id, [])
        if series and series[-1][0] == entry.at:
            series[-1] = (entry.at, count)
        else:
            series.append((entry.at, count))
    return {session_id: Curve(series) for session_id, series in points.items()}
