"""Privacy by default: what identifies people is purged a set number of days after it was last needed.

Danish municipalities answer to the GDPR, and an evening's personal data (which phone did what, names typed in)
serve only the evening and its follow-up. So `LIVEBOARD_RETENTION_DAYS` after an event ends, its participants
are forgotten exactly as `liveboard purge` forgets them (`purge.purge`); a dialogue series never ends, so each
member is forgotten that many days after their last visit (`forget_members`). Either way tokens and names go
and everything people made stays, anonymous: pitches, notes, points, interest, +1s and the counts.

The sweep runs by itself (`liveboard.housekeeping`), on several instances at once too. Each purge is a short
write of its own that takes the event's (or the series') lock and checks again under it, so of two instances
racing, the second finds nothing left and writes nothing: one purge, one audit entry. An ended event is marked
once even when it held nothing personal, so the host console can say when its data went.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from liveboard.domain import audit, purge
from liveboard.domain.changes import bump_series, lock, lock_series
from liveboard.models import AuditEntry, Event, Item, Member, Round, Series

PURGE = "event.purge"
FORGET = "series.purge"
#: A member's last visit is kept to the day: one small write a day per member, not one per request.
SEEN_EVERY = timedelta(days=1)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def ended(event: Event, rounds: Sequence[Round] = (), *, last_round: datetime | None = None) -> datetime | None:
    """When the event is over: the latest of its own end and its rounds' ends. One with neither is over when the
    day it starts is, at midnight on its own clock. One with no time at all has no end: nothing can say when it
    is over, so only a purge by hand clears it (the console says so)."""
    ends = [_aware(m) for m in (event.ends, last_round, *(r.ends for r in rounds)) if m is not None]
    if ends:
        return max(ends)
    if event.starts is None:
        return None
    zone = ZoneInfo(event.timezone or "Europe/Copenhagen")  # the model's default
    day = _aware(event.starts).astimezone(zone).date()
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)


def due(event: Event, rounds: Sequence[Round], days: int) -> datetime | None:
    """When the event's personal data are purged by themselves; None when it has no end."""
    end = ended(event, rounds)
    return None if end is None else end + timedelta(days=days)


@dataclass(frozen=True)
class Status:
    """What the host console says of the event's personal data."""

    days: int
    #: When they go by themselves; None for an event with no date.
    due: datetime | None
    #: When they went, once the event was over (by this rule or by hand); None while they are kept.
    purged: datetime | None


def status(db: Session, event: Event, rounds: Sequence[Round], days: int) -> Status:
    end = ended(event, rounds)
    purged = _purged_since(db, event, end) if end is not None else None
    return Status(days, None if end is None else end + timedelta(days=days), purged)


def _purged_since(db: Session, event: Event, end: datetime) -> datetime | None:
    found = db.exec(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.event_id == event.id, AuditEntry.action == PURGE, AuditEntry.at >= end
        )
    ).one()
    return None if found is None else _aware(found)


# --- the sweep ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """What is due at `now`: events to purge and series with members to forget, by id."""

    events: list[int]
    series: list[int]


def sweep(db: Session, now: datetime, days: int) -> Sweep:
    """Everything due, in a few reads for the whole installation: the sweep runs every hour."""
    last_rounds = dict(db.exec(select(Round.event_id, func.max(Round.ends)).group_by(Round.event_id)).all())
    marked = dict(
        db.exec(
            select(AuditEntry.event_id, func.max(AuditEntry.at))
            .where(AuditEntry.action == PURGE, col(AuditEntry.event_id).is_not(None))
            .group_by(AuditEntry.event_id)
        ).all()
    )
    holding = purge.holding(db)
    expired = []
    for event in db.exec(select(Event).order_by(Event.id)):
        end = ended(event, last_round=last_rounds.get(event.id))
        if end is None or end + timedelta(days=days) > now:
            continue
        last = marked.get(event.id)
        if event.id in holding or last is None or _aware(last) < end:
            expired.append(event.id)
    cutoff = now - timedelta(days=days)
    series = db.exec(select(Member.series_id).where(_forgettable(cutoff)).distinct().order_by(Member.series_id))
    return Sweep(expired, list(series))  # type: ignore[arg-type]


def purge_event(db: Session, event_id: int, now: datetime, days: int) -> dict[str, int] | None:
    """Purge the event if it is due at `now` and still holds something (or was never marked as purged since it
    ended); the counts, or None when there was nothing to do. Checked again under the event's lock: another
    instance may have done it meanwhile, or a host moved the event's rounds."""
    event = db.get(Event, event_id)
    if event is None:
        return None
    lock(db, event)
    end = ended(event, list(db.exec(select(Round).where(Round.event_id == event.id))))
    if end is None or end + timedelta(days=days) > now:
        return None
    if not any(purge.preview(db, event).values()) and _purged_since(db, event, end) is not None:
        return None
    return purge.purge(db, event)


def _forgettable(cutoff: datetime) -> Any:
    """Members who still identify someone and were last seen at `cutoff` or before."""
    seen = func.coalesce(Member.last_seen_at, Member.created_at)
    return col(Member.token).is_not(None) & (seen <= cutoff)


def _members(series: Series, now: datetime, days: int) -> Any:
    return (Member.series_id == series.id) & _forgettable(now - timedelta(days=days))


def members_due(db: Session, series_id: int, now: datetime, days: int) -> tuple[Series, int]:
    """The series and how many of its members `forget_members` would forget at `now`."""
    series = db.get(Series, series_id)
    assert series is not None
    return series, db.exec(select(func.count()).select_from(Member).where(_members(series, now, days))).one()


def forget_members(db: Session, series_id: int, now: datetime, days: int) -> dict[str, int] | None:
    """Forget the series' members not seen for `days`: their cookies no longer link to their points, which stay,
    as do their +1s (counted, from a member who identifies nobody). The counts, or None when nobody was due."""
    series = db.get(Series, series_id)
    if series is None:
        return None
    lock_series(db, series)
    rule = _members(series, now, days)
    if not db.exec(select(func.count()).select_from(Member).where(rule)).one():
        return None
    bump_series(db, series, "purge")
    forgotten = list(db.exec(update(Member).where(rule).values(token=None).returning(Member.id)).scalars())  # type: ignore[call-overload]
    items = db.exec(  # type: ignore[call-overload]
        update(Item).where(Item.series_id == series.id, col(Item.member_id).in_(forgotten)).values(member_id=None)
    ).rowcount
    counts = {"members": len(forgotten), "items": items}
    audit.record(db, None, FORGET, subject=f"series:{series.slug}", series=series, data=counts)
    return counts


# --- a member's visits -------------------------------------------------------------------------------------------


def stale(member: Member | None, now: datetime) -> bool:
    """Whether this visit should be recorded: at most once a day per member."""
    if member is None:
        return False
    return member.last_seen_at is None or now - _aware(member.last_seen_at) >= SEEN_EVERY


def seen(db: Session, member_id: int, now: datetime) -> None:
    """Record a member's visit. No version rises: nobody sees it, and it changes nothing on any page."""
    db.exec(update(Member).where(col(Member.id) == member_id).values(last_seen_at=now))  # type: ignore[call-overload]
