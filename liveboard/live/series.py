"""A dialogue series live: one read of its current meeting, and the elements each view shows of it.

The series' channel is an ordinary `Channel` (coalescing, diffing, catch-up by version, relay) with this
module's loader and renderers. What the views show is the meeting at hand: its date and place
(`series-meeting`), its agenda in order with each item's support count (`series-agenda`, holding
`agenda-item-{id}` and `item-support-{id}`), and the item being discussed now with its story and latest steps
(`series-current`, screens and consoles only). Phones get the participant page's own fragments
(`series/_meeting.html`, `series/_agenda.html`) for the series' next meeting, as that page shows it, with
every support button off: the page applies its person's marks (`#series-marks`).

The agenda orders itself by support, so a support change may reorder it: the whole list is sent again then
(a meeting's agenda is a few dozen lines), and its counts with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from liveboard import i18n
from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.domain.items import CHANNEL_LABELS, STATUS_LABELS, Entry
from liveboard.live.elements import Dirty, Element
from liveboard.models import Item, Meeting, Series
from liveboard.web.templating import render as render_template

VIEWS = ("phone", "screen", "host")
#: Steps of the current item shown on the wall screen (its notes), newest first.
LATEST_STEPS = 3


#: Change kinds that may change the agenda (which items, their order, their counts, their status).
AGENDA = {"item", "support", "step", "agenda", "meeting", "current", "series", "import", "purge", "resync"}
#: Change kinds that may change the item being discussed.
CURRENT = {"item", "support", "step", "meeting", "current", "series", "import", "purge", "resync"}
#: Change kinds that may change the meeting at hand (which one, its date and place).
MEETING = {"meeting", "series", "import", "purge", "resync"}


@dataclass
class SeriesBoard:
    """Everything a series' live views show, from one read."""

    series: Series
    #: The meeting the wall screen shows (see `current_meeting`), its agenda and the item discussed now.
    meeting: Meeting | None
    agenda: list[Entry]
    current: Entry | None
    now: datetime
    #: The series' next meeting and its agenda, as the participants' page shows them.
    upcoming: Meeting | None = None
    upcoming_agenda: list[Entry] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.series.version


def current_meeting(db: Session, series: Series) -> Meeting | None:
    """The meeting a wall screen shows: one not yet held where an item is being discussed, else the next one,
    else the latest held."""
    discussing = db.exec(
        select(Meeting)
        .where(
            Meeting.series_id == series.id, col(Meeting.held_at).is_(None), col(Meeting.current_item_id).is_not(None)
        )
        .order_by(Meeting.starts, Meeting.id)
    ).first()
    if discussing is not None:
        return discussing
    upcoming = series_domain.next_meeting(db, series)
    if upcoming is not None:
        return upcoming
    latest = select(Meeting).where(Meeting.series_id == series.id)
    return db.exec(latest.order_by(col(Meeting.starts).desc(), col(Meeting.id).desc())).first()


def load(db: Session, series_id: int, now: datetime) -> SeriesBoard:
    series = db.get(Series, series_id)
    assert series is not None
    meeting = current_meeting(db, series)
    agenda = items.agenda(db, series, meeting) if meeting is not None else []
    current = None
    if meeting is not None and meeting.current_item_id is not None:
        current = next((e for e in agenda if e.item.id == meeting.current_item_id), None)
        if current is None:
            item = db.get(Item, meeting.current_item_id)
            if item is not None:
                support = items.support_counts(db, series).get(item.id, 0)  # type: ignore[arg-type]
                history = items.histories(db, [item.id]).get(item.id, [])  # type: ignore[list-item]
                current = Entry(item, support, history=history)
    upcoming = series_domain.next_meeting(db, series)
    if upcoming is None or meeting is None or upcoming.id != meeting.id:
        upcoming_agenda = items.agenda(db, series, upcoming) if upcoming is not None else []
    else:
        upcoming_agenda = agenda
    return SeriesBoard(series, meeting, agenda, current, now, upcoming, upcoming_agenda)


def facts(board: SeriesBoard) -> tuple[int, list[datetime]]:
    """The version, and no clock: a series' screens move only with changes."""
    return board.version, []


def context(board: SeriesBoard, **extra: object) -> dict[str, object]:
    """What the `_sscreen_*` fragments need: for the page's first render and for every live frame."""
    current_id = board.current.item.id if board.current is not None else None
    return {
        "series": board.series,
        "meeting": board.meeting,
        "agenda": board.agenda,
        "current": board.current,
        "current_id": current_id,
        "latest_steps": board.current.history[-LATEST_STEPS:] if board.current is not None else [],
        "status_labels": STATUS_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "oob": True,
        **extra,
    }


def _one(template: str, board: SeriesBoard, view: str) -> str:
    return render_template(template, **context(board, view=view))


def phone_context(board: SeriesBoard) -> dict[str, object]:
    """What the participant page's fragments need, shared by everyone: nobody's support is marked."""
    upcoming = board.upcoming
    return {
        "series": board.series,
        "meeting": upcoming,
        "agenda": board.upcoming_agenda,
        "current_id": upcoming.current_item_id if upcoming is not None else None,
        "supported": frozenset(),
        "oob": True,
    }


def phone(board: SeriesBoard, dirty: Dirty | None) -> list[Element]:
    """The participant page's live elements: the next meeting, and its agenda (which marks the item discussed
    now, and holds the support counts)."""
    kinds = dirty.kinds if dirty is not None else None
    out: list[Element] = []
    if kinds is None or kinds & MEETING:
        out.append(Element("series-meeting", render_template("series/_meeting.html", **phone_context(board))))
    if kinds is None or kinds & AGENDA:
        out.append(Element("series-agenda", render_template("series/_agenda.html", **phone_context(board))))
    return out


def elements(view: str, board: SeriesBoard, dirty: Dirty | None) -> list[Element]:
    """A view's elements for a change, or all of them (`None`): the wall screen's, which the console shares;
    phones get the participant page's own (`phone`)."""
    if view == "phone":
        return phone(board, dirty)
    kinds = dirty.kinds if dirty is not None else None
    out: list[Element] = []
    if kinds is None or kinds & MEETING:
        out.append(Element("series-meeting", _one("series_screen/_meeting.html", board, view)))
    if kinds is None or kinds & AGENDA:
        out.append(Element("series-agenda", _one("series_screen/_agenda.html", board, view)))
    if kinds is None or kinds & CURRENT:
        out.append(Element("series-current", _one("series_screen/_current.html", board, view)))
    return out


def render(view: str, lang: str, board: SeriesBoard, dirty: Dirty | None, *, relaying: bool = True) -> list[Element]:
    """`elements.render` for a series: a view's elements in one language, with the relay banner."""
    with i18n.using(lang):
        out = elements(view, board, dirty)
        if dirty is None or "relay" in dirty.kinds:
            out.append(Element("live-relay", render_template("_relay.html", relaying=relaying, oob=True)))
        return out
