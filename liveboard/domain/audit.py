"""The audit log of host actions: appended in the same transaction as the action, so neither exists alone.

Each entry names its actor, the account the write was made for: the web layer puts the host's username on the
transaction (`db.info["actor"]`, see `web.requests.write`), the command line puts `CLI`. What a person typed
(a title, a room's name) is `detail`, kept as written; what the code knows (a phase, an id, the text before an
edit) is `data`, stored as values and said in the reader's language by `describe`.

Once its transaction commits, each entry is also a line of the structured log (`liveboard.audit`, see
`log_committed`): who, what, and which ids, never what was typed.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, col, select

from liveboard.domain.errors import N_
from liveboard.models import AuditEntry, Event, Series

#: The actor of what the command line did (import, purge, accounts): no username can hold "@".
CLI = "@cli"
#: The actor when nobody said: a write outside any request or command (a test, a migration).
SYSTEM = "@system"
#: The actor of the purges `LIVEBOARD_RETENTION_DAYS` makes by itself (`domain.retention`).
RETENTION = "@retention"

log = logging.getLogger("liveboard.audit")

#: What each action is called where hosts read the log. The codes stay as stored (exports, the database).
LABELS: dict[str, str] = {
    "announce": N_("Announcement"),
    "event.create": N_("Event created"),
    "event.copy": N_("Event copied"),
    "event.import": N_("Event imported from a file"),
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
    "schedule.propose": N_("Schedule proposed"),
    "schedule.apply": N_("Proposed schedule applied"),
    "note.key": N_("New note-taker link"),
    "note.hide": N_("Note hidden"),
    "note.show": N_("Note shown again"),
    "note.highlight": N_("Note highlighted"),
    "note.unhighlight": N_("Highlight removed"),
    "note.edit": N_("Note edited"),
    "note.merge": N_("Notes merged"),
    "note.themes": N_("Themes set"),
    "item.merge": N_("Points merged"),
    "participant.block": N_("Participant blocked"),
    "participant.unblock": N_("Participant unblocked"),
    "series.create": N_("Series created"),
    "series.import": N_("Series imported from a file"),
    "series.edit": N_("Series changed"),
    "series.meeting": N_("Meeting scheduled"),
    "series.close": N_("Meeting closed"),
    "series.purge": N_("Personal data of members who stopped coming removed"),
    "account.add": N_("Account created"),
    "account.invite": N_("New invitation link"),
    "account.join": N_("Invitation used: password chosen"),
    "account.login": N_("Logged in"),
    "account.logout": N_("Logged out"),
    "account.disable": N_("Account disabled"),
}

#: How the code's values are said, by action; `%(name)s` takes `data["name"]`.
MESSAGES: dict[str, str] = {
    "room.add": N_("capacity %(capacity)s"),
    "room.edit": N_("capacity %(capacity)s"),
    "pitch.edit": N_("before: %(before)s"),
    "note.edit": N_("before: %(before)s"),
    "pitch.merge": N_("into #%(into)s"),
    "note.merge": N_("into #%(into)s"),
    "item.merge": N_("into #%(into)s"),
    "session.place": N_("in %(room)s, %(round)s"),
    "session.move": N_("to %(room)s, %(round)s"),
    "session.swap": N_("with session #%(with)s"),
    "session.remove": N_("pitch #%(pitch)s"),
    "series.meeting": N_("meeting #%(meeting)s"),
    "series.close": N_("meeting #%(meeting)s"),
    "note.themes": N_("themes: %(themes)s"),
    "event.copy": N_("from %(source)s"),
    "schedule.propose": N_("proposal #%(proposal)s"),
    "schedule.apply": N_("proposal #%(proposal)s"),
    "event.purge": N_("%(participants)s participants, %(notes)s notes, %(pitches)s pitches"),
    "event.import": N_("%(rooms)s rooms, %(rounds)s rounds, %(pitches)s pitches"),
    "series.import": N_("%(meetings)s meetings, %(items)s points"),
    "participant.block": N_("participant #%(participant)s: %(notes)s notes and %(pitches)s waiting pitches withheld"),
    "participant.unblock": N_("participant #%(participant)s: %(notes)s notes and %(pitches)s waiting pitches back"),
    "series.purge": N_("%(members)s members, %(items)s points"),
}
#: Values that are one word of the code's: a phase, open or closed, a role.
WORDS: dict[tuple[str, str, object], str] = {
    ("event.phase", "phase", "setup"): N_("Setting up"),
    ("event.phase", "phase", "pitching"): N_("Pitching"),
    ("event.phase", "phase", "running"): N_("Sessions running"),
    ("event.phase", "phase", "ended"): N_("Ended"),
    ("event.pitching", "open", True): N_("open"),
    ("event.pitching", "open", False): N_("closed"),
    ("account.add", "role", "organiser"): N_("organiser"),
    ("account.add", "role", "host"): N_("host"),
}


def describe(action: str, data: dict[str, Any] | None) -> tuple[str, dict[str, str]] | None:
    """The code's values of an entry as a message to translate with its values, or None when it has none."""
    data = data or {}
    for key, value in data.items():
        # A list (a note's themes) is no word of the code's, and cannot be looked up as one.
        word = WORDS.get((action, key, value)) if not isinstance(value, list | dict) else None
        if word is not None:
            return word, {}
    message = MESSAGES.get(action)
    if message is None or not data:
        return None
    values = {key: ", ".join(map(str, value)) if isinstance(value, list) else str(value) for key, value in data.items()}
    try:
        message % values
    except (KeyError, TypeError, ValueError):
        return None  # a row from another version, with other values: shown without them
    return message, values


def label(action: str) -> str:
    """The untranslated label of an action code; an unknown code (from a newer version) shows as itself."""
    return LABELS.get(action, action)


def record(
    db: Session,
    event: Event | None,
    action: str,
    *,
    subject: str = "",
    detail: str = "",
    data: dict[str, Any] | None = None,
    series: Series | None = None,
    actor: str | None = None,
) -> None:
    entry = AuditEntry(
        event_id=event.id if event else None,
        series_id=series.id if series else None,
        action=action,
        subject=subject,
        detail=detail[:4000],
        data=data or {},
        actor=actor or db.info.get("actor") or SYSTEM,
    )
    db.add(entry)
    # For the log, after the commit (`Database.write`); a write that fails takes its entries back (`writer`).
    db.info.setdefault("audited", []).append(
        {
            "actor": entry.actor,
            "action": action,
            "event": entry.event_id,
            "series": entry.series_id,
            "target": subject,
            # Ids only: the rest of `data` may quote what a person typed (a pitch before an edit, a room's name).
            "ids": {key: value for key, value in (data or {}).items() if type(value) is int},
        }
    )


def log_committed(entries: list[dict[str, Any]]) -> None:
    """One line per committed host action, for the people on duty (`--log-format json` turns it on)."""
    if not log.isEnabledFor(logging.INFO):
        return
    for fields in entries:
        log.info("%s by %s", fields["action"], fields["actor"], extra={"fields": fields})


def entries(db: Session, event: Event, limit: int | None = 50) -> list[AuditEntry]:
    """The event's log, newest first; `limit=None` for all of it (the exports)."""
    query = select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(col(AuditEntry.id).desc())
    return list(db.exec(query.limit(limit) if limit is not None else query))


def installation(db: Session, *, prefix: str = "account.", limit: int = 50) -> list[AuditEntry]:
    """Entries that belong to no event or series (accounts, logins), newest first."""
    query = (
        select(AuditEntry)
        .where(col(AuditEntry.event_id).is_(None), col(AuditEntry.action).startswith(prefix))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(db.exec(query))
