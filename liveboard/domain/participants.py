"""Anonymous participants: a random token in a signed cookie, one row per event the person visits."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from liveboard.models import Event, Participant


def new_token() -> str:
    return secrets.token_urlsafe(24)


def find(db: Session, event: Event, token: str | None) -> Participant | None:
    if not token:
        return None
    return db.exec(select(Participant).where(Participant.event_id == event.id, Participant.token == token)).first()


def get_or_create(db: Session, event: Event, token: str, lang: str | None = None) -> Participant:
    """The participant for this token; created on first sight. Two first requests at once make one row."""
    found = find(db, event, token)
    if found is not None:
        return found
    try:
        with db.begin_nested():
            created = Participant(event_id=event.id, token=token, lang=lang)
            db.add(created)
    except IntegrityError:
        found = find(db, event, token)
        assert found is not None
        return found
    return created
