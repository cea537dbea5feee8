"""Making events: from the organisers' "New event" form, as a copy of another event, and from event files.

Every path that brings an event into being ends in `make`, which takes plain, already checked values, so the
browser, the copy and `liveboard import` cannot drift apart on what a new event is (its defaults, how its rooms
and rounds are attached, what happens when two people take the same address at once). The checking differs by
source and stays with it: the form and the copy follow the contract's rules here (`event_fields`), an event file
keeps its own limits and its messages that name the place in the file (`eventfile.py`).

This is a module of its own, not part of `events.py`: that one works on an event that exists (its rooms, rounds,
phase, snapshot), while this one decides what a new event is. The console's "what is still missing" list
(`checklist`) lives here too, since it is the other half of the same job: getting a new event ready.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from liveboard.domain import audit, events, validate
from liveboard.domain.errors import N_, Conflict, Invalid
from liveboard.models import Event, Room, Round

DEFAULT_TIMEZONE = "Europe/Copenhagen"
LANGUAGES = ("da", "en")
#: The contract's slug for new events: short enough to print under a QR code and to type from a flyer.
SLUG_MIN, SLUG_MAX = 2, 40
SLUG_PATTERN = re.compile(r"[a-z0-9-]+")
TITLE_MAX = 120
PLACE_MAX = 120
#: A start outside these years is a slip of the keyboard (a browser takes years up to 275760), and rounds moved
#: by such a distance would fall off the calendar.
FIRST_YEAR, LAST_YEAR = validate.YEARS.start, validate.YEARS.stop - 1
#: A new event from the browser or a copy is prepared before anyone sees it: the hosts open pitching themselves.
NEW_PHASE = "setup"
#: The time zones the form offers, where LiveBoard's users are: the Danish realm first, then Europe, then a few
#: more. Any IANA name is accepted from a script; the form keeps the choice short.
COMMON_TIMEZONES = (
    "Europe/Copenhagen",
    "Atlantic/Faroe",
    "America/Nuuk",
    "Europe/Oslo",
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Atlantic/Reykjavik",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Paris",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Warsaw",
    "Europe/Tallinn",
    "Europe/Riga",
    "Europe/Vilnius",
    "Europe/Athens",
    "America/New_York",
    "UTC",
)


@dataclass(frozen=True)
class RoomData:
    name: str
    capacity: int
    location: str = ""
    #: The room's place in lists and on screens (rooms are shown by position, then id).
    position: int = 0


@dataclass(frozen=True)
class RoundData:
    label: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class EventData:
    """A new event as plain values, already checked by whoever read them."""

    slug: str
    title: str
    starts: datetime | None = None
    timezone: str = DEFAULT_TIMEZONE
    language: str = "da"
    venue: str = ""
    ends: datetime | None = None
    phase: str = NEW_PHASE
    pitching_open: bool = False
    rooms: Sequence[RoomData] = field(default_factory=tuple)
    rounds: Sequence[RoundData] = field(default_factory=tuple)


def make(db: Session, data: EventData) -> Event:
    """Insert a new event with its rooms and rounds. 409 when the slug is taken, also when another transaction
    takes it at the same moment (the unique index decides; the savepoint keeps this transaction usable).

    It records no audit entry: the caller knows what happened (`event.create`, `event.copy`, `event.import`). A new
    event has no clients yet, so nothing is bumped, and no other event's version moves."""
    if db.exec(select(Event.id).where(Event.slug == data.slug)).first() is not None:
        raise _taken()
    event = Event(
        slug=data.slug,
        title=data.title,
        starts=data.starts,
        ends=data.ends,
        timezone=data.timezone,
        language=data.language,
        venue=data.venue,
        phase=data.phase,
        pitching_open=data.pitching_open,
    )
    try:
        with db.begin_nested():  # two organisers choosing the same address at once: one wins, the other is told
            db.add(event)
            db.flush()
    except IntegrityError:
        raise _taken() from None
    for room in data.rooms:
        db.add(Room(event_id=event.id, **vars(room)))  # type: ignore[arg-type]
    for round_ in data.rounds:
        db.add(Round(event_id=event.id, **vars(round_)))  # type: ignore[arg-type]
    db.flush()
    return event


def _taken() -> Conflict:
    return Conflict(N_("There is already an event at that address."), field="slug")


# --- the contract's rules for the form and the copy -------------------------------------------------------------


def new_slug(value: object) -> str:
    """2–40 of a–z, 0–9 and -, as the contract says for new events. (`validate.slug` is looser, for the addresses
    that exist already: longer, with `_`; it stays as it is for them.)"""
    slug = validate.text(value, "slug", min_len=1, max_len=SLUG_MAX)
    if len(slug) < SLUG_MIN:
        raise Invalid(N_("{field} must be at least {min} characters."), field="slug", min=SLUG_MIN)
    if not SLUG_PATTERN.fullmatch(slug):
        raise Invalid(N_("{field} may hold only the letters a–z, digits and -."), field="slug")
    return slug


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone(value: object) -> str:
    """An IANA time zone name; empty means the default, Europe/Copenhagen."""
    name = validate.text(value, "timezone", max_len=60) or DEFAULT_TIMEZONE
    if name not in _known_zones():
        raise Invalid(N_("{field} must be a time zone name such as Europe/Copenhagen."), field="timezone")
    return name


def starts(value: object, zone: str) -> datetime:
    """An ISO 8601 time; without an offset (a browser's datetime-local field) it is read on the event's clock."""
    if not isinstance(value, datetime):
        validate.text(value, "starts", min_len=1, max_len=40)
    try:
        moment = validate.moment(value, "starts", timezone=zone)
    except OverflowError:
        moment = None
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise _out_of_range()
    return moment


def _out_of_range() -> Invalid:
    return Invalid(
        N_("{field} must be a date between {first} and {last}."), field="starts", first=FIRST_YEAR, last=LAST_YEAR
    )


def title(value: object) -> str:
    return validate.text(value, "title", min_len=1, max_len=TITLE_MAX)


def event_fields(fields: dict[str, object]) -> EventData:
    """The "New event" form, checked field by field in the form's order (the first bad one is named)."""
    name = title(fields.get("title"))
    slug = new_slug(fields.get("slug"))
    zone = timezone(fields.get("timezone"))
    start = starts(fields.get("starts"), zone)
    language = validate.choice(fields.get("language") or "da", "language", LANGUAGES)
    place = validate.text(fields.get("place"), "place", max_len=PLACE_MAX)
    return EventData(slug=slug, title=name, starts=start, timezone=zone, language=language, venue=place)


def create(db: Session, fields: dict[str, object]) -> Event:
    """A new event from the organisers' form: in the "setup" phase, pitching closed, no rooms or rounds yet."""
    event = make(db, event_fields(fields))
    audit.record(db, event, "event.create", subject=f"event:{event.id}", detail=event.title)
    return event


def copy(db: Session, source_slug: str, fields: dict[str, object]) -> Event:
    """A new event with the rooms and rounds of `source_slug`, on a new date; no pitches, people, notes or
    announcements. Time zone, language and place come from the source.

    Every round keeps its distance from the event's start (the contract): the rounds move by the new start minus
    the old, as a length of time. On the same side of a daylight-saving change that keeps the clock times too;
    an evening that spans the change itself keeps its lengths, and its clock times after the change move by the
    hour the clocks did. A source without `starts` is taken to start with its first round; a source with neither
    has no rounds to move, and its event end (if any) is left out, having nothing to be measured from.
    """
    source = events.by_slug(db, source_slug)
    name = title(fields.get("title"))
    slug = new_slug(fields.get("slug"))
    start = starts(fields.get("starts"), source.timezone)
    source_rounds = events.rounds(db, source)
    old_start = source.starts or (source_rounds[0].starts if source_rounds else None)
    shift = start - old_start if old_start is not None else timedelta(0)
    try:
        rounds = [RoundData(r.label, r.starts + shift, r.ends + shift) for r in source_rounds]
        ends = source.ends + shift if source.ends is not None and old_start is not None else None
    except OverflowError:
        raise _out_of_range() from None
    rooms = [RoomData(r.name, r.capacity, r.location, r.position) for r in events.rooms(db, source)]
    data = EventData(
        slug=slug,
        title=name,
        starts=start,
        ends=ends,
        timezone=source.timezone,
        language=source.language,
        venue=source.venue,
        rooms=rooms,
        rounds=rounds,
    )
    event = make(db, data)
    audit.record(db, event, "event.copy", subject=f"event:{event.id}", detail=event.title, data={"source": source.slug})
    return event


# --- what a new event still lacks -------------------------------------------------------------------------------

#: What the console's checklist can name, in the order a first-time organiser does them.
MISSING = ("rooms", "rounds", "pitching", "posters")
#: Phases in which the checklist is shown: once the sessions run, nothing is left to prepare.
PREPARING = ("setup", "pitching")


@dataclass(frozen=True)
class Checklist:
    #: Whether the console shows it: while the event is being prepared.
    shown: bool
    #: Codes from `MISSING`, in that order; empty when the event is ready.
    missing: tuple[str, ...]


def checklist(event: Event, rooms: Sequence[Room], rounds: Sequence[Round]) -> Checklist:
    """What is still missing before the evening: no rooms, no rounds, pitching closed, door posters not printed
    yet (`Event.posters_printed_at`, set when a host opens them for printing)."""
    lacking = {
        "rooms": not rooms,
        "rounds": not rounds,
        "pitching": not event.pitching_open,
        "posters": event.posters_printed_at is None,
    }
    return Checklist(event.phase in PREPARING, tuple(code for code in MISSING if lacking[code]))
