"""The audit log of host actions: appended in the same transaction as the action, so neither exists alone."""

from __future__ import annotations

from sqlmodel import Session, col, select

from liveboard.models import AuditEntry, Event


def record(db: Session, event: Event | None, action: str, *, subject: str = "", detail: str = "") -> None:
    db.add(
        AuditEntry(
            event_id=event.id if event else None, action=action, subject=subject, detail=detail[:4000], actor="host"
        )
    )


def entries(db: Session, event: Event, limit: int = 50) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(col(AuditEntry.id).desc()).limit(limit)
    return list(db.exec(query))
