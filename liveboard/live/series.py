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

The organiser's console (`host`) gets its own sections instead (`templates/series_host/`), rendered from the same
context as its page (`series_host.console_of`), each for the change kinds that may alter it; the channel drops
those whose HTML did not change. That context (every meeting and item of the series, with their histories) is read
only while a console is connected: a few more queries in the flush's one read transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from liveboard import i18n
from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.domain.items import CHANNEL_LABELS, STATUS_LABELS, Entry
from liveboard.live.elements import Dirty, Element, oob_main
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

#: The organiser's console's sections: (element id, template, the change kinds that may alter it). A step may close
#: an item (it moves to the closed ones), a meeting scheduled or closed moves items onto or off its agenda, and every
#: item's "merge into" list names all items: so most kinds touch every list, and the diff sends only what changed.
CONSOLE_SECTIONS = (
    ("sections", "series_host/_sections.html", {"meeting", "item", "step"}),
    ("meetings", "series_host/_meetings.html", {"meeting"}),
    ("agenda", "series_host/_agenda.html", {"meeting", "item", "support", "step", "current", "agenda"}),
    ("waiting", "series_host/_waiting.html", {"meeting", "item", "support", "step"}),
    ("closed-items", "series_host/_closed.html", {"meeting", "item", "support", "step"}),
)
#: Change kinds that redraw the whole console: the series itself (its title heads the console) or everything.
WHOLE_CONSOLE = {"series", "import", "purge", "resync"}
#: The console's lists of items, by section id and context key.
ITEM_LISTS = {"agenda": "agenda", "waiting": "waiting", "closed-items": "closed"}
#: Change kinds that alter items where they are: support (what participants change, often and in bursts during a
#: meeting) and a follow-up step. Only the lists holding those items are drawn again for them (a list of a few
#: dozen items, each with its history and merge choices, is the console's costliest part). A step moves an item
#: between the open ones waiting and the closed ones, and onto or off an agenda only when it reopens it
#: (`items.step` then gathers waiting items onto the next meeting's agenda).
IN_PLACE = {"support", "step"}


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
    #: The organiser's console's context (`series_host.console_of`), read only while a console is connected.
    console: dict[str, Any] | None = None

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


def load(db: Session, series_id: int, now: datetime, *, console: bool = False) -> SeriesBoard:
    """The series as its views show it; with `console`, also what the organiser's console shows."""
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
    board = SeriesBoard(series, meeting, agenda, current, now, upcoming, upcoming_agenda)
    if console:
        # The view module owns the console's context; imported here, as `elements.host` does, to keep the live
        # layer's import free of the web layer.
        from liveboard.web.views.series_host import console_of

        board.console = console_of(db, series, now)
    return board


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


def host(board: SeriesBoard, dirty: Dirty | None) -> list[Element]:
    """The organiser's console: the sections a change may alter, or the whole console (`main`) for a client that
    catches up and for a change of the series itself."""
    assert board.console is not None, "the series was read without the console (no host client in the flush)"
    if dirty is None or dirty.kinds & WHOLE_CONSOLE:
        whole = render_template("series_host/_console.html", **board.console, oob=False)
        return [Element("main", oob_main(whole))]
    lists = _lists_to_draw(board.console, dirty)
    return [
        Element(element_id, render_template(template, **board.console, oob=True))
        for element_id, template, kinds in CONSOLE_SECTIONS
        if dirty.kinds & kinds and (element_id not in ITEM_LISTS or element_id in lists)
    ]


def _lists_to_draw(console: dict[str, Any], dirty: Dirty) -> set[str]:
    """The lists of items a change may alter: every one, unless it only changed named items in place."""
    relevant = dirty.kinds & set().union(*(kinds for _, _, kinds in CONSOLE_SECTIONS))
    if not relevant <= IN_PLACE or not dirty.items:
        return set(ITEM_LISTS)
    touched = {
        element_id: [entry.item for entry in console[key] if entry.item.id in dirty.items]
        for element_id, key in ITEM_LISTS.items()
    }
    if "step" in relevant and any(item.status == "reopened" for found in touched.values() for item in found):
        return set(ITEM_LISTS)
    holding = {element_id for element_id, found in touched.items() if found}
    if "step" in relevant and holding & {"waiting", "closed-items"}:
        holding |= {"waiting", "closed-items"}
    return holding


def elements(view: str, board: SeriesBoard, dirty: Dirty | None) -> list[Element]:
    """A view's elements for a change, or all of them (`None`): the wall screen's; phones get the participant
    page's own (`phone`), the organiser's console its own sections (`host`)."""
    if view == "phone":
        return phone(board, dirty)
    if view == "host":
        return host(board, dirty)
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
