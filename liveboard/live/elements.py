"""What each view shows live, as elements with ids: rendered from the same templates as the pages.

A change names what it touched (a session, a pitch, the schedule); `render` turns that into the smallest
elements that show it — a headcount change is one `<span>` of about a hundred bytes, not the board.
Shared elements never carry anything personal: marks such as "my session" are applied in the page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from liveboard import i18n
from liveboard.domain.board import Board
from liveboard.domain.changes import Change
from liveboard.web.templating import render as render_template

VIEWS = ("phone", "screen", "host", "report")

#: Change kinds that reshape the board (which session is where), as opposed to counts within it.
STRUCTURE = {"schedule", "rooms", "rounds", "clock", "event", "import", "purge"}


@dataclass(frozen=True)
class Element:
    """An element to swap in by its id. With a `container`, a new one is appended there."""

    id: str
    html: str
    container: str | None = None

    @property
    def region(self) -> bool:
        """A region holds smaller live elements (the board holds the counts): sending it resets them."""
        return self.id in REGIONS


REGIONS = {"board", "pitches", "grid", "schedule", "main", "moderation"}


@dataclass
class Dirty:
    """What changed since the last frame: kinds, and the pitches and sessions they touched."""

    kinds: set[str] = dataclasses.field(default_factory=set)
    pitches: set[int] = dataclasses.field(default_factory=set)
    sessions: set[int] = dataclasses.field(default_factory=set)
    #: A dialogue series' friction points (items) the changes touched.
    items: set[int] = dataclasses.field(default_factory=set)
    #: Changes may have been missed since this version (the relay between instances was lost): when the
    #: event is at another version now, everything is rendered again and what differs is sent. -1: always.
    resync_from: int | None = None

    def add(self, change: Change) -> None:
        self.kinds.add(change.kind)
        if change.kind == "resync":
            self.resync(-1)
        if change.scope == "series":
            for key in ("item_id", "into"):
                if key in change.ids:
                    self.items.add(change.ids[key])
            return
        for key in ("pitch_id", "into"):
            if key in change.ids:
                self.pitches.add(change.ids[key])
        for key in ("session_id", "left_session_id", "other_id", "into_session_id"):
            if key in change.ids:
                self.sessions.add(change.ids[key])

    def clock(self) -> None:
        self.kinds.add("clock")

    def resync(self, since: int) -> None:
        self.kinds.add("resync")
        self.resync_from = since if self.resync_from is None else min(self.resync_from, since)

    def relay(self) -> None:
        """The relay between instances was lost or is back: every view shows it."""
        self.kinds.add("relay")

    def merge(self, other: Dirty) -> None:
        """Take back what a failed flush did not send."""
        self.kinds |= other.kinds
        self.pitches |= other.pitches
        self.sessions |= other.sessions
        self.items |= other.items
        if other.resync_from is not None:
            self.resync(other.resync_from)

    def __bool__(self) -> bool:
        return bool(self.kinds)


def public(board: Board) -> Board:
    """The board as participants and screens see it: approved pitches only."""
    return dataclasses.replace(board, pitches=[p for p in board.pitches if p.status == "approved"])


def _context(board: Board) -> dict[str, object]:
    return {"event": board.event, "board": board, "mine": {}, "interested": set(), "oob": True}


def _one(template: str, board: Board, /, **extra: object) -> str:
    return render_template(template, **{**_context(board), **extra})


def phone(board: Board, dirty: Dirty | None) -> list[Element]:
    """Elements of the phone page. `dirty=None` means all of them (a client that must catch up)."""
    board = public(board)
    out: list[Element] = []
    kinds = dirty.kinds if dirty else None
    if kinds is None or "announcement" in kinds:
        out.append(Element("announcement", _one("_announcement.html", board)))
    if kinds is None or kinds & STRUCTURE or _placed_pitch_changed(board, dirty):
        out.append(Element("board", _one("_board.html", board)))
        # Tells each phone to fetch its own "where do I go now" again (static/js/app.js).
        out.append(Element("me-refresh", _one("_refresh.html", board, name="me-refresh")))
    elif kinds & {"presence"}:
        for cell in _cells(board, dirty.sessions if dirty else None):
            out.append(Element(f"present-{cell.session.id}", _one("_present.html", board, cell=cell)))
            out.append(Element(f"join-{cell.session.id}", _one("_join.html", board, cell=cell)))
    if kinds is None or "clock" in kinds:
        for round_ in board.rounds:
            out.append(Element(f"round-now-{round_.id}", _one("_round_now.html", board, round=round_)))
    if kinds is None or "event" in kinds:
        out.append(Element("pitch-form", _one("_pitch_form.html", board, request=None)))
    if kinds is None:
        out.append(Element("pitches", _one("_pitches.html", board)))
    else:
        if "pitch" in kinds:
            out.extend(_pitch_items(board, dirty.pitches, "_pitch.html", "pitch", container="pitches"))  # type: ignore[union-attr]
        if "interest" in kinds:
            for pitch in _pitches(board, dirty.pitches):  # type: ignore[union-attr]
                out.append(Element(f"interest-{pitch.id}", _one("_interest.html", board, pitch=pitch)))
    return out


def screen(board: Board, dirty: Dirty | None) -> list[Element]:
    """Elements of the wall screen and the door signs (they share the counts)."""
    from liveboard.web.views.screen import ROOMS_PER_PAGE, pages

    board = public(board)
    out: list[Element] = []
    kinds = dirty.kinds if dirty else None
    if kinds is None or "announcement" in kinds:
        out.append(Element("announcement", _one("_announcement.html", board)))
    if kinds is None or kinds & STRUCTURE or _placed_pitch_changed(board, dirty):
        out.append(Element("clock", _one("screen/_clock.html", board)))
        out.append(Element("grid", _one("screen/_grid.html", board, pages=pages(board.rooms, ROOMS_PER_PAGE))))
        out.append(Element("door-refresh", _one("_refresh.html", board, name="door-refresh")))
    if kinds is None or kinds & {"pitch", "interest"}:
        out.append(Element("screen-pitches", _one("screen/_pitches.html", board)))
    if kinds is not None and "presence" in kinds and not kinds & STRUCTURE:
        for cell in _cells(board, dirty.sessions if dirty else None):
            out.append(Element(f"count-{cell.session.id}", _one("_count.html", board, cell=cell)))
            out.append(Element(f"door-count-{cell.session.id}", _one("screen/_door_count.html", board, cell=cell)))
    if kinds is None or kinds & {"note", "support", "block"}:
        # A block (or unblock) withholds (or restores) notes in any session: every door's notes again.
        out.extend(_door_notes(board, dirty.sessions if dirty and "block" not in kinds else None))
    return out


#: Change kinds after which any section of the host console may differ: "event" is also what an event file's import
#: and a purge record (rooms, rounds, pitches and names may all have changed). Every section is rendered then, and
#: the channel sends only those whose HTML changed.
CONSOLE_WIDE = {"event", "import", "purge"}


def oob_main(html: str) -> str:
    """A console rendered for its page (`<main id="main" …>`, its sections without `hx-swap-oob`), as one
    out-of-band swap of the whole `#main`: what a console that catches up gets."""
    return html.replace('<main id="main"', '<main id="main" hx-swap-oob="true"', 1)


def host(board: Board, dirty: Dirty | None) -> list[Element]:
    """Elements of the host console. A catching-up console gets the whole console. The page morphs them in
    (static/js/keep-typing.js), so a form a host is filling in keeps what they typed."""
    from liveboard.web.views.host import console_lists as _host_lists

    if dirty is None:
        console = _one("host/_console.html", board, **_host_lists(board), oob=False, request=None)
        return [Element("main", oob_main(console))]
    kinds = dirty.kinds
    if kinds & CONSOLE_WIDE:
        kinds = kinds | {"pitch", "announcement", "rooms", "rounds"}
    if "block" in kinds:  # the queue loses (or regains) the participant's pitches; the list of blocked changes
        kinds = kinds | {"pitch"}
    out: list[Element] = []
    lists = _host_lists(board)
    if kinds & {"pitch"}:
        # The number waiting for moderation, in the console's section links.
        out.append(Element("sections", _one("host/_sections.html", board, **lists)))
    if kinds & STRUCTURE or kinds & {"pitch"}:
        out.append(Element("schedule", _one("host/_grid.html", board, **lists)))
    elif "presence" in kinds:
        for cell in _cells(board, dirty.sessions):
            out.append(Element(f"hcount-{cell.session.id}", _one("host/_count.html", board, cell=cell)))
    if kinds & {"pitch", "interest"}:
        out.append(Element("moderation", _one("host/_moderation.html", board, **lists)))
    if kinds & CONSOLE_WIDE:
        out.append(Element("event", _one("host/_event.html", board)))
    if kinds & {"rooms", "rounds", "event"}:
        out.append(Element("checklist", _one("host/_checklist.html", board, **lists)))
    if kinds & {"announcement"}:
        out.append(Element("announce-now", _one("host/_announce_now.html", board)))
    if kinds & {"rooms", "rounds"}:
        out.append(Element("rooms", _one("host/_rooms.html", board)))
        out.append(Element("rounds", _one("host/_rounds.html", board)))
    if kinds - {"presence", "interest", "note", "support"}:
        out.append(Element("audit-list", _one("host/_audit.html", board, audit=board.audit)))
    return out


#: Changes that alter what the report shows: its notes, their support, the curves, the programme and the figures.
REPORT = {"note", "support", "presence", "schedule", "pitch", "event", "rooms", "rounds", "import", "purge", "block"}


def report(board: Board, dirty: Dirty | None) -> list[Element]:
    """The report only hears that the harvest changed, as a marker; the page then fetches itself again
    (static/js/app.js), since its +1 buttons are personal and a shared frame never is."""
    if dirty is None or dirty.kinds & REPORT or "resync" in dirty.kinds:
        return [Element("report-refresh", _one("report/_refresh.html", board))]
    return []


RENDERERS = {"phone": phone, "screen": screen, "host": host, "report": report}


def render(view: str, lang: str, board: Board, dirty: Dirty | None, *, relaying: bool = True) -> list[Element]:
    """A view's elements for a change (`dirty`), or all of them (`None`), in one language."""
    with i18n.using(lang):
        out = RENDERERS[view](board, dirty)
        if dirty is None or "relay" in dirty.kinds:
            out.append(Element("live-relay", render_template("_relay.html", relaying=relaying, oob=True)))
        return out


def _cells(board: Board, session_ids: Iterable[int] | None) -> list:
    if session_ids is None:
        return list(board.cells.values())
    return [board.by_session[s] for s in session_ids if s in board.by_session]


def _door_notes(board: Board, session_ids: Iterable[int] | None) -> list[Element]:
    """The door signs' notes of the sessions running now (only those a door shows), or of the changed ones."""
    current = board.clock.current
    if current is None:
        return []
    wanted = None if session_ids is None else set(session_ids)
    return [
        Element(f"door-notes-{cell.session.id}", _one("screen/_door_notes.html", board, cell=cell))
        for cell in board.cells_of(current)
        if wanted is None or cell.session.id in wanted
    ]


def _pitches(board: Board, pitch_ids: Iterable[int]) -> list:
    wanted = set(pitch_ids)
    return [p for p in board.pitches if p.id in wanted]


def _placed_pitch_changed(board: Board, dirty: Dirty | None) -> bool:
    """A placed pitch that was edited shows on the board: re-render it (rare)."""
    if dirty is None or "pitch" not in dirty.kinds:
        return False
    return any(c.pitch.id in dirty.pitches for c in board.cells.values())


def _pitch_items(board: Board, pitch_ids: Iterable[int], template: str, prefix: str, container: str) -> list[Element]:
    """Changed pitches: approved ones are (re)rendered, others are removed from the participants' list."""
    by_id = {p.id: p for p in board.pitches}
    out = []
    for pitch_id in sorted(pitch_ids):
        pitch = by_id.get(pitch_id)
        if pitch is None:
            out.append(Element(f"{prefix}-{pitch_id}", "", container=container))  # gone: delete
        else:
            out.append(Element(f"{prefix}-{pitch.id}", _one(template, board, pitch=pitch, oob=False), container))
    return out
