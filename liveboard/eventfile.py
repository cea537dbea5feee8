"""Event files: an event's setup written down in TOML, imported by `liveboard import`, and the JSON export.

A host prepares rooms, rounds and known pitches at a desk, days before the evening, and imports them into the
installation; importing the same file again after editing it updates the event in place. The file is checked
whole before anything is written, with the same field rules as the web forms (`domain.validate`), and it is
applied in one write transaction, so a bad file changes nothing.

Importing never deletes: rooms, rounds and pitches that exist in the database but not in the file stay, since
the evening may have added them (pitches from phones, a room opened at the last minute), and deleting from a
file that merely left them out would lose the harvest. Remove things in the host console instead.

Errors name where in the file they are, as `rooms[2].capacity: must be a whole number`. Indexes count the way
a person counts the `[[rooms]]` tables in the file: `rooms[1]` is the first one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import Session, select

from liveboard.db import Database
from liveboard.domain import audit, events, notes, setup, validate
from liveboard.domain.changes import bump
from liveboard.domain.errors import Invalid
from liveboard.models import Event, Pitch, Room, Round, utcnow
from liveboard.models import Session as Slot

DEFAULT_TIMEZONE = "Europe/Copenhagen"
LANGUAGES = ("da", "en")
#: Pitch statuses a file may set; "merged" is the result of a host's merge, never typed in.
FILE_PITCH_STATUSES = ("pending", "approved", "rejected")

EVENT_KEYS = ("slug", "title", "language", "venue", "timezone", "starts", "ends", "rooms", "rounds", "pitches")
ROOM_KEYS = ("name", "capacity", "location")
ROUND_KEYS = ("label", "starts", "ends")
PITCH_KEYS = ("title", "story", "author", "status")


class EventFileError(Exception):
    """The file cannot be imported; the message says where and why, in words a host can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportResult:
    slug: str
    created: bool
    rooms: int
    rounds: int
    pitches: int
    #: How many of the file's rooms, rounds and pitches were new to the event.
    added_rooms: int = 0
    added_rounds: int = 0
    added_pitches: int = 0

    def summary(self) -> str:
        how = "created" if self.created else "updated"
        return f"Imported {self.slug}: {self.rooms} rooms, {self.rounds} rounds, {self.pitches} pitches ({how})"


# --- reading the file ------------------------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def load_toml(path: str | Path) -> dict[str, Any]:
    """The file's tables as a dict. Syntax errors say the line and column, so a host can find the typo."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EventFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise EventFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventFileError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EventFileError(f"{path}: {_describe_toml_error(exc)}") from None


def _describe_toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """`line 3, column 1: Invalid value`. Python 3.14 has `lineno`/`colno`; 3.11 only puts them in the text."""
    message = str(exc.args[0]) if exc.args else str(exc)
    lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    found = _TOML_POSITION.search(message)
    if found:
        message = message[: found.start()]
        lineno, colno = lineno or int(found.group(1)), colno or int(found.group(2))
    message = getattr(exc, "msg", None) or message
    if lineno is None:
        return f"invalid TOML: {message}"
    return f"line {lineno}, column {colno}: invalid TOML: {message}"


# --- checking it -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RoomSpec:
    name: str
    capacity: int
    location: str


@dataclass(frozen=True)
class _RoundSpec:
    label: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class _PitchSpec:
    path: str
    title: str
    story: str
    author: str
    status: str


@dataclass(frozen=True)
class _EventSpec:
    slug: str
    #: Only the event fields the file gives; on an update, the others keep their stored values.
    fields: dict[str, Any]
    rooms: list[_RoomSpec]
    rounds: list[_RoundSpec]
    pitches: list[_PitchSpec]


def _field_error(path: str, error: Invalid) -> EventFileError:
    """`rooms[2].capacity: must be a whole number` from the domain's `{field} must be a whole number.`"""
    message = error.message
    if message.startswith("{field} "):
        message = message[len("{field} ") :]
    message = message.format(field=error.field or path, **error.params).rstrip(".")
    return EventFileError(f"{path}: {message}")


def _check(path: str, rule: Any, value: object, *args: Any, **kwargs: Any) -> Any:
    """Apply a `domain.validate` rule, turning its error into one that names the place in the file."""
    try:
        return rule(value, path, *args, **kwargs)
    except Invalid as error:
        raise _field_error(path, error) from None


def _refuse_unknown(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """A typo in a key must not be silently ignored: `capcity = 40` would otherwise lose the capacity."""
    for key in table:
        if key not in allowed:
            place = f"{where}.{key}" if where else key
            raise EventFileError(f"{place}: unknown key; expected one of: {', '.join(allowed)}")


def _tables(data: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
    """The `[[key]]` tables with their 1-based paths, e.g. ("rooms[1]", {...})."""
    value = data.get(key, [])
    if not isinstance(value, list):
        raise EventFileError(f"{key}: must be a list of tables, written as [[{key}]]")
    found = []
    for number, item in enumerate(value, start=1):
        path = f"{key}[{number}]"
        if not isinstance(item, dict):
            raise EventFileError(f"{path}: must be a table, written as [[{key}]]")
        found.append((path, item))
    return found


def _timezone(value: object) -> str:
    name = _check("timezone", validate.text, value, min_len=1, max_len=60)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise EventFileError(f"timezone: {name} is not a known time zone, e.g. Europe/Copenhagen") from None
    return name


def _event_fields(data: dict[str, Any], creating_defaults: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": _check("title", validate.text, data.get("title"), min_len=1, max_len=200)}
    if "language" in data or creating_defaults:
        fields["language"] = _check("language", validate.choice, data.get("language", "da"), LANGUAGES)
    if "venue" in data or creating_defaults:
        fields["venue"] = _check("venue", validate.text, data.get("venue"), max_len=200)
    if "timezone" in data or creating_defaults:
        fields["timezone"] = _timezone(data.get("timezone", DEFAULT_TIMEZONE))
    for key in ("starts", "ends"):
        if key in data:
            fields[key] = _check(key, validate.moment, data[key])
    if "starts" in fields and "ends" in fields and fields["ends"] <= fields["starts"]:
        raise EventFileError("ends: the event must end after it starts")
    return fields


def _rooms(data: dict[str, Any]) -> list[_RoomSpec]:
    specs: list[_RoomSpec] = []
    seen: dict[str, str] = {}
    for path, table in _tables(data, "rooms"):
        _refuse_unknown(table, ROOM_KEYS, path)
        name = _check(f"{path}.name", validate.text, table.get("name"), min_len=1, max_len=60)
        if name in seen:
            raise EventFileError(f"{path}.name: {name} is already the name of {seen[name]}")
        seen[name] = path
        capacity = _check(f"{path}.capacity", validate.integer, table.get("capacity"), minimum=1, maximum=100_000)
        location = _check(f"{path}.location", validate.text, table.get("location"), max_len=120)
        specs.append(_RoomSpec(name, capacity, location))
    return specs


def _rounds(data: dict[str, Any]) -> list[_RoundSpec]:
    specs: list[_RoundSpec] = []
    seen: dict[str, str] = {}
    for path, table in _tables(data, "rounds"):
        _refuse_unknown(table, ROUND_KEYS, path)
        label = _check(f"{path}.label", validate.text, table.get("label"), min_len=1, max_len=60)
        if label in seen:
            raise EventFileError(f"{path}.label: {label} is already the label of {seen[label]}")
        seen[label] = path
        starts = _check(f"{path}.starts", validate.moment, table.get("starts"))
        ends = _check(f"{path}.ends", validate.moment, table.get("ends"))
        if ends <= starts:
            raise EventFileError(f"{path}.ends: {label} must end after it starts")
        specs.append(_RoundSpec(label, starts, ends))
    return specs


def _pitches(data: dict[str, Any]) -> list[_PitchSpec]:
    """Pitches in a file are the host's own, like paper cards typed in: approved unless the file says otherwise."""
    specs: list[_PitchSpec] = []
    seen: dict[str, str] = {}
    for path, table in _tables(data, "pitches"):
        _refuse_unknown(table, PITCH_KEYS, path)
        title = _check(f"{path}.title", validate.text, table.get("title"), min_len=1, max_len=80)
        if title in seen:
            raise EventFileError(f"{path}.title: {title} is already the title of {seen[title]}")
        seen[title] = path
        story = _check(f"{path}.story", validate.text, table.get("story"), max_len=600)
        author = _check(f"{path}.author", validate.text, table.get("author"), max_len=60)
        status = _check(f"{path}.status", validate.choice, table.get("status", "approved"), FILE_PITCH_STATUSES)
        specs.append(_PitchSpec(path, title, story, author, status))
    return specs


def _parse(data: dict[str, Any], *, creating: bool) -> _EventSpec:
    return _EventSpec(
        slug=_check("slug", validate.slug, data.get("slug")),
        fields=_event_fields(data, creating),
        rooms=_rooms(data),
        rounds=_rounds(data),
        pitches=_pitches(data),
    )


# --- applying it -----------------------------------------------------------------------------------------------


def import_event(database: Database, data: dict[str, Any], *, actor: str = audit.CLI) -> ImportResult:
    """Create the event named by `slug`, or update it: matched by room name, round label and pitch title.

    Nothing the file leaves out is deleted (see the module docstring). The whole import is one transaction.
    """
    if not isinstance(data, dict):
        raise EventFileError("the file must hold an event's keys (slug, title, …) at its top level")
    _refuse_unknown(data, EVENT_KEYS, "")
    slug = _check("slug", validate.slug, data.get("slug"))
    with database.write() as db:
        db.info["actor"] = actor
        event = db.exec(select(Event).where(Event.slug == slug)).first()
        created = event is None
        spec = _parse(data, creating=created)
        if event is None:
            event = setup.make(db, _new_event(slug, spec))
            added_rooms, added_rounds = len(spec.rooms), len(spec.rounds)
        else:
            bump(db, event, "event")
            for key, value in spec.fields.items():
                setattr(event, key, value)
            db.add(event)
            added_rooms = _apply_rooms(db, event, spec.rooms)
            added_rounds = _apply_rounds(db, event, spec.rounds)
        added_pitches = _apply_pitches(db, event, spec.pitches)
        result = ImportResult(
            slug=slug,
            created=created,
            rooms=len(spec.rooms),
            rounds=len(spec.rounds),
            pitches=len(spec.pitches),
            added_rooms=added_rooms,
            added_rounds=added_rounds,
            added_pitches=added_pitches,
        )
        audit.record(
            db,
            event,
            "event.import",
            subject=f"event:{event.id}",
            data={"rooms": result.rooms, "rounds": result.rounds, "pitches": result.pitches, "created": created},
        )
    return result


def _new_event(slug: str, spec: _EventSpec) -> setup.EventData:
    """The file's event as the one way events are made (`domain.setup.make`). An imported event opens for pitches
    at once, as imports always have: the file is the hosts' own preparation. (One made in the browser starts in
    "setup", with pitching closed.)"""
    return setup.EventData(
        slug=slug,
        phase="pitching",
        pitching_open=True,
        rooms=[setup.RoomData(r.name, r.capacity, r.location, n) for n, r in enumerate(spec.rooms, start=1)],
        rounds=[setup.RoundData(r.label, r.starts, r.ends) for r in spec.rounds],
        **spec.fields,
    )


def _apply_rooms(db: Session, event: Event, specs: list[_RoomSpec]) -> int:
    existing = {r.name: r for r in events.rooms(db, event)}
    position = db.exec(select(func.coalesce(func.max(Room.position), 0)).where(Room.event_id == event.id)).one()
    added = 0
    for spec in specs:
        room = existing.get(spec.name)
        if room is None:
            position += 1
            added += 1
            room = Room(event_id=event.id, name=spec.name, position=position, capacity=spec.capacity)  # type: ignore[arg-type]
        room.capacity, room.location = spec.capacity, spec.location
        db.add(room)
    db.flush()
    return added


def _apply_rounds(db: Session, event: Event, specs: list[_RoundSpec]) -> int:
    existing = {r.label: r for r in events.rounds(db, event)}
    added = 0
    for spec in specs:
        round_ = existing.get(spec.label)
        if round_ is None:
            added += 1
            round_ = Round(event_id=event.id, label=spec.label, starts=spec.starts, ends=spec.ends)  # type: ignore[arg-type]
        round_.starts, round_.ends = spec.starts, spec.ends
        db.add(round_)
    db.flush()
    return added


def _apply_pitches(db: Session, event: Event, specs: list[_PitchSpec]) -> int:
    """Same moderation rules as the host console: a merged pitch keeps its fold, a placed one cannot be rejected."""
    existing: dict[str, Pitch] = {}
    # Phones may have sent the same title twice; the one not folded away is the one the file means.
    stored = db.exec(select(Pitch).where(Pitch.event_id == event.id).order_by(Pitch.id)).all()
    for pitch in sorted(stored, key=lambda p: p.status == "merged"):
        existing.setdefault(pitch.title, pitch)
    added = 0
    for spec in specs:
        pitch = existing.get(spec.title)
        if pitch is None:
            added += 1
            pitch = Pitch(event_id=event.id, title=spec.title, source="host")  # type: ignore[arg-type]
        elif spec.status != pitch.status:
            _check_status_change(db, pitch, spec)
        if (pitch.story, pitch.author, pitch.status) != (spec.story, spec.author, spec.status):
            pitch.story, pitch.author, pitch.status = spec.story, spec.author, spec.status
            pitch.updated_at = utcnow()
        db.add(pitch)
    db.flush()
    return added


def _check_status_change(db: Session, pitch: Pitch, spec: _PitchSpec) -> None:
    if pitch.status == "merged":
        raise EventFileError(
            f"{spec.path}.status: {spec.title} was merged into another pitch; its status cannot be set"
        )
    if spec.status != "approved" and db.exec(select(Slot).where(Slot.pitch_id == pitch.id)).first():
        raise EventFileError(
            f"{spec.path}.status: {spec.title} is placed in the schedule; remove it from the grid before "
            f"making it {spec.status}"
        )


# --- export ----------------------------------------------------------------------------------------------------


def event_data(db: Session, event: Event, *, host: bool = True) -> dict[str, Any]:
    """The contract's snapshot (host view unless `host` is false) with the event's own fields: what an event file
    says and more. The exports (`liveboard.exports`) add the harvest to it."""
    snapshot = events.snapshot(db, event, host=host)
    head = {
        "slug": snapshot.pop("slug"),
        "title": snapshot.pop("title"),
        "version": snapshot.pop("version"),
        "language": event.language,
        "venue": event.venue,
        "timezone": event.timezone,
        "starts": events.iso(event.starts),
        "ends": events.iso(event.ends),
    }
    return {**head, **snapshot}


def export_event(db: Session, event: Event, *, host: bool = True) -> dict[str, Any]:
    """The contract's snapshot (host view unless `host` is false), with the event's fields and the visible notes."""
    harvest = [
        {
            "id": note.id,
            "session_id": note.session_id,
            "pitch_id": note.pitch_id,
            "kind": note.kind,
            "text": note.text,
            "author": note.author,
            "created_at": events.iso(note.created_at),
        }
        for note in notes.of_event(db, event)
    ]
    return {**event_data(db, event, host=host), "notes": harvest}


# --- series files ----------------------------------------------------------------------------------------------
#
# A dialogue-meeting series written down: `series = "slug"` at the top level (where an event file has `slug`),
# the series' own fields, its `[[meetings]]` and, optionally, friction points already known (`[[items]]`, e.g.
# from a meeting held on paper). Importing again updates in place: meetings are matched by their start time, items
# by title; nothing the file leaves out is deleted. New meetings and items go through the domain (`schedule`,
# `propose`), so items land on the agenda of the next meeting exactly as if raised on a phone. See
# docs/examples/series.toml.

SERIES_KEYS = ("series", "title", "audience", "description", "language", "timezone", "meetings", "items")
MEETING_KEYS = ("starts", "place", "organisations")
ITEM_KEYS = ("title", "story", "service", "channel", "organisation")


def is_series_file(data: object) -> bool:
    return isinstance(data, dict) and "series" in data


@dataclass(frozen=True)
class SeriesImportResult:
    slug: str
    created: bool
    meetings: int
    items: int
    added_meetings: int = 0
    added_items: int = 0

    def summary(self) -> str:
        how = "created" if self.created else "updated"
        return (
            f"Imported series {self.slug}: {self.meetings} meetings ({self.added_meetings} new), "
            f"{self.items} items ({self.added_items} new) ({how})"
        )


@dataclass(frozen=True)
class _MeetingSpec:
    path: str
    starts: datetime
    place: str
    organisations: str


@dataclass(frozen=True)
class _ItemSpec:
    path: str
    fields: dict[str, str]


def _series_fields(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": _check("title", validate.text, data.get("title"), min_len=1, max_len=200)}
    for key, most in (("audience", 200), ("description", 2000)):
        if key in data or creating:
            fields[key] = _check(key, validate.text, data.get(key), max_len=most)
    if "language" in data or creating:
        fields["language"] = _check("language", validate.choice, data.get("language", "da"), LANGUAGES)
    if "timezone" in data or creating:
        fields["timezone"] = _timezone(data.get("timezone", DEFAULT_TIMEZONE))
    return fields


def _meetings(data: dict[str, Any], timezone: str) -> list[_MeetingSpec]:
    from liveboard.domain.series import ORGANISATIONS_MAX, PLACE_MAX

    specs: list[_MeetingSpec] = []
    seen: dict[datetime, str] = {}
    for path, table in _tables(data, "meetings"):
        _refuse_unknown(table, MEETING_KEYS, path)
        starts = _check(f"{path}.starts", validate.moment, table.get("starts"), timezone=timezone)
        if starts in seen:
            raise EventFileError(f"{path}.starts: {seen[starts]} starts at the same time")
        seen[starts] = path
        place = _check(f"{path}.place", validate.text, table.get("place"), max_len=PLACE_MAX)
        organisations = table.get("organisations", "")
        if isinstance(organisations, list):
            if not all(isinstance(name, str) for name in organisations):
                raise EventFileError(f"{path}.organisations: must be a list of names, or text with one per line")
            organisations = "\n".join(name.strip() for name in organisations if name.strip())
        organisations = _check(f"{path}.organisations", validate.text, organisations, max_len=ORGANISATIONS_MAX)
        specs.append(_MeetingSpec(path, starts, place, organisations))
    return specs


def _items(data: dict[str, Any]) -> list[_ItemSpec]:
    from liveboard.domain import items as items_domain
    from liveboard.models import ITEM_CHANNELS

    limits = {
        "story": items_domain.STORY_MAX,
        "service": items_domain.SERVICE_MAX,
        "organisation": items_domain.ORGANISATION_MAX,
    }
    specs: list[_ItemSpec] = []
    seen: dict[str, str] = {}
    for path, table in _tables(data, "items"):
        _refuse_unknown(table, ITEM_KEYS, path)
        title = _check(f"{path}.title", validate.text, table.get("title"), min_len=1, max_len=items_domain.TITLE_MAX)
        if title in seen:
            raise EventFileError(f"{path}.title: {title} is already the title of {seen[title]}")
        seen[title] = path
        fields = {"title": title}
        for key, most in limits.items():
            fields[key] = _check(f"{path}.{key}", validate.text, table.get(key), max_len=most)
        fields["channel"] = _check(f"{path}.channel", validate.choice, table.get("channel", "both"), ITEM_CHANNELS)
        specs.append(_ItemSpec(path, fields))
    return specs


def import_series(database: Database, data: dict[str, Any], *, actor: str = audit.CLI) -> SeriesImportResult:
    """Create the series named by `series`, or update it. Checked whole first; applied in one transaction."""
    from liveboard.domain import items as items_domain
    from liveboard.domain import series as series_domain
    from liveboard.domain.changes import bump_series
    from liveboard.models import Item, Series

    _refuse_unknown(data, SERIES_KEYS, "")
    slug = _check("series", validate.slug, data.get("series"))
    with database.write() as db:
        db.info["actor"] = actor
        found = db.exec(select(Series).where(Series.slug == slug)).first()
        created = found is None
        fields = _series_fields(data, created)
        timezone = fields.get("timezone") or (found.timezone if found else DEFAULT_TIMEZONE)
        meetings, items = _meetings(data, timezone), _items(data)
        if found is None:
            found = Series(slug=slug, **fields)
            db.add(found)
            db.flush()
        else:
            bump_series(db, found, "series")
            for key, value in fields.items():
                setattr(found, key, value)
            db.add(found)
        known = {_utc(m.starts): m for m in series_domain.meetings(db, found)}
        added_meetings = 0
        for spec in meetings:
            form = {"starts": spec.starts, "place": spec.place, "organisations": spec.organisations}
            existing = known.get(spec.starts)
            if existing is None:
                series_domain.schedule(db, found, form)
                added_meetings += 1
            elif (existing.place, existing.organisations) != (spec.place, spec.organisations):
                series_domain.edit_meeting(db, found, existing.id, form)
        stored = db.exec(select(Item).where(Item.series_id == found.id).order_by(Item.id)).all()
        by_title: dict[str, Item] = {}
        for item in sorted(stored, key=lambda i: i.merged_into_id is not None):
            by_title.setdefault(item.title, item)
        added_items = 0
        for spec in items:
            item = by_title.get(spec.fields["title"])
            if item is None:
                items_domain.propose(db, found, None, spec.fields)
                added_items += 1
                continue
            changed = {k: v for k, v in spec.fields.items() if getattr(item, k) != v}
            if changed:
                bump_series(db, found, "item", item_id=item.id)  # type: ignore[arg-type]
                for key, value in changed.items():
                    setattr(item, key, value)
                db.add(item)
        result = SeriesImportResult(slug, created, len(meetings), len(items), added_meetings, added_items)
        audit.record(
            db,
            None,
            "series.import",
            subject=f"series:{slug}",
            data={"meetings": len(meetings), "items": len(items), "created": created},
            series=found,
        )
    return result


def _utc(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
