"""Announcements from the hosts, shown on every screen and phone."""

from __future__ import annotations

from sqlmodel import Session, col, select

from liveboard.domain import audit, validate
from liveboard.domain.changes import bump, tag
from liveboard.models import Announcement, Event

TEXT_MAX = 200


def announce(db: Session, event: Event, form: dict[str, object]) -> Announcement:
    text = validate.text(form.get("text"), "text", min_len=1, max_len=TEXT_MAX)
    bump(db, event, "announcement")
    item = Announcement(event_id=event.id, text=text)  # type: ignore[arg-type]
    db.add(item)
    db.flush()
    tag(db, announcement_id=item.id)  # type: ignore[arg-type]
    audit.record(db, event, "announce", subject=f"announcement:{item.id}", detail=text)
    return item


def latest(db: Session, event: Event) -> Announcement | None:
    query = select(Announcement).where(Announcement.event_id == event.id).order_by(col(Announcement.id).desc())
    return db.exec(query).first()
