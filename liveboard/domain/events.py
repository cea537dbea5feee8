"""Events, their rooms and rounds, their phase, and the snapshot the contract's JSON shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from liveboard.domain import audit, validate
from liveboard.domain.changes import bump, reload
from liveboard.domain.errors import N_, Conflict, Invalid, NotFound
from liveboard.models import PHASES, Event, Interest, Pitch, Presence, Room, Round
from liveboard.models import Session as Slot

T = TypeVar("T", Room, Round)


@dataclass
class EventRef:
    """An event by its id and slug alone: all that a join or leave reads of it (`bump` needs no more)."""

    id: int
    slug: str
    version: int = 0


def ref(db: Session, slug: str, known: dict[str, int]) -> EventRef:
    """The event called `slug`, looked up once per process: `known` remembers slug → id, since an event keeps
    its slug and is never deleted. A round start's joins then read nothing of the event but its lock."""
    event_id = known.get(slug)
    if event_id is None:
        event_id = db.execute(select(Event.id).where(Event.slug == slug)).scalar()
        if event_id is None:
            raise NotFound(N_("There is no event called {slug}."), slug=slug)
        known[slug] = event_id
    return EventRef(event_id, slug)


#: An event's version, read by `Database.quick` when a hall's phones reopen their sockets (`live/endpoint.py`).
VERSION = select(Event.version).where(Event.id == bindparam("event"))  # type: ignore[arg-type]


def by_slug(db: Session, slug: str) -> Event:
    event = db.exec(select(Event).where(Event.slug == slug)).first()
    if event is None:
        raise NotFound(N_("There is no event called {slug}."), slug=slug)
    return event


def all_events(db: Session) -> list[Event]:
    return list(db.exec(select(Event).order_by(col(Event.starts).desc(), Event.id)))


def rooms(db: Session, event: Event) -> list[Room]:
    return list(db.exec(select(Room).where(Room.event_id == event.id).order_by(Room.position, Room.id)))


def rounds(db: Session, event: Event) -> list[Round]:
    return list(db.exec(select(Round).where(Round.event_id == event.id).order_by(Round.starts, Round.id)))


def _in_event(db: Session, event: Event, model: type[T], value: object, field: str, in_path: bool) -> T:
    """The row of this event with this id. An unknown id typed into a form is bad input (422); one in the
    address is not found (404)."""
    try:
        found = db.get(model, validate.integer(value, field))
    except Invalid:
        if not in_path:
            raise
        found = None
    if found is None or found.event_id != event.id:  # type: ignore[attr-defined]
        raise _missing(model, field, in_path)
    return found


def _missing(model: type[T], field: str, in_path: bool) -> NotFound | Invalid:
    message = (
        N_("There is no such room in this event.") if model is Room else N_("There is no such round in this event.")
    )
    return NotFound(message) if in_path else Invalid(message, field=field)


def fresh(db: Session, row: T, *, in_path: bool = False) -> T:
    """The room or round as it is now that `bump` holds the event's lock: a host may have edited or removed it in
    the meantime (see `changes.reload`)."""
    found = reload(db, row)
    if found is None:
        raise _missing(type(row), "room_id" if isinstance(row, Room) else "round_id", in_path)
    return found


def room(db: Session, event: Event, room_id: object, *, in_path: bool = False) -> Room:
    return _in_event(db, event, Room, room_id, "room_id", in_path)


def round_(db: Session, event: Event, round_id: object, *, in_path: bool = False) -> Round:
    return _in_event(db, event, Round, round_id, "round_id", in_path)


@dataclass(frozen=True)
class Clock:
    """Which round runs now and which comes next, at a given moment."""

    current: Round | None
    next: Round | None


def clock(all_rounds: list[Round], now: datetime) -> Clock:
    current = next((r for r in all_rounds if r.starts <= now < r.ends), None)
    upcoming = next((r for r in all_rounds if r.starts > now), None)
    return Clock(current, upcoming)


# --- host edits -----------------------------------------------------------------------------------------------


def set_phase(db: Session, event: Event, phase: object) -> None:
    phase = validate.choice(phase, "phase", PHASES)
    bump(db, event, "event")
    event.phase = phase
    db.add(event)
    audit.record(db, event, "event.phase", data={"phase": phase})


def set_pitching(db: Session, event: Event, is_open: bool) -> None:
    bump(db, event, "event")
    event.pitching_open = is_open
    db.add(event)
    audit.record(db, event, "event.pitching", data={"open": is_open})


def _room_fields(form: dict[str, object]) -> tuple[str, int, str]:
    return (
        validate.text(form.get("name"), "name", min_len=1, max_len=60),
        validate.integer(form.get("capacity"), "capacity", minimum=1, maximum=100_000),
        validate.text(form.get("location"), "location", max_len=120),
    )


def add_room(db: Session, event: Event, form: dict[str, object]) -> Room:
    name, capacity, location = _room_fields(form)
    bump(db, event, "rooms")
    if db.exec(select(Room).where(Room.event_id == event.id, Room.name == name)).first():
        raise Conflict(N_("There is already a room called {name}."), field="name", name=name)
    position = db.exec(select(func.coalesce(func.max(Room.position), 0)).where(Room.event_id == event.id)).one()
    new = Room(event_id=event.id, name=name, capacity=capacity, location=location, position=position + 1)
    db.add(new)
    db.flush()
    audit.record(db, event, "room.add", subject=f"room:{new.id}", detail=name, data={"capacity": capacity})
    return new


def edit_room(db: Session, event: Event, room_id: object, form: dict[str, object]) -> Room:
    name, capacity, location = _room_fields(form)
    target = room(db, event, room_id, in_path=True)
    bump(db, event, "rooms", room_id=target.id)  # type: ignore[arg-type]
    target = fresh(db, target, in_path=True)
    clash = db.exec(select(Room).where(Room.event_id == event.id, Room.name == name, Room.id != target.id)).first()
    if clash:
        raise Conflict(N_("There is already a room called {name}."), field="name", name=name)
    target.name, target.capacity, target.location = name, capacity, location
    db.add(target)
    audit.record(db, event, "room.edit", subject=f"room:{target.id}", detail=name, data={"capacity": capacity})
    return target


def remove_room(db: Session, event: Event, room_id: object) -> None:
    target = room(db, event, room_id, in_path=True)
    bump(db, event, "rooms", room_id=target.id)  # type: ignore[arg-type]
    target = fresh(db, target, in_path=True)
    if db.exec(select(Slot).where(Slot.room_id == target.id)).first():
        raise Conflict(N_("Sessions are placed in {name}: move or remove them first."), name=target.name)
    db.delete(target)
    audit.record(db, event, "room.remove", subject=f"room:{target.id}", detail=target.name)


def _round_fields(event: Event, form: dict[str, object]) -> tuple[str, datetime, datetime]:
    label = validate.text(form.get("label"), "label", min_len=1, max_len=60)
    starts = validate.moment(form.get("starts"), "starts", timezone=event.timezone)
    ends = validate.moment(form.get("ends"), "ends", timezone=event.timezone)
    if ends <= starts:
        raise Invalid(N_("A round must end after it starts."), field="ends")
    return label, starts, ends


def add_round(db: Session, event: Event, form: dict[str, object]) -> Round:
    label, starts, ends = _round_fields(event, form)
    bump(db, event, "rounds")
    if db.exec(select(Round).where(Round.event_id == event.id, Round.label == label)).first():
        raise Conflict(N_("There is already a round called {label}."), field="label", label=label)
    new = Round(event_id=event.id, label=label, starts=starts, ends=ends)
    db.add(new)
    db.flush()
    audit.record(db, event, "round.add", subject=f"round:{new.id}", detail=label)
    return new


def edit_round(db: Session, event: Event, round_id: object, form: dict[str, object]) -> Round:
    label, starts, ends = _round_fields(event, form)
    target = round_(db, event, round_id, in_path=True)
    bump(db, event, "rounds", round_id=target.id)  # type: ignore[arg-type]
    target = fresh(db, target, in_path=True)
    clash = db.exec(
        select(Round).where(Round.event_id == event.id, Round.label == label, Round.id != target.id)
    ).first()
    if clash:
        raise Conflict(N_("There is already a round called {label}."), field="label", label=label)
    target.label, target.starts, target.ends = label, starts, ends
    db.add(target)
    audit.record(db, event, "round.edit", subject=f"round:{target.id}", detail=label)
    return target


def remove_round(db: Session, event: Event, round_id: object) -> None:
    target = round_(db, event, round_id, in_path=True)
    bump(db, event, "rounds", round_id=target.id)  # type: ignore[arg-type]
    target = fresh(db, target, in_path=True)
    if db.exec(select(Slot).where(Slot.round_id == target.id)).first():
        raise Conflict(N_("Sessions are placed in {label}: move or remove them first."), label=target.label)
    db.delete(target)
    audit.record(db, event, "round.remove", subject=f"round:{target.id}", detail=target.label)


# --- reading ---------------------------------------------------------------------------------------------------


def interest_counts(db: Session, event: Event) -> dict[int, int]:
    rows = db.exec(
        select(Interest.pitch_id, func.count())
        .join(Pitch, col(Pitch.id) == Interest.pitch_id)
        .where(Pitch.event_id == event.id)
        .group_by(Interest.pitch_id)
    )
    return dict(rows.all())


def presence_counts(db: Session, event: Event) -> dict[int, int]:
    rows = db.exec(
        select(Presence.session_id, func.count())
        .join(Slot, col(Slot.id) == Presence.session_id)
        .where(Slot.event_id == event.id)
        .group_by(Presence.session_id)
    )
    return dict(rows.all())


def sessions(db: Session, event: Event) -> list[Slot]:
    return list(db.exec(select(Slot).where(Slot.event_id == event.id).order_by(Slot.round_id, Slot.room_id)))


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def snapshot(db: Session, event: Event, *, host: bool = False) -> dict[str, object]:
    """The contract's live snapshot. Pitches other than approved ones only for hosts."""
    from liveboard.domain import blocking
    from liveboard.domain import pitches as pitch_domain

    interest = interest_counts(db, event)
    present = presence_counts(db, event)
    shown = pitch_domain.all_pitches(db, event) if host else pitch_domain.approved(db, event)
    if host and (withheld := blocking.blocked_ids(db, event)):
        shown = [p for p in shown if not (p.status == "pending" and p.participant_id in withheld)]
    return {
        "slug": event.slug,
        "title": event.title,
        "version": event.version,
        "starts": iso(event.starts),
        "timezone": event.timezone,
        "phase": event.phase,
        "pitching_open": event.pitching_open,
        "rooms": [
            {"id": r.id, "name": r.name, "capacity": r.capacity, "location": r.location} for r in rooms(db, event)
        ],
        "rounds": [
            {"id": r.id, "label": r.label, "starts": iso(r.starts), "ends": iso(r.ends)} for r in rounds(db, event)
        ],
        "pitches": [
            {
                "id": p.id,
                "title": p.title,
                "story": p.story,
                "author": p.author,
                "status": p.status,
                "interest": interest.get(p.id, 0),  # type: ignore[arg-type]
                **({"merged_into": p.merged_into_id} if host else {}),
            }
            for p in shown
        ],
        "sessions": [
            {
                "id": s.id,
                "pitch_id": s.pitch_id,
                "room_id": s.room_id,
                "round_id": s.round_id,
                "present": present.get(s.id, 0),  # type: ignore[arg-type]
            }
            for s in sessions(db, event)
        ],
    }
