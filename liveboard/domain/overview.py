"""The hosts' home: every event as running now, upcoming or past, and every series with its next meeting.

An event's times are its own `starts`/`ends` and its rounds'. The phase the hosts set counts too: "ended" is
past whatever the clock says, and "running" keeps an evening that overruns its last round under "Running now"
for a while. An event with no date yet is being prepared, so it goes with the upcoming ones, after those that
have a date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from liveboard.domain import events
from liveboard.domain import series as series_domain
from liveboard.models import Event, Meeting, Round, Series

#: How long an event whose end nobody wrote down (no `ends`, no rounds) counts as running after it starts: an
#: evening.
EVENING = timedelta(hours=5)
#: How long an event the hosts keep in the "running" phase stays under "Running now" after its last round ended:
#: the talk after the last round, the harvest read out, before someone sets it to "ended".
OVERRUN = timedelta(hours=3)


@dataclass(frozen=True)
class EventLine:
    event: Event
    #: When it starts, from its own time and its rounds'; None when it has no date yet.
    starts: datetime | None
    #: When it ends, from its own time and its rounds'; None when nobody wrote it down.
    ends: datetime | None


@dataclass
class Overview:
    running: list[EventLine] = field(default_factory=list)
    upcoming: list[EventLine] = field(default_factory=list)
    past: list[EventLine] = field(default_factory=list)
    #: Every series with its next meeting not yet held (None when none is scheduled).
    series: list[tuple[Series, Meeting | None]] = field(default_factory=list)


def _utc(moment: datetime | None) -> datetime | None:
    """Some drivers hand back naive datetimes (SQLite); the stored times are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _spans(db: Session) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Each event's first round start and last round end, in one query."""
    rows = db.exec(
        select(Round.event_id, func.min(Round.starts), func.max(Round.ends)).group_by(Round.event_id)  # type: ignore[call-overload]
    ).all()
    return {event_id: (_utc(first), _utc(last)) for event_id, first, last in rows}


def line(event: Event, first_round: datetime | None, last_round: datetime | None) -> EventLine:
    starts = min((t for t in (_utc(event.starts), first_round) if t is not None), default=None)
    ends = max((t for t in (_utc(event.ends), last_round) if t is not None), default=None)
    return EventLine(event, starts, ends)


def when(item: EventLine, now: datetime) -> str:
    """Which group the event goes in: "running", "upcoming" or "past"."""
    if item.event.phase == "ended":
        return "past"
    ends = item.ends or (item.starts + EVENING if item.starts is not None else None)
    if item.event.phase == "running" and (ends is None or now < ends + OVERRUN):
        return "running"
    if item.starts is None or now < item.starts:
        return "upcoming"
    return "running" if ends is None or now < ends else "past"


def load(db: Session, now: datetime) -> Overview:
    spans = _spans(db)
    overview = Overview()
    for event in events.all_events(db):
        item = line(event, *spans.get(event.id, (None, None)))  # type: ignore[arg-type]
        getattr(overview, when(item, now)).append(item)
    far = datetime.max.replace(tzinfo=UTC)
    overview.running.sort(key=lambda i: (i.starts or far, i.event.id))
    overview.upcoming.sort(key=lambda i: (i.starts or far, i.event.id))
    overview.past.sort(key=lambda i: (i.starts or far, i.event.id), reverse=True)
    overview.series = [(s, series_domain.next_meeting(db, s)) for s in series_domain.all_series(db)]
    return overview
