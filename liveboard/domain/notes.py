"""Harvest notes: ideas, experiences and proposals recorded in a session as they come."""

from __future__ import annotations

from sqlmodel import Session, col, select

from liveboard.domain import schedule, validate
from liveboard.domain.changes import bump, tag
from liveboard.models import NOTE_KINDS, Event, Note, Participant

TEXT_MAX, AUTHOR_MAX = 1000, 60


def add(
    db: Session, event: Event, participant: Participant | None, session_id: object, form: dict[str, object]
) -> Note:
    slot = schedule.get(db, event, session_id)
    kind = validate.choice(form.get("kind"), "kind", NOTE_KINDS)
    text = validate.text(form.get("text"), "text", min_len=1, max_len=TEXT_MAX)
    author = validate.text(form.get("author"), "author", max_len=AUTHOR_MAX)
    bump(db, event, "note", session_id=slot.id)  # type: ignore[arg-type]
    slot = schedule.fresh(db, slot)  # a swap may have given it another pitch meanwhile
    note = Note(
        event_id=event.id,  # type: ignore[arg-type]
        pitch_id=slot.pitch_id,
        session_id=slot.id,
        participant_id=participant.id if participant else None,
        kind=kind,
        text=text,
        author=author,
    )
    db.add(note)
    db.flush()
    tag(db, note_id=note.id)  # type: ignore[arg-type]
    return note


def of_event(db: Session, event: Event, *, include_hidden: bool = False) -> list[Note]:
    query = select(Note).where(Note.event_id == event.id)
    if not include_hidden:
        query = query.where(col(Note.hidden).is_(False))
    return list(db.exec(query.order_by(Note.created_at, Note.id)))
