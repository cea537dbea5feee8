"""Blocking a participant: a host's answer to someone who floods or abuses an evening.

Blocking withholds, it never deletes: the participant's notes, and their pitches still waiting for moderation,
leave every view (wall screens and door signs, phones, the report and its exports, the moderation queue) and
come back as they were when a host unblocks. Their approved pitches stay, since a host approved them and
sessions may hang on them. It is one column on the participant (`blocked_at`), so reads filter on it
(`shown_by`) rather than every note and pitch being marked and unmarked.

A blocked participant's further actions are refused with a message that says what happened and what they can
still do, without judging them: a host may have blocked the wrong phone. Leaving a session still works, since it
only gives a seat back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, func, select

from liveboard.domain import audit, validate
from liveboard.domain.changes import bump, reload
from liveboard.domain.errors import N_, Denied, Invalid, NotFound
from liveboard.models import Event, Note, Participant, Pitch, utcnow

#: What a blocked participant is told when they try to act.
BLOCKED = N_(
    "A host has paused what you can send at this event, so this was not saved. You can still follow the "
    "evening here. If you think this is a mistake, talk to a host."
)


def withheld(event_id: int) -> ColumnElement:
    """The ids of the event's blocked participants, as a subquery."""
    return (
        select(Participant.id)
        .where(Participant.event_id == event_id, col(Participant.blocked_at).is_not(None))
        .scalar_subquery()
    )


def shown_by(column: ColumnElement | object, event_id: int) -> ColumnElement:
    """A row whose participant (`column`) is not blocked: none (a note-taker's, a host's) or one who is not."""
    return or_(col(column).is_(None), col(column).not_in(withheld(event_id)))  # type: ignore[arg-type]


def blocked_ids(db: Session, event: Event) -> set[int]:
    query = select(Participant.id).where(Participant.event_id == event.id, col(Participant.blocked_at).is_not(None))
    return set(db.exec(query))  # type: ignore[arg-type]


def refuse(participant: Participant | None) -> None:
    """Refuse the action of a blocked participant (403)."""
    if participant is not None and participant.blocked_at is not None:
        raise Denied(BLOCKED)


def block(db: Session, event: Event, participant_id: object) -> Participant:
    return _set(db, event, participant_id, blocked=True)


def unblock(db: Session, event: Event, participant_id: object) -> Participant:
    return _set(db, event, participant_id, blocked=False)


def _set(db: Session, event: Event, participant_id: object, *, blocked: bool) -> Participant:
    participant = _get(db, event, participant_id)
    bump(db, event, "block")
    fresh = reload(db, participant)
    if fresh is None:
        raise NotFound(N_("There is no such participant."))
    if (fresh.blocked_at is not None) == blocked:
        return fresh  # blocked (or unblocked) already, by this host a moment ago or by another: nothing to log
    fresh.blocked_at = utcnow() if blocked else None
    db.add(fresh)
    notes, pitches = _counts(db, fresh)
    audit.record(
        db,
        event,
        "participant.block" if blocked else "participant.unblock",
        subject=f"participant:{fresh.id}",
        data={"participant": fresh.id, "notes": notes, "pitches": pitches},
    )
    return fresh


def _get(db: Session, event: Event, participant_id: object) -> Participant:
    try:
        number = validate.integer(participant_id, "id")
    except Invalid:
        raise NotFound(N_("There is no such participant.")) from None
    found = db.get(Participant, number)
    if found is None or found.event_id != event.id:
        raise NotFound(N_("There is no such participant."))
    return found


def _counts(db: Session, participant: Participant) -> tuple[int, int]:
    """How many of the participant's notes and pending pitches blocking withholds."""
    notes = db.exec(select(func.count()).select_from(Note).where(Note.participant_id == participant.id)).one()
    pitches = db.exec(
        select(func.count()).select_from(Pitch).where(Pitch.participant_id == participant.id, Pitch.status == "pending")
    ).one()
    return notes, pitches


@dataclass(frozen=True)
class Blocked:
    """A blocked participant as the host console lists them: anonymous, so known by what they sent."""

    id: int
    blocked_at: datetime
    notes: int
    pitches: int
    #: The name they gave, and the first words of what they sent last, so a host knows whom they unblock.
    name: str
    sample: str


def blocked(db: Session, event: Event) -> list[Blocked]:
    """The event's blocked participants, most recently blocked first."""
    rows = db.exec(
        select(Participant)
        .where(Participant.event_id == event.id, col(Participant.blocked_at).is_not(None))
        .order_by(col(Participant.blocked_at).desc(), col(Participant.id).desc())
    )
    out = []
    for participant in rows.all():
        notes, pitches = _counts(db, participant)
        note = db.exec(
            select(Note).where(Note.participant_id == participant.id).order_by(col(Note.id).desc()).limit(1)
        ).first()
        pitch = db.exec(
            select(Pitch).where(Pitch.participant_id == participant.id).order_by(col(Pitch.id).desc()).limit(1)
        ).first()
        name = participant.name or (note.author if note else "") or (pitch.author if pitch else "")
        sample = note.text if note else pitch.title if pitch else ""
        out.append(Blocked(participant.id, participant.blocked_at, notes, pitches, name, sample[:80]))  # type: ignore[arg-type]
    return out
