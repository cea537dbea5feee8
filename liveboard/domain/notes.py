"""Harvest notes: ideas, experiences and proposals recorded in a session, then curated by the hosts.

Notes come from participants' phones, from a session's note-taker (a link with a key for that session only)
or from a host. Curation never deletes: hiding is undone by showing, an edit keeps the old wording in the
audit log, a merged note points at the one it was folded into and its support moves there. Participants
support a note once each (+1), as they mark interest in a pitch.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from liveboard.domain import audit, blocking, schedule, validate
from liveboard.domain.changes import bump, reload, tag
from liveboard.domain.errors import N_, Conflict, Denied, Invalid, NotFound
from liveboard.models import NOTE_KINDS, Event, Note, NoteTheme, Participant, Support
from liveboard.models import Session as Slot

TEXT_MAX, AUTHOR_MAX = 1000, 60
THEME_MAX, THEMES_PER_NOTE = 40, 5
KEY_BYTES = 24


# --- capture -------------------------------------------------------------------------------------------------


def add(
    db: Session,
    event: Event,
    participant: Participant | None,
    session_id: object,
    form: dict[str, object],
    *,
    source: str = "phone",
) -> Note:
    slot = schedule.get(db, event, session_id)
    kind, text, author = _fields(form)
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
        source=source,
    )
    db.add(note)
    db.flush()
    tag(db, note_id=note.id)  # type: ignore[arg-type]
    return note


def _fields(form: dict[str, object]) -> tuple[str, str, str]:
    kind = validate.choice(form.get("kind"), "kind", NOTE_KINDS)
    text = validate.text(form.get("text"), "text", min_len=1, max_len=TEXT_MAX)
    author = validate.text(form.get("author"), "author", max_len=AUTHOR_MAX)
    return kind, text, author


def taker_slot(db: Session, event: Event, session_id: object, key: object) -> Slot:
    """The session a note-taker's key opens. A wrong, old or missing key opens nothing, and says no more."""
    slot = schedule.get(db, event, session_id)
    if not isinstance(key, str) or not slot.note_key or not hmac.compare_digest(key.encode(), slot.note_key.encode()):
        raise Denied(N_("This note-taker link is not valid (any more). Ask a host for a new one."))
    return slot


def add_by_key(db: Session, event: Event, session_id: object, key: object, form: dict[str, object]) -> Note:
    """A note from the session's note-taker: no host password, and no other session."""
    taker_slot(db, event, session_id, key)
    note = add(db, event, None, session_id, form, source="taker")
    # The key is checked again under the lock: a host may have just made a new one, which revokes this one.
    taker_slot(db, event, session_id, key)
    return note


def new_key(db: Session, event: Event, session_id: object) -> str:
    """A host makes (or remakes) a session's note-taker link; the old link stops working at once."""
    slot = schedule.get(db, event, session_id)
    bump(db, event, "note_key", session_id=slot.id)  # type: ignore[arg-type]
    slot = schedule.fresh(db, slot)
    slot.note_key = secrets.token_urlsafe(KEY_BYTES)
    db.add(slot)
    audit.record(db, event, "note.key", subject=f"session:{slot.id}")
    return slot.note_key


# --- curation (hosts) ----------------------------------------------------------------------------------------


def get(db: Session, event: Event, note_id: object, *, field: str = "id") -> Note:
    try:
        number = validate.integer(note_id, field)
    except Invalid:
        raise NotFound(N_("There is no such note.")) from None
    found = db.get(Note, number)
    if found is None or found.event_id != event.id:
        raise NotFound(N_("There is no such note."))
    return found


def _locked(db: Session, event: Event, note_id: object, action: str) -> Note:
    """The note, read again once `bump` holds the event's lock (another host may have merged it)."""
    note = get(db, event, note_id)
    bump(db, event, "note", note_id=note.id, session_id=note.session_id or 0)  # type: ignore[arg-type]
    fresh = reload(db, note)
    if fresh is None:
        raise NotFound(N_("There is no such note."))
    if fresh.merged_into_id is not None and action != "show":
        raise Conflict(N_("This note was merged into another; change that one instead."))
    return fresh


def set_hidden(db: Session, event: Event, note_id: object, hidden: bool) -> Note:
    note = _locked(db, event, note_id, "hide" if hidden else "show")
    note.hidden = hidden
    db.add(note)
    audit.record(db, event, "note.hide" if hidden else "note.show", subject=f"note:{note.id}")
    return note


def set_highlighted(db: Session, event: Event, note_id: object, highlighted: bool) -> Note:
    note = _locked(db, event, note_id, "highlight")
    note.highlighted = highlighted
    db.add(note)
    audit.record(db, event, "note.highlight" if highlighted else "note.unhighlight", subject=f"note:{note.id}")
    return note


def edit(db: Session, event: Event, note_id: object, form: dict[str, object]) -> Note:
    """A host corrects a note; the wording it had stays in the audit log."""
    kind, text, author = _fields(form)
    note = _locked(db, event, note_id, "edit")
    before = f"{note.kind} | {note.text} | {note.author}"
    note.kind, note.text, note.author, note.updated_at = kind, text, author, datetime.now(UTC)
    db.add(note)
    audit.record(db, event, "note.edit", subject=f"note:{note.id}", data={"before": before})
    return note


def merge(db: Session, event: Event, note_id: object, into: object) -> Note:
    """Fold a duplicate into another note: support moves over (once per person), themes join, and the
    duplicate is no longer listed. Returns the note it went into."""
    if into in (None, ""):
        raise Invalid(N_("Choose the note to merge into."), field="into")
    duplicate = get(db, event, note_id)
    try:
        target = get(db, event, into, field="into")
    except NotFound:
        raise Invalid(N_("There is no such note to merge into."), field="into") from None
    if duplicate.id == target.id:
        raise Invalid(N_("A note cannot be merged into itself."), field="into")
    duplicate = _locked(db, event, duplicate.id, "merge")
    target = reload(db, target)  # type: ignore[assignment]
    if target is None:
        raise Invalid(N_("There is no such note to merge into."), field="into")
    if target.merged_into_id is not None:
        raise Conflict(N_("That note was itself merged into another; merge into that one."))
    supporters = set(db.exec(select(Support.participant_id).where(Support.note_id == target.id)).all())
    for support in db.exec(select(Support).where(Support.note_id == duplicate.id)).all():
        if support.participant_id not in supporters:
            db.add(Support(note_id=target.id, participant_id=support.participant_id, created_at=support.created_at))  # type: ignore[arg-type]
        db.delete(support)
    themes = set(themes_of(db, [target.id]).get(target.id, []))  # type: ignore[list-item]
    for theme in themes_of(db, [duplicate.id]).get(duplicate.id, []):  # type: ignore[list-item]
        if theme not in themes and len(themes) < THEMES_PER_NOTE:
            themes.add(theme)
            db.add(NoteTheme(note_id=target.id, theme=theme))  # type: ignore[arg-type]
    duplicate.merged_into_id = target.id
    db.add(duplicate)
    tag(db, into_note_id=target.id, into_session_id=target.session_id or 0)  # type: ignore[arg-type]
    audit.record(db, event, "note.merge", subject=f"note:{duplicate.id}", data={"into": target.id})
    return target


def parse_themes(raw: object) -> list[str]:
    """Free tags from a comma-separated field: trimmed, in lower case (so "Transport" and "transport" are one),
    without repeats, at most five of at most 40 characters."""
    text = validate.text(raw, "themes", max_len=THEMES_PER_NOTE * (THEME_MAX + 2))
    themes: list[str] = []
    for part in text.split(","):
        theme = re.sub(r"\s+", " ", part).strip().lower()
        if not theme or theme in themes:
            continue
        if len(theme) > THEME_MAX:
            raise Invalid(N_("A theme may have at most {max} characters."), field="themes", max=THEME_MAX)
        themes.append(theme)
    if len(themes) > THEMES_PER_NOTE:
        raise Invalid(N_("A note may have at most {max} themes."), field="themes", max=THEMES_PER_NOTE)
    return themes


def set_themes(db: Session, event: Event, note_id: object, raw: object) -> list[str]:
    themes = parse_themes(raw)
    note = _locked(db, event, note_id, "themes")
    db.exec(delete(NoteTheme).where(col(NoteTheme.note_id) == note.id))  # type: ignore[call-overload]
    for theme in themes:
        db.add(NoteTheme(note_id=note.id, theme=theme))  # type: ignore[arg-type]
    audit.record(db, event, "note.themes", subject=f"note:{note.id}", data={"themes": list(themes)})
    return themes


# --- support (participants) ----------------------------------------------------------------------------------


def toggle_support(db: Session, event: Event, participant: Participant, note_id: object) -> bool:
    """+1 when not given, withdrawn when given: once each. Returns whether it is now given."""
    note = get(db, event, note_id)
    bump(db, event, "support", note_id=note.id, session_id=note.session_id or 0)  # type: ignore[arg-type]
    fresh = reload(db, note)
    if fresh is None or fresh.hidden or fresh.merged_into_id is not None or _withheld(db, fresh):
        raise Conflict(N_("This note is no longer shown, so it cannot be supported."))
    removed = db.exec(  # type: ignore[call-overload]
        delete(Support).where(col(Support.participant_id) == participant.id, col(Support.note_id) == fresh.id)
    )
    if removed.rowcount:
        return False
    db.add(Support(note_id=fresh.id, participant_id=participant.id))  # type: ignore[arg-type]
    db.flush()
    return True


def _withheld(db: Session, note: Note) -> bool:
    author = db.get(Participant, note.participant_id) if note.participant_id else None
    return author is not None and author.blocked_at is not None


# --- reading -------------------------------------------------------------------------------------------------


def of_event(db: Session, event: Event, *, include_hidden: bool = False) -> list[Note]:
    """The event's notes, oldest first. Merged notes are never listed; hidden ones only for hosts; a blocked
    participant's for nobody (`blocking`)."""
    query = select(Note).where(
        Note.event_id == event.id,
        col(Note.merged_into_id).is_(None),
        blocking.shown_by(Note.participant_id, event.id),  # type: ignore[arg-type]
    )
    if not include_hidden:
        query = query.where(col(Note.hidden).is_(False))
    return list(db.exec(query.order_by(Note.created_at, Note.id)))


def of_session(db: Session, event: Event, session_id: int) -> list[Note]:
    """A session's shown notes, newest first: what its note-taker and its participants see during the session."""
    query = select(Note).where(
        Note.event_id == event.id,
        Note.session_id == session_id,
        col(Note.hidden).is_(False),
        col(Note.merged_into_id).is_(None),
        blocking.shown_by(Note.participant_id, event.id),  # type: ignore[arg-type]
    )
    return list(db.exec(query.order_by(col(Note.created_at).desc(), col(Note.id).desc())))


def support_counts(db: Session, event: Event) -> dict[int, int]:
    rows = db.exec(
        select(Support.note_id, func.count())
        .join(Note, col(Note.id) == Support.note_id)
        .where(Note.event_id == event.id)
        .group_by(col(Support.note_id))
    )
    return dict(rows.all())  # type: ignore[arg-type]


def supported_by(db: Session, event: Event, participant: Participant | None) -> set[int]:
    if participant is None:
        return set()
    rows = db.exec(
        select(Support.note_id)
        .join(Note, col(Note.id) == Support.note_id)
        .where(Support.participant_id == participant.id, Note.event_id == event.id)
    )
    return set(rows.all())


def themes_of(db: Session, note_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if note_ids:
        rows = db.exec(select(NoteTheme).where(col(NoteTheme.note_id).in_(note_ids)).order_by(NoteTheme.theme))
        for row in rows:
            found[row.note_id].append(row.theme)
    return dict(found)


def themes_in_use(db: Session, event: Event) -> list[str]:
    """Every theme of the event, most used first: the suggestions offered when tagging."""
    rows = db.exec(
        select(NoteTheme.theme, func.count())
        .join(Note, col(Note.id) == NoteTheme.note_id)
        .where(Note.event_id == event.id)
        .group_by(col(NoteTheme.theme))
        .order_by(func.count().desc(), col(NoteTheme.theme))
    )
    return [theme for theme, _ in rows.all()]
