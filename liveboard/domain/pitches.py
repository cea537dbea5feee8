"""Pitches: sent from phones or typed in by hosts, moderated, merged, and marked with interest."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, update
from sqlmodel import Session, col, select

from liveboard.domain import audit, validate
from liveboard.domain.changes import bump, tag
from liveboard.domain.errors import N_, Conflict, Invalid, NotFound
from liveboard.models import Event, Interest, Participant, Pitch, utcnow
from liveboard.models import Session as Slot

TITLE_MAX, STORY_MAX, AUTHOR_MAX = 80, 600, 60


def fields(form: dict[str, object]) -> tuple[str, str, str]:
    return (
        validate.text(form.get("title"), "title", min_len=1, max_len=TITLE_MAX),
        validate.text(form.get("story"), "story", max_len=STORY_MAX),
        validate.text(form.get("author"), "author", max_len=AUTHOR_MAX),
    )


def get(db: Session, event: Event, pitch_id: object, *, field: str = "id") -> Pitch:
    try:
        number = validate.integer(pitch_id, field)
    except Invalid:
        raise NotFound(N_("There is no such pitch.")) from None
    pitch = db.get(Pitch, number)
    if pitch is None or pitch.event_id != event.id:
        raise NotFound(N_("There is no such pitch."))
    return pitch


def approved(db: Session, event: Event) -> list[Pitch]:
    query = select(Pitch).where(Pitch.event_id == event.id, Pitch.status == "approved").order_by(Pitch.id)
    return list(db.exec(query))


def all_pitches(db: Session, event: Event) -> list[Pitch]:
    return list(db.exec(select(Pitch).where(Pitch.event_id == event.id).order_by(Pitch.id)))


def pending(db: Session, event: Event) -> list[Pitch]:
    query = select(Pitch).where(Pitch.event_id == event.id, Pitch.status == "pending").order_by(Pitch.id)
    return list(db.exec(query))


def submit(db: Session, event: Event, participant: Participant, form: dict[str, object]) -> Pitch:
    """A participant's pitch, pending moderation."""
    title, story, author = fields(form)
    bump(db, event, "pitch")
    if not event.pitching_open:
        raise Conflict(N_("Pitching is closed for this event."))
    pitch = Pitch(event_id=event.id, title=title, story=story, author=author, participant_id=participant.id)
    db.add(pitch)
    db.flush()
    tag(db, pitch_id=pitch.id)  # type: ignore[arg-type]
    return pitch


def type_in(db: Session, event: Event, form: dict[str, object]) -> Pitch:
    """A pitch a host types in from a paper card: approved at once."""
    title, story, author = fields(form)
    bump(db, event, "pitch")
    pitch = Pitch(event_id=event.id, title=title, story=story, author=author, status="approved", source="host")
    db.add(pitch)
    db.flush()
    tag(db, pitch_id=pitch.id)  # type: ignore[arg-type]
    audit.record(db, event, "pitch.type_in", subject=f"pitch:{pitch.id}", detail=title)
    return pitch


def _moderate(db: Session, event: Event, pitch_id: object, status: str, action: str) -> Pitch:
    pitch = get(db, event, pitch_id)
    bump(db, event, "pitch", pitch_id=pitch.id)  # type: ignore[arg-type]
    db.refresh(pitch)
    if pitch.status == "merged":
        raise Conflict(N_("This pitch was merged into another; it cannot be moderated."))
    if status == "rejected" and db.exec(select(Slot).where(Slot.pitch_id == pitch.id)).first():
        raise Conflict(N_("This pitch is placed in the schedule: remove it from the grid first."))
    if pitch.status != status:
        pitch.status = status
        pitch.updated_at = utcnow()
        db.add(pitch)
        audit.record(db, event, action, subject=f"pitch:{pitch.id}", detail=pitch.title)
    return pitch


def approve(db: Session, event: Event, pitch_id: object) -> Pitch:
    return _moderate(db, event, pitch_id, "approved", "pitch.approve")


def reject(db: Session, event: Event, pitch_id: object) -> Pitch:
    return _moderate(db, event, pitch_id, "rejected", "pitch.reject")


def edit(db: Session, event: Event, pitch_id: object, form: dict[str, object]) -> Pitch:
    """A host corrects a typo; the old wording stays in the audit log."""
    title, story, author = fields(form)
    pitch = get(db, event, pitch_id)
    bump(db, event, "pitch", pitch_id=pitch.id)  # type: ignore[arg-type]
    db.refresh(pitch)  # the wording as it is now, not as read before the lock (another host may have edited it)
    before = f"{pitch.title} | {pitch.story} | {pitch.author}"
    pitch.title, pitch.story, pitch.author, pitch.updated_at = title, story, author, utcnow()
    db.add(pitch)
    audit.record(db, event, "pitch.edit", subject=f"pitch:{pitch.id}", detail=pitch.title, data={"before": before})
    return pitch


def merge(db: Session, event: Event, pitch_id: object, into: object) -> Pitch:
    """Fold a duplicate into another pitch. Interest moves with it, once per person."""
    if into in (None, ""):
        raise Invalid(N_("Choose the pitch to merge into."), field="into")
    duplicate = get(db, event, pitch_id)
    try:
        target = get(db, event, into, field="into")
    except NotFound:
        raise Invalid(N_("There is no such pitch to merge into."), field="into") from None
    if duplicate.id == target.id:
        raise Invalid(N_("A pitch cannot be merged into itself."), field="into")
    bump(db, event, "pitch", pitch_id=duplicate.id, into=target.id)  # type: ignore[arg-type]
    db.refresh(duplicate)
    db.refresh(target)
    if duplicate.status == "merged":
        raise Conflict(N_("This pitch is already merged."))
    if target.status in ("merged", "rejected"):
        raise Conflict(N_("The pitch to merge into is {status}; choose another."), status=target.status)
    if db.exec(select(Slot).where(Slot.pitch_id == duplicate.id)).first():
        raise Conflict(N_("The duplicate is placed in the schedule: remove it from the grid first."))
    already = select(Interest.participant_id).where(Interest.pitch_id == target.id)
    db.exec(  # type: ignore[call-overload]
        insert(Interest).from_select(
            ["participant_id", "pitch_id", "created_at"],
            select(Interest.participant_id, target.id, Interest.created_at).where(  # type: ignore[arg-type]
                Interest.pitch_id == duplicate.id, col(Interest.participant_id).not_in(already)
            ),
        )
    )
    db.exec(delete(Interest).where(col(Interest.pitch_id) == duplicate.id))  # type: ignore[call-overload]
    was_approved = duplicate.status == "approved"
    db.exec(  # type: ignore[call-overload]
        update(Pitch)
        .where(col(Pitch.id) == duplicate.id)
        .values(status="merged", merged_into_id=target.id, updated_at=utcnow())
    )
    if target.status == "pending" and was_approved:
        target.status = "approved"
        db.add(target)
    db.refresh(duplicate)
    audit.record(
        db, event, "pitch.merge", subject=f"pitch:{duplicate.id}", detail=duplicate.title, data={"into": target.id}
    )
    return target


def toggle_interest(db: Session, event: Event, participant: Participant, pitch_id: object) -> bool:
    """Interest on when it was off, off when it was on. Returns whether it is now on."""
    pitch = get(db, event, pitch_id)
    bump(db, event, "interest", pitch_id=pitch.id)  # type: ignore[arg-type]
    db.refresh(pitch)
    if pitch.status != "approved":
        raise Conflict(N_("Interest can only be marked on approved pitches."))
    removed = db.exec(  # type: ignore[call-overload]
        delete(Interest).where(col(Interest.participant_id) == participant.id, col(Interest.pitch_id) == pitch.id)
    )
    if removed.rowcount:
        return False
    db.add(Interest(participant_id=participant.id, pitch_id=pitch.id))  # type: ignore[arg-type]
    db.flush()
    return True


def interest_of(db: Session, pitch: Pitch) -> int:
    return db.exec(select(func.count()).select_from(Interest).where(Interest.pitch_id == pitch.id)).one()


def interested_in(db: Session, event: Event, participant: Participant | None) -> set[int]:
    if participant is None:
        return set()
    rows = db.exec(
        select(Interest.pitch_id)
        .join(Pitch, col(Pitch.id) == Interest.pitch_id)
        .where(Interest.participant_id == participant.id, Pitch.event_id == event.id)
    )
    return set(rows.all())
