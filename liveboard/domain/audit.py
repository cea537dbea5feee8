"""The audit log of host actions: appended in the same transaction as the action, so neither exists alone."""

from __future__ import annotations

from sqlmodel import Session, col, select

from liveboard.domain.errors import N_
from liveboard.models import AuditEntry, Event

#: What each action is called where hosts read the log. The codes stay as stored (exports, the database), and
#: the details are kept as written: titles, names and texts people typed.
LABELS: dict[str, str] = {
    "announce": N_("Announcement"),
    "event.phase": N_("Phase set"),
    "event.pitching": N_("Pitching opened or closed"),
    "event.purge": N_("Personal data removed"),
    "room.add": N_("Room added"),
    "room.edit": N_("Room changed"),
    "room.remove": N_("Room removed"),
    "round.add": N_("Round added"),
    "round.edit": N_("Round changed"),
    "round.remove": N_("Round removed"),
    "pitch.type_in": N_("Pitch typed in from a paper card"),
    "pitch.approve": N_("Pitch approved"),
    "pitch.reject": N_("Pitch rejected"),
    "pitch.edit": N_("Pitch edited"),
    "pitch.merge": N_("Pitches merged"),
    "session.place": N_("Session placed"),
    "session.move": N_("Session moved"),
    "session.swap": N_("Sessions swapped"),
    "session.remove": N_("Session removed"),
    "note.key": N_("New note-taker link"),
    "note.hide": N_("Note hidden"),
    "note.show": N_("Note shown again"),
    "note.highlight": N_("Note highlighted"),
    "note.unhighlight": N_("Highlight removed"),
    "note.edit": N_("Note edited"),
    "note.merge": N_("Notes merged"),
    "note.themes": N_("Themes set"),
    "item.merge": N_("Points merged"),
    "series.create": N_("Series created"),
    "series.edit": N_("Series changed"),
    "series.meeting": N_("Meeting scheduled"),
    "series.close": N_("Meeting closed"),
}


def label(action: str) -> str:
    """The untranslated label of an action code; an unknown code (from a newer version) shows as itself."""
    return LABELS.get(action, action)


def record(db: Session, event: Event | None, action: str, *, subject: str = "", detail: str = "") -> None:
    db.add(
        AuditEntry(
            event_id=event.id if event else None, action=action, subject=subject, detail=detail[:4000], actor="host"
        )
    )


def entries(db: Session, event: Event, limit: int = 50) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(col(AuditEntry.id).desc()).limit(limit)
    return list(db.exec(query))
