"""The audit log of host actions: appended in the same transaction as the action, so neither exists alone."""

from __future__ import annotations

import re

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


#: Details the code wrote in words, by the actions that write them (a pitch's title that happens to read
#: "before: …" is still a title): how each is said, with what it carries.
DETAIL_PATTERNS: list[tuple[frozenset[str], re.Pattern[str], str]] = [
    (frozenset({"pitch.edit", "note.edit"}), re.compile(r"before: (?P<text>.*)", re.DOTALL), N_("before: %(text)s")),
    (
        frozenset({"pitch.merge", "note.merge", "item.merge"}),
        re.compile(r"into (?:note|pitch|item):(?P<id>\d+)"),
        N_("into #%(id)s"),
    ),
    (frozenset({"session.swap"}), re.compile(r"with session:(?P<id>\d+)"), N_("with session #%(id)s")),
    (frozenset({"session.remove"}), re.compile(r"pitch:(?P<id>\d+)"), N_("pitch #%(id)s")),
    (frozenset({"series.meeting", "series.close"}), re.compile(r"meeting:(?P<id>\d+)"), N_("meeting #%(id)s")),
]
#: Whole details that are one word of the code's: a phase, pitching open or closed.
DETAIL_WORDS: dict[tuple[str, str], str] = {
    ("event.phase", "setup"): N_("Setting up"),
    ("event.phase", "pitching"): N_("Pitching"),
    ("event.phase", "running"): N_("Sessions running"),
    ("event.phase", "ended"): N_("Ended"),
    ("event.pitching", "open"): N_("open"),
    ("event.pitching", "closed"): N_("closed"),
    ("note.key", "new note-taker link"): "",
}


def detail(action: str, text: str) -> tuple[str, dict[str, str] | None]:
    """A detail as the log shows it: `(message, values)` to translate when the code wrote it in words, or
    `(text, None)` when it is what a person typed (a title, a name), which stays as it is."""
    word = DETAIL_WORDS.get((action, text))
    if word is not None:
        return word, {}
    for actions, pattern, message in DETAIL_PATTERNS:
        found = pattern.fullmatch(text) if action in actions else None
        if found:
            return message, found.groupdict()
    return text, None


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
