"""Dialogue-meeting series: recurring meetings with one target group, where the participants set the agenda.

A friction point ("bøv") goes on the agenda of the series' next meeting: the earliest one not yet held. When a
meeting is held (closed), its items that are still open carry over to the next meeting, marked as carried over;
when there is no next meeting yet, they wait and join the next one scheduled. Every write bumps the series'
version first (`changes.bump_series`), which locks the series row: writes to one series are serialised.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from liveboard.domain import audit, validate
from liveboard.domain.changes import bump_series, reload, tag
from liveboard.domain.errors import N_, Conflict, Invalid, NotFound
from liveboard.models import ITEM_CLOSED, Agenda, Item, Meeting, Member, Series

PLACE_MAX, ORGANISATIONS_MAX = 200, 2000
TITLE_MAX, AUDIENCE_MAX, DESCRIPTION_MAX = 200, 200, 2000
LANGUAGES = ("da", "en")


def by_slug(db: Session, slug: str) -> Series:
    found = db.exec(select(Series).where(Series.slug == slug)).first()
    if found is None:
        raise NotFound(N_("There is no such series."))
    return found


def all_series(db: Session) -> list[Series]:
    return list(db.exec(select(Series).order_by(Series.title)))


def _series_fields(fields: dict[str, object]) -> dict[str, str]:
    return {
        "title": validate.text(fields.get("title"), "title", min_len=1, max_len=TITLE_MAX),
        "audience": validate.text(fields.get("audience"), "audience", max_len=AUDIENCE_MAX),
        "description": validate.text(fields.get("description"), "description", max_len=DESCRIPTION_MAX),
    }


def create(db: Session, fields: dict[str, object]) -> Series:
    """A new dialogue series, from the hosts' index. Its address (slug) is for good: flyers print it."""
    slug = validate.slug(fields.get("slug"))
    values = _series_fields(fields)
    language = validate.choice(fields.get("language") or "da", "language", LANGUAGES)
    if db.exec(select(Series).where(Series.slug == slug)).first() is not None:
        raise Conflict(N_("There is already a series at that address."), field="slug")
    created = Series(slug=slug, language=language, **values)
    try:
        with db.begin_nested():  # two hosts creating the same address at once: one wins, the other is told
            db.add(created)
    except IntegrityError:
        raise Conflict(N_("There is already a series at that address."), field="slug") from None
    audit.record(db, None, "series.create", subject=f"series:{slug}", detail=created.title, series=created)
    return created


def edit(db: Session, series: Series, fields: dict[str, object]) -> Series:
    values = _series_fields(fields)
    bump_series(db, series, "series")
    series = reload(db, series) or series
    for key, value in values.items():
        setattr(series, key, value)
    db.add(series)
    audit.record(db, None, "series.edit", subject=f"series:{series.slug}", series=series)
    return series


def meetings(db: Session, series: Series) -> list[Meeting]:
    return list(db.exec(select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts, Meeting.id)))


def meeting(db: Session, series: Series, meeting_id: object) -> Meeting:
    try:
        number = validate.integer(meeting_id, "id")
    except Invalid:
        raise NotFound(N_("There is no such meeting.")) from None
    found = db.get(Meeting, number)
    if found is None or found.series_id != series.id:
        raise NotFound(N_("There is no such meeting."))
    return found


def next_meeting(db: Session, series: Series, after: datetime | None = None) -> Meeting | None:
    """The earliest meeting not yet held (after `after`, when given): where new and carried-over items go."""
    query = select(Meeting).where(Meeting.series_id == series.id, col(Meeting.held_at).is_(None))
    if after is not None:
        query = query.where(Meeting.starts > after)
    return db.exec(query.order_by(Meeting.starts, Meeting.id)).first()


def _meeting_fields(series: Series, form: dict[str, object]) -> tuple[datetime, str, str]:
    starts = validate.moment(form.get("starts"), "starts", timezone=series.timezone)
    place = validate.text(form.get("place"), "place", max_len=PLACE_MAX)
    organisations = validate.text(form.get("organisations"), "organisations", max_len=ORGANISATIONS_MAX)
    return starts, place, organisations


def schedule(db: Session, series: Series, form: dict[str, object]) -> Meeting:
    """A host schedules a meeting. Items waiting for one (new, or open from a held meeting) join its agenda."""
    starts, place, organisations = _meeting_fields(series, form)
    bump_series(db, series, "meeting")
    created = Meeting(series_id=series.id, starts=starts, place=place, organisations=organisations)  # type: ignore[arg-type]
    db.add(created)
    db.flush()
    tag(db, meeting_id=created.id)  # type: ignore[arg-type]
    gather_waiting(db, series)
    audit.record(
        db, None, "series.meeting", subject=f"series:{series.slug}", data={"meeting": created.id}, series=series
    )
    return created


def edit_meeting(db: Session, series: Series, meeting_id: object, form: dict[str, object]) -> Meeting:
    starts, place, organisations = _meeting_fields(series, form)
    found = meeting(db, series, meeting_id)
    bump_series(db, series, "meeting", meeting_id=found.id)  # type: ignore[arg-type]
    found = _fresh(db, found)
    found.starts, found.place, found.organisations = starts, place, organisations
    db.add(found)
    return found


def close(db: Session, series: Series, meeting_id: object, now: datetime | None = None) -> Meeting:
    """The meeting has been held: its open items carry over to the next meeting (or wait for one)."""
    found = meeting(db, series, meeting_id)
    bump_series(db, series, "meeting", meeting_id=found.id)  # type: ignore[arg-type]
    found = _fresh(db, found)
    if found.held_at is not None:
        raise Conflict(N_("This meeting has already been held."))
    found.held_at = now or datetime.now(UTC)
    found.current_item_id = None
    db.add(found)
    db.flush()
    gather_waiting(db, series)
    audit.record(db, None, "series.close", subject=f"series:{series.slug}", data={"meeting": found.id}, series=series)
    return found


def _fresh(db: Session, found: Meeting) -> Meeting:
    again = reload(db, found)
    if again is None:
        raise NotFound(N_("There is no such meeting."))
    return again


def gather_waiting(db: Session, series: Series) -> None:
    """Put every open item that has no meeting ahead of it on the next meeting's agenda. An item that was on a
    held meeting is marked as carried over."""
    items = db.exec(
        select(Item).where(
            Item.series_id == series.id,
            col(Item.merged_into_id).is_(None),
            col(Item.status).not_in(ITEM_CLOSED),
        )
    ).all()
    for item in items:
        rows = db.exec(
            select(Meeting).join(Agenda, col(Agenda.meeting_id) == Meeting.id).where(Agenda.item_id == item.id)
        ).all()
        if any(m.held_at is None for m in rows):
            continue  # already on a meeting to come
        last_held = max((m.starts for m in rows), default=None)
        target = next_meeting(db, series, after=last_held) or (next_meeting(db, series) if last_held is None else None)
        if target is None:
            continue
        db.add(Agenda(item_id=item.id, meeting_id=target.id, carried_over=bool(rows)))  # type: ignore[arg-type]
    db.flush()


def member(db: Session, series: Series, token: str | None) -> Member | None:
    if not token:
        return None
    return db.exec(select(Member).where(Member.series_id == series.id, Member.token == token)).first()


def member_for(db: Session, series: Series, token: str) -> Member:
    """The member behind a cookie token; created on first sight (two first requests at once make one row)."""
    found = member(db, series, token)
    if found is not None:
        return found
    try:
        with db.begin_nested():
            created = Member(series_id=series.id, token=token)  # type: ignore[arg-type]
            db.add(created)
    except IntegrityError:
        found = member(db, series, token)
        assert found is not None
        return found
    return created


def new_token() -> str:
    return secrets.token_urlsafe(24)
