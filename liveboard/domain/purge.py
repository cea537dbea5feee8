"""After an event: forget who the participants were, keep what they made.

A participant's cookie holds only a random token; clearing the token cuts the link between a phone and
everything that phone did. Names participants gave go too: the name on a participant, the author of a note,
and the author of a pitch sent from a phone. A pitch a host typed in keeps its author, since that is the host's
own record of a paper card. The anonymous harvest stays: pitches, notes, interest and presence rows (the counts),
now pointing at participants that no longer identify anyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, update
from sqlmodel import Session, col, select

from liveboard.domain import audit
from liveboard.domain.changes import bump
from liveboard.models import Event, Note, Participant, Pitch

#: What `purge` clears, in each table: rows that still identify someone.
_IDENTIFYING_PARTICIPANT = or_(col(Participant.token).is_not(None), col(Participant.name).is_not(None))
_IDENTIFYING_NOTE = or_(Note.author != "", col(Note.participant_id).is_not(None))
_IDENTIFYING_PITCH = or_((Pitch.source == "phone") & (Pitch.author != ""), col(Pitch.participant_id).is_not(None))


def _participants(event: Event) -> Any:
    return (Participant.event_id == event.id) & _IDENTIFYING_PARTICIPANT


def _notes(event: Event) -> Any:
    return (Note.event_id == event.id) & _IDENTIFYING_NOTE


def _pitches(event: Event) -> Any:
    return (Pitch.event_id == event.id) & _IDENTIFYING_PITCH


def holding(db: Session) -> set[int]:
    """The ids of every event `purge` would still change: three reads for the whole installation, so the
    retention sweep need not preview events one by one."""
    found: set[int] = set()
    rules = ((Participant, _IDENTIFYING_PARTICIPANT), (Note, _IDENTIFYING_NOTE), (Pitch, _IDENTIFYING_PITCH))
    for model, rule in rules:
        found.update(db.exec(select(model.event_id).where(rule).distinct()))  # type: ignore[attr-defined]
    return found


def preview(db: Session, event: Event) -> dict[str, int]:
    """How many rows `purge` would clear, so a host can see what a purge means before confirming it."""
    return {
        "participants": db.exec(select(func.count()).select_from(Participant).where(_participants(event))).one(),
        "notes": db.exec(select(func.count()).select_from(Note).where(_notes(event))).one(),
        "pitches": db.exec(select(func.count()).select_from(Pitch).where(_pitches(event))).one(),
    }


def purge(db: Session, event: Event) -> dict[str, int]:
    """Clear what identifies participants of `event`; return how many participants, notes and pitches changed.

    Running it twice is harmless: the second run finds nothing left to clear.
    """
    bump(db, event, "event")
    counts = {
        "participants": _clear(db, update(Participant).where(_participants(event)).values(token=None, name=None)),
        "notes": _clear(db, update(Note).where(_notes(event)).values(author="", participant_id=None)),
        # Host-typed pitches keep their author; every pitch loses the link to the phone that sent it.
        "pitches": _clear(
            db,
            update(Pitch)
            .where(_pitches(event))
            .values(author=case((Pitch.source == "phone", ""), else_=Pitch.author), participant_id=None),
        ),
    }
    audit.record(db, event, "event.purge", data=counts)
    return counts


def _clear(db: Session, statement: Any) -> int:
    return db.exec(statement).rowcount  # type: ignore[call-overload]
