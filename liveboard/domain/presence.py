"""Who is where: a participant is in at most one session per round (a database constraint), and a session
takes no more people than its room holds (checked after the event lock, so the count is exact)."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from liveboard.domain import attendance, schedule
from liveboard.domain.changes import bump, tag
from liveboard.domain.errors import N_, Conflict
from liveboard.models import Event, Participant, Presence, Room, Round
from liveboard.models import Session as Slot


def count(db: Session, slot: Slot) -> int:
    return db.exec(select(func.count()).select_from(Presence).where(Presence.session_id == slot.id)).one()


def join(db: Session, event: Event, participant: Participant, session_id: object) -> Slot:
    """Check in to a session, and out of any other session of the same round."""
    slot = schedule.get(db, event, session_id)
    bump(db, event, "presence", session_id=slot.id)  # type: ignore[arg-type]
    slot = schedule.fresh(db, slot)
    mine = db.exec(
        select(Presence).where(Presence.participant_id == participant.id, Presence.round_id == slot.round_id)
    ).first()
    if mine is not None and mine.session_id == slot.id:
        return slot
    room = db.get(Room, slot.room_id)
    assert room is not None
    if count(db, slot) >= room.capacity:
        raise Conflict(N_("{room} is full. Pick another session."), room=room.name)
    if mine is not None:
        tag(db, left_session_id=mine.session_id)
        before = db.get(Slot, mine.session_id)
        if before is not None:
            attendance.left(db, before, participant.id)
        db.delete(mine)
        db.flush()
    db.add(Presence(participant_id=participant.id, round_id=slot.round_id, session_id=slot.id))  # type: ignore[arg-type]
    attendance.joined(db, slot, participant)
    db.flush()
    return slot


def leave(db: Session, event: Event, participant: Participant, session_id: object) -> Slot:
    slot = schedule.get(db, event, session_id)
    bump(db, event, "presence", session_id=slot.id)  # type: ignore[arg-type]
    gone = db.exec(  # type: ignore[call-overload]
        delete(Presence).where(col(Presence.participant_id) == participant.id, col(Presence.session_id) == slot.id)
    )
    if gone.rowcount:
        attendance.left(db, slot, participant.id)
    return slot


def sessions_of(db: Session, event: Event, participant: Participant | None) -> dict[int, int]:
    """round id → session id, for the rounds this participant has checked in to."""
    if participant is None:
        return {}
    rows = db.exec(
        select(Presence.round_id, Presence.session_id)
        .join(Round, col(Round.id) == Presence.round_id)
        .where(Presence.participant_id == participant.id, Round.event_id == event.id)
    )
    return dict(rows.all())
