"""Anonymous participants: a random token in a signed cookie, one row per event the person visits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session
from sqlmodel import select as select_rows

from liveboard.domain.changes import Versioned
from liveboard.models import Event, Participant, utcnow


def new_token() -> str:
    return secrets.token_urlsafe(24)


def find(db: Session, event: Event, token: str | None) -> Participant | None:
    if not token:
        return None
    return db.exec(select_rows(Participant).where(Participant.event_id == event.id, Participant.token == token)).first()


_PARTICIPANT = Participant.__table__  # type: ignore[attr-defined]
#: A visitor's participant id by their cookie's token (`known`; the phone page reads it past the Session).
ID_BY_TOKEN = select(_PARTICIPANT.c.id).where(
    _PARTICIPANT.c.event_id == bindparam("event"), _PARTICIPANT.c.token == bindparam("token")
)
# INSERT … ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both know: a first sight makes the row in one
# statement, and the loser of two first requests at once makes nothing (the unique constraint decides).
_MAKE = {
    name: dialect.insert(_PARTICIPANT)
    .on_conflict_do_nothing(index_elements=["event_id", "token"])
    .returning(_PARTICIPANT.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_MAKE_MANY = {
    name: dialect.insert(_PARTICIPANT)
    .on_conflict_do_nothing(index_elements=["event_id", "token"])
    .returning(_PARTICIPANT.c.id, _PARTICIPANT.c.token)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_IDS_BY_TOKENS = select(_PARTICIPANT.c.id, _PARTICIPANT.c.token).where(
    _PARTICIPANT.c.event_id == bindparam("event"), _PARTICIPANT.c.token.in_(bindparam("tokens", expanding=True))
)


@dataclass(frozen=True)
class Visitor:
    """A phone known by its cookie's token: its participant row is made only when it first writes something."""

    token: str
    lang: str | None = None


def make(db: Session, event: Versioned, visitor: Visitor) -> int:
    """The row for a visitor not seen yet, at a round start's pace. Two first requests at once make one row (the
    loser reads the winner's id)."""
    run = db.connection().execute
    made = run(
        _MAKE[db.get_bind().dialect.name],
        {"event_id": event.id, "token": visitor.token, "lang": visitor.lang, "created_at": utcnow()},
    ).scalar()
    return made if made is not None else run(ID_BY_TOKEN, {"event": event.id, "token": visitor.token}).scalar_one()


def make_many(db: Session, event: Versioned, visitors: list[Visitor]) -> dict[str, int]:
    """`make` for a round start's new phones at once: token → id, in one statement (and one more to read the rows
    another write made first)."""
    run = db.connection().execute
    moment = utcnow()
    rows = [{"event_id": event.id, "token": v.token, "lang": v.lang, "created_at": moment} for v in visitors]
    made = {token: ident for ident, token in run(_MAKE_MANY[db.get_bind().dialect.name], rows)}
    missing = [v.token for v in visitors if v.token not in made]
    if missing:
        made.update({token: ident for ident, token in run(_IDS_BY_TOKENS, {"event": event.id, "tokens": missing})})
    return made


def get_or_create(db: Session, event: Event, token: str, lang: str | None = None) -> Participant:
    """The participant for this token; created on first sight (by `make`, so two first requests at once make one
    row)."""
    found = find(db, event, token)
    if found is not None:
        return found
    made = db.get(Participant, make(db, event, Visitor(token, lang)))  # type: ignore[arg-type]
    assert made is not None
    return made
