"""Friction points of a dialogue series: proposed by participants, supported, ordered, merged, and followed up.

The follow-up is a status machine kept honest by an append-only history (`Step`): from an open status any step
may follow (looking at it, forwarded to someone, or one of the four that close it); a closed item takes no
step but `reopened`, and `reopened` is only for closed items. Each step has a text, a time and who wrote it.

The agenda of a meeting orders itself by support (most first; ties: the older item first); a host may move an
item, which fixes the order of that meeting's agenda as it then stands.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from liveboard.domain import audit, validate
from liveboard.domain import series as series_domain
from liveboard.domain.changes import bump_series, reload, tag
from liveboard.domain.errors import N_, Conflict, Invalid, NotFound
from liveboard.models import (
    ITEM_CHANNELS,
    ITEM_CLOSED,
    ITEM_STEPS,
    Agenda,
    Item,
    ItemSupport,
    Meeting,
    Member,
    Series,
    Step,
)

TITLE_MAX, STORY_MAX, SERVICE_MAX, ORGANISATION_MAX = 120, 1000, 80, 80
STEP_TEXT_MAX, FORWARDED_TO_MAX, AUTHOR_MAX = 2000, 120, 80

#: How statuses and channels read, on every page and in every export (translated where shown).
STATUS_LABELS = {
    "new": N_("New"),
    "looking": N_("Being looked into"),
    "forwarded": N_("Forwarded"),
    "explained": N_("Explained"),
    "changed": N_("Practice changed"),
    "solved": N_("Solved"),
    "unsolvable": N_("Cannot be solved"),
    "reopened": N_("Reopened"),
    "merged": N_("Merged with a similar point"),
}
CHANNEL_LABELS = {"digital": N_("Digital"), "physical": N_("Physical"), "both": N_("Digital and physical")}


def get(db: Session, series: Series, item_id: object, *, field: str = "id") -> Item:
    try:
        number = validate.integer(item_id, field)
    except Invalid:
        raise NotFound(N_("There is no such item.")) from None
    found = db.get(Item, number)
    if found is None or found.series_id != series.id:
        raise NotFound(N_("There is no such item."))
    return found


def _fresh(db: Session, item: Item) -> Item:
    again = reload(db, item)
    if again is None:
        raise NotFound(N_("There is no such item."))
    return again


# --- participants ------------------------------------------------------------------------------------------------


def propose(db: Session, series: Series, member: Member | None, form: dict[str, object]) -> Item:
    """A friction point for the agenda of the series' next meeting (or the first one scheduled later)."""
    title = validate.text(form.get("title"), "title", min_len=1, max_len=TITLE_MAX)
    story = validate.text(form.get("story"), "story", max_len=STORY_MAX)
    service = validate.text(form.get("service"), "service", max_len=SERVICE_MAX)
    channel = validate.choice(form.get("channel") or "both", "channel", ITEM_CHANNELS)
    organisation = validate.text(form.get("organisation"), "organisation", max_len=ORGANISATION_MAX)
    bump_series(db, series, "item")
    item = Item(
        series_id=series.id,  # type: ignore[arg-type]
        member_id=member.id if member else None,
        title=title,
        story=story,
        service=service,
        channel=channel,
        organisation=organisation,
    )
    db.add(item)
    db.flush()
    tag(db, item_id=item.id)  # type: ignore[arg-type]
    upcoming = series_domain.next_meeting(db, series)
    if upcoming is not None:
        db.add(Agenda(item_id=item.id, meeting_id=upcoming.id))  # type: ignore[arg-type]
        db.flush()
    return item


def toggle_support(db: Session, series: Series, member: Member, item_id: object) -> bool:
    """Support given when not, withdrawn when given: once each. Returns whether it is now given."""
    item = get(db, series, item_id)
    bump_series(db, series, "support", item_id=item.id)  # type: ignore[arg-type]
    item = _fresh(db, item)
    if item.merged_into_id is not None:
        raise Conflict(N_("This item was merged into another; support that one."))
    removed = db.exec(  # type: ignore[call-overload]
        delete(ItemSupport).where(col(ItemSupport.member_id) == member.id, col(ItemSupport.item_id) == item.id)
    )
    if removed.rowcount:
        return False
    db.add(ItemSupport(item_id=item.id, member_id=member.id))  # type: ignore[arg-type]
    db.flush()
    return True


# --- hosts ---------------------------------------------------------------------------------------------------------


def step(db: Session, series: Series, item_id: object, form: dict[str, object], now: datetime | None = None) -> Step:
    """A follow-up step. One the history does not allow is a Conflict (409), and nothing is recorded."""
    status = validate.choice(form.get("status"), "status", ITEM_STEPS)
    text = validate.text(form.get("text"), "text", min_len=1, max_len=STEP_TEXT_MAX)
    forwarded_to = validate.text(form.get("forwarded_to"), "forwarded_to", max_len=FORWARDED_TO_MAX)
    author = validate.text(form.get("author"), "author", max_len=AUTHOR_MAX)
    if status == "forwarded" and not forwarded_to:
        raise Invalid(N_("Say whom it was forwarded to."), field="forwarded_to")
    item = get(db, series, item_id)
    bump_series(db, series, "step", item_id=item.id)  # type: ignore[arg-type]
    item = _fresh(db, item)
    if item.merged_into_id is not None:
        raise Conflict(N_("This item was merged into another; follow that one up instead."))
    closed = item.status in ITEM_CLOSED
    if status == "reopened" and not closed:
        raise Conflict(N_("Only a closed item can be reopened."))
    if closed and status != "reopened":
        raise Conflict(N_("This item is closed. Reopen it first to add another step."))
    moment = now or datetime.now(UTC)
    recorded = Step(
        item_id=item.id,  # type: ignore[arg-type]
        status=status,
        text=text,
        forwarded_to=forwarded_to if status == "forwarded" else "",
        author=author,
        at=moment,
    )
    db.add(recorded)
    item.status = status
    item.closed_at = moment if status in ITEM_CLOSED else None
    db.add(item)
    db.flush()
    if status == "reopened":
        # Open again: it belongs on the agenda to come.
        series_domain.gather_waiting(db, series)
    return recorded


def merge(db: Session, series: Series, item_id: object, into: object) -> Item:
    """Fold a duplicate into another item: support moves over once per person; the duplicate leaves the agenda."""
    if into in (None, ""):
        raise Invalid(N_("Choose the item to merge into."), field="into")
    duplicate = get(db, series, item_id)
    try:
        target = get(db, series, into, field="into")
    except NotFound:
        raise Invalid(N_("There is no such item to merge into."), field="into") from None
    if duplicate.id == target.id:
        raise Invalid(N_("An item cannot be merged into itself."), field="into")
    bump_series(db, series, "item", item_id=duplicate.id, into=target.id)  # type: ignore[arg-type]
    duplicate, target = _fresh(db, duplicate), _fresh(db, target)
    if duplicate.merged_into_id is not None:
        raise Conflict(N_("This item was already merged into another."))
    if target.merged_into_id is not None:
        raise Conflict(N_("That item was itself merged into another; merge into that one."))
    supporters = set(db.exec(select(ItemSupport.member_id).where(ItemSupport.item_id == target.id)).all())
    for support in db.exec(select(ItemSupport).where(ItemSupport.item_id == duplicate.id)).all():
        if support.member_id not in supporters:
            db.add(ItemSupport(item_id=target.id, member_id=support.member_id, created_at=support.created_at))  # type: ignore[arg-type]
        db.delete(support)
    duplicate.merged_into_id = target.id
    db.add(duplicate)
    db.exec(delete(Agenda).where(col(Agenda.item_id) == duplicate.id))  # type: ignore[call-overload]
    audit.record(db, None, "item.merge", subject=f"item:{duplicate.id}", data={"into": target.id}, series=series)
    return target


def discuss(db: Session, series: Series, meeting_id: object, item_id: object) -> Meeting:
    """Mark the item being discussed at a meeting (empty: none), for the wall screen."""
    found = series_domain.meeting(db, series, meeting_id)
    item = None if item_id in (None, "") else get(db, series, item_id)
    bump_series(db, series, "current", meeting_id=found.id)  # type: ignore[arg-type]
    found = reload(db, found)  # type: ignore[assignment]
    if found is None:
        raise NotFound(N_("There is no such meeting."))
    if item is not None:
        on_agenda = db.get(Agenda, (item.id, found.id))
        if on_agenda is None:
            raise Conflict(N_("That item is not on this meeting's agenda."))
    found.current_item_id = item.id if item is not None else None
    db.add(found)
    return found


def move(db: Session, series: Series, meeting_id: object, item_id: object, direction: object) -> None:
    """Move an item up or down a meeting's agenda; the order then stays as the host left it."""
    if direction not in ("up", "down"):
        raise Invalid(N_("Say up or down."), field="direction")
    found = series_domain.meeting(db, series, meeting_id)
    item = get(db, series, item_id)
    bump_series(db, series, "agenda", meeting_id=found.id, item_id=item.id)  # type: ignore[arg-type]
    order = [entry.item.id for entry in agenda(db, series, found)]
    if item.id not in order:
        raise Conflict(N_("That item is not on this meeting's agenda."))
    at = order.index(item.id)
    other = at - 1 if direction == "up" else at + 1
    if 0 <= other < len(order):
        order[at], order[other] = order[other], order[at]
    for position, entry_id in enumerate(order):
        row = db.get(Agenda, (entry_id, found.id))
        if row is not None:
            row.position = position
            db.add(row)


# --- reading -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """An item as an agenda or the public log shows it."""

    item: Item
    support: int
    carried_over: bool = False
    position: int | None = None
    history: list[Step] = field(default_factory=list)

    @property
    def answer(self) -> Step | None:
        """The latest step: what became of it, so far."""
        return self.history[-1] if self.history else None


def support_counts(db: Session, series: Series) -> dict[int, int]:
    rows = db.exec(
        select(ItemSupport.item_id, func.count())
        .join(Item, col(Item.id) == ItemSupport.item_id)
        .where(Item.series_id == series.id)
        .group_by(col(ItemSupport.item_id))
    )
    return dict(rows.all())  # type: ignore[arg-type]


def histories(db: Session, item_ids: list[int]) -> dict[int, list[Step]]:
    found: dict[int, list[Step]] = defaultdict(list)
    if item_ids:
        for row in db.exec(select(Step).where(col(Step.item_id).in_(item_ids)).order_by(Step.at, Step.id)):
            found[row.item_id].append(row)
    return dict(found)


def agenda(db: Session, series: Series, found: Meeting) -> list[Entry]:
    """A meeting's agenda in order: the host's positions first where set, then by support (ties: older first)."""
    rows = db.exec(
        select(Item, Agenda)
        .join(Agenda, col(Agenda.item_id) == Item.id)
        .where(Agenda.meeting_id == found.id, col(Item.merged_into_id).is_(None))
    ).all()
    support = support_counts(db, series)
    history = histories(db, [item.id for item, _ in rows])  # type: ignore[misc]
    entries = [
        Entry(item, support.get(item.id, 0), row.carried_over, row.position, history.get(item.id, []))  # type: ignore[arg-type]
        for item, row in rows
    ]
    entries.sort(key=order_key)
    return entries


def order_key(entry: Entry) -> tuple[bool, int, int, datetime, int]:
    return (
        entry.position is None,
        entry.position if entry.position is not None else 0,
        -entry.support,
        entry.item.created_at,
        entry.item.id or 0,
    )


def log(db: Session, series: Series) -> list[Entry]:
    """Every item of the series (not merged duplicates) with its history: the public log's rows, newest first."""
    items = list(
        db.exec(
            select(Item)
            .where(Item.series_id == series.id, col(Item.merged_into_id).is_(None))
            .order_by(col(Item.created_at).desc(), col(Item.id).desc())
        )
    )
    support = support_counts(db, series)
    history = histories(db, [i.id for i in items])  # type: ignore[misc]
    return [Entry(i, support.get(i.id, 0), history=history.get(i.id, [])) for i in items]  # type: ignore[arg-type]


def of_member(db: Session, series: Series, member: Member | None) -> list[Item]:
    """A participant's own points, so they can see what became of them."""
    if member is None:
        return []
    return list(
        db.exec(select(Item).where(Item.series_id == series.id, Item.member_id == member.id).order_by(Item.created_at))
    )


def supported_by(db: Session, member: Member | None) -> set[int]:
    if member is None:
        return set()
    return set(db.exec(select(ItemSupport.item_id).where(ItemSupport.member_id == member.id)).all())
