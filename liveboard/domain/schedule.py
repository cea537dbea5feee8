"""The schedule grid: pitches placed in room × round cells.

One session per cell is a database constraint. A pitch at most once per round is checked here, after
`bump` has taken the event's lock, so two hosts placing at once cannot both pass the check.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from liveboard.domain import attendance, audit, events, pitches, validate
from liveboard.domain.changes import bump, reload, tag
from liveboard.domain.errors import N_, Conflict, Invalid, NotFound
from liveboard.models import Event, Presence
from liveboard.models import Session as Slot


def get(db: Session, event: Event, session_id: object) -> Slot:
    try:
        number = validate.integer(session_id, "id")
    except Invalid:
        raise NotFound(N_("There is no such session.")) from None
    found = db.get(Slot, number)
    if found is None or found.event_id != event.id:
        raise NotFound(N_("There is no such session."))
    return found


def fresh(db: Session, slot: Slot) -> Slot:
    """The session as it is now that `bump` holds the event's lock: another host may have moved, swapped or
    removed it in the meantime (see `changes.reload`)."""
    found = reload(db, slot)
    if found is None:
        raise NotFound(N_("There is no such session."))
    return found


def _check_free(db: Session, room_id: int, round_id: int, pitch_id: int, moving: int | None = None) -> None:
    taken = db.exec(select(Slot).where(Slot.room_id == room_id, Slot.round_id == round_id)).first()
    if taken is not None and taken.id != moving:
        raise Conflict(N_("That room is already taken in that round."))
    twice = db.exec(select(Slot).where(Slot.pitch_id == pitch_id, Slot.round_id == round_id)).first()
    if twice is not None and twice.id != moving:
        raise Conflict(N_("That pitch is already placed in this round."))


def place(db: Session, event: Event, form: dict[str, object]) -> Slot:
    if form.get("pitch_id") in (None, ""):
        raise Invalid(N_("Choose a pitch."), field="pitch_id")
    try:
        pitch = pitches.get(db, event, form.get("pitch_id"), field="pitch_id")
    except NotFound:
        raise Invalid(N_("There is no such pitch in this event."), field="pitch_id") from None
    room = events.room(db, event, form.get("room_id"))
    round_ = events.round_(db, event, form.get("round_id"))
    bump(db, event, "schedule")
    db.refresh(pitch)
    room, round_ = events.fresh(db, room), events.fresh(db, round_)
    if pitch.status != "approved":
        raise Conflict(N_("Only approved pitches can be placed in the grid."))
    _check_free(db, room.id, round_.id, pitch.id)  # type: ignore[arg-type]
    slot = Slot(event_id=event.id, pitch_id=pitch.id, room_id=room.id, round_id=round_.id)  # type: ignore[arg-type]
    db.add(slot)
    db.flush()
    tag(db, session_id=slot.id)  # type: ignore[arg-type]
    audit.record(
        db,
        event,
        "session.place",
        subject=f"session:{slot.id}",
        detail=pitch.title,
        data={"room": room.name, "round": round_.label},
    )
    return slot


def move(db: Session, event: Event, session_id: object, form: dict[str, object]) -> Slot:
    """Move a session to an empty cell. People already in it follow within the round; a move to another
    round checks them out, since they chose a time as much as a topic."""
    slot = get(db, event, session_id)
    room = events.room(db, event, form.get("room_id"))
    round_ = events.round_(db, event, form.get("round_id"))
    bump(db, event, "schedule", session_id=slot.id)  # type: ignore[arg-type]
    slot, room, round_ = fresh(db, slot), events.fresh(db, room), events.fresh(db, round_)
    _check_free(db, room.id, round_.id, slot.pitch_id, moving=slot.id)  # type: ignore[arg-type]
    if round_.id != slot.round_id:
        attendance.emptied(db, slot)
        db.exec(delete(Presence).where(col(Presence.session_id) == slot.id))  # type: ignore[call-overload]
    slot.room_id, slot.round_id = room.id, round_.id  # type: ignore[assignment]
    db.add(slot)
    db.flush()
    audit.record(
        db, event, "session.move", subject=f"session:{slot.id}", data={"room": room.name, "round": round_.label}
    )
    return slot


def swap(db: Session, event: Event, session_id: object, other_id: object) -> None:
    """Exchange the pitches of two cells. People stay in the room they are in."""
    first = get(db, event, session_id)
    try:
        second = get(db, event, other_id)
    except NotFound:
        raise Invalid(N_("There is no such session to swap with."), field="other") from None
    if first.id == second.id:
        raise Invalid(N_("A session cannot be swapped with itself."), field="other")
    bump(db, event, "schedule", session_id=first.id, other_id=second.id)  # type: ignore[arg-type]
    first, second = fresh(db, first), fresh(db, second)
    if first.round_id != second.round_id:
        for pitch_id, round_id in ((second.pitch_id, first.round_id), (first.pitch_id, second.round_id)):
            clash = db.exec(select(Slot).where(Slot.pitch_id == pitch_id, Slot.round_id == round_id)).first()
            if clash is not None and clash.id not in (first.id, second.id):
                raise Conflict(N_("That pitch is already placed in this round."))
    first.pitch_id, second.pitch_id = second.pitch_id, first.pitch_id
    db.add(first)
    db.add(second)
    db.flush()
    audit.record(db, event, "session.swap", subject=f"session:{first.id}", data={"with": second.id})


def remove(db: Session, event: Event, session_id: object) -> None:
    """Take a session out of the grid. Its presence goes; its notes stay with the pitch."""
    slot = get(db, event, session_id)
    bump(db, event, "schedule", session_id=slot.id)  # type: ignore[arg-type]
    slot = fresh(db, slot)
    attendance.emptied(db, slot)
    db.delete(slot)
    db.flush()
    audit.record(db, event, "session.remove", subject=f"session:{slot.id}", data={"pitch": slot.pitch_id})
