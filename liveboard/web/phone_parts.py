"""The phone page's shared parts — the board and the stories — loaded and rendered once per version, language
and clock, then lent to every phone that asks.

When the wifi comes back and 1,500 phones reload within ten seconds, they all ask for the same board. Loading and
rendering it costs about 25 ms of CPU: at 150 pages a second that is more than a process has. The parts carry
nobody's marks; `marked` adds one person's (their sessions, their interest) to the cached text, so the page is
byte for byte what rendering it with the marks gives (tests/web/test_phone_parts.py holds that).

A page never shows less than the version its request saw: a cached part older than that is built again, once,
while the other requests for it wait (one build, not one per request).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlmodel import Session

from liveboard.db import Database
from liveboard.domain import board as boards
from liveboard.domain import events
from liveboard.domain.board import Board
from liveboard.models import Event, Interest, Pitch, Presence
from liveboard.quick_reads import Reading
from liveboard.web.templating import render

_PR = Presence.__table__  # type: ignore[attr-defined]
_IN, _PI = Interest.__table__, Pitch.__table__  # type: ignore[attr-defined]
_MINE = select(_PR.c.round_id, _PR.c.session_id).where(_PR.c.participant_id == bindparam("participant"))
_INTERESTED = (
    select(_IN.c.pitch_id)
    .join(_PI, _PI.c.id == _IN.c.pitch_id)
    .where(_IN.c.participant_id == bindparam("participant"), _PI.c.event_id == bindparam("event"))
)

# The two marks as `_session.html` and `_pitch.html` write them, without and with.
_SESSION, _MY_SESSION = '<li class="session" id="session-{}"', '<li class="session mine" id="session-{}"'
_PITCH = 'id="pitch-{}"'
_UNPRESSED, _PRESSED = 'class="interest" aria-pressed="false"', 'class="interest on" aria-pressed="true"'


def _clock_key(clock: events.Clock) -> tuple[int | None, int | None]:
    return (clock.current.id if clock.current else None, clock.next.id if clock.next else None)


@dataclass(frozen=True)
class Parts:
    """The board and the stories at one version, for one language, with what they were rendered from."""

    event: Event
    board: Board
    board_html: str
    pitches_html: str
    #: The whole page around the personal regions, per text size: built on first use (`shell`).
    shells: dict[str, str] = field(default_factory=dict)
    #: "Where do I go now" by (where, here) session ids, per text size: the hall is in a few sessions.
    evenings: dict[tuple[str, int | None, int | None], str] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return self.event.version

    def fresh(self, version: int, now: datetime) -> bool:
        """At least `version`, and the same round running (a round starting changes "now" on the board)."""
        return self.version >= version and _clock_key(events.clock(self.board.rounds, now)) == _clock_key(
            self.board.clock
        )

    def shell(self, text_size: str, build: Callable[[], str]) -> str:
        """The page for this text size with `EVENING` and `MARKS` where the person's regions go, and nobody's
        marks. Two requests building it at once build the same text: the second simply replaces the first."""
        page = self.shells.get(text_size)
        if page is None:
            page = self.shells[text_size] = build()
        return page

    def evening(self, text_size: str, where: int | None, here: int | None, build: Callable[[], str]) -> str:
        """A person's "where do I go now" for a plain visit: the same for everyone in the same sessions."""
        key = (text_size, where, here)
        html = self.evenings.get(key)
        if html is None:
            html = self.evenings[key] = build()
        return html


#: Where a person's "where do I go now" and marks go in a `shell`: comments, which nothing people type can make
#: (the templates escape "<").
EVENING, MARKS = Markup("<!--lb:my-evening-->"), Markup("<!--lb:my-marks-->")


class PhoneParts:
    """The newest parts of each event and language. At most one entry per pair: the memory stays that small."""

    def __init__(self) -> None:
        self._parts: dict[tuple[int, str], Parts] = {}
        self._builds: dict[tuple[int, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, database: Database, event_id: int, lang: str, now: datetime, version: int) -> Parts:
        """The parts at `version` (the event's as the request read it) or newer. Run in the request's language.

        A build reads through a Session of its own: the caller holds no connection meanwhile, or the requests
        waiting for the build could hold every connection of the pool."""
        key = (event_id, lang)
        parts = self._parts.get(key)
        if parts is not None and parts.fresh(version, now):
            return parts
        with self._build_lock(key):
            parts = self._parts.get(key)
            if parts is None or not parts.fresh(version, now):
                with database.read() as db:
                    parts = _build(db, event_id, now)
                self._parts[key] = parts
            return parts

    def _build_lock(self, key: tuple[int, str]) -> threading.Lock:
        with self._lock:
            return self._builds.setdefault(key, threading.Lock())


def _build(db: Session, event_id: int, now: datetime) -> Parts:
    event = db.get(Event, event_id)
    assert event is not None  # the caller found it by its slug; events are never deleted
    board = boards.load(db, event, now)
    nobody = {"event": event, "board": board, "mine": {}, "interested": set(), "oob": False}
    return Parts(event, board, render("_board.html", **nobody), render("_pitches.html", **nobody))


def marks(read: Reading, event_id: int, participant_id: int | None) -> tuple[dict[int, int], set[int]]:
    """This person's sessions (round id → session id) and the pitches they are interested in."""
    if participant_id is None:
        return {}, set()
    mine = {round_id: session_id for round_id, session_id in read.rows(_MINE, participant=participant_id)}
    interested = {pitch_id for (pitch_id,) in read.rows(_INTERESTED, participant=participant_id, event=event_id)}
    return mine, interested


def marked(html: str, mine: dict[int, int], interested: set[int]) -> Markup:
    """`html` (the board, the stories, or a page holding them) with this person's marks, as `_session.html` and
    `_pitch.html` would put them."""
    for session_id in mine.values():
        html = html.replace(_SESSION.format(session_id), _MY_SESSION.format(session_id), 1)
    for pitch_id in interested:
        start = html.find(_PITCH.format(pitch_id))
        at = html.find(_UNPRESSED, start) if start >= 0 else -1
        if at >= 0:
            html = html[:at] + _PRESSED + html[at + len(_UNPRESSED) :]
    return Markup(html)


class Answers:
    """The "where do I go now" a join or leave answers with, rendered once for everyone it reads the same for.

    A round start's joins answer a few dozen different fragments (sessions × languages), a thousand times over:
    rendering each (a note form and all) was a tenth of an instance's CPU in the storm. The key is everything
    `_my_evening.html` shows of the evening (`shown`), so an edited title or a round that starts makes a new
    entry; at most `MAX` entries are kept (then they start again)."""

    MAX = 4096

    def __init__(self) -> None:
        self._html: dict[tuple, str] = {}

    def get(self, lang: str, evening: boards.Evening, build: Callable[[], str]) -> str:
        key = (lang, shown(evening))
        html = self._html.get(key)
        if html is None:
            if len(self._html) >= self.MAX:
                self._html.clear()
            html = self._html[key] = build()
        return html


def shown(evening: boards.Evening) -> tuple:
    """What `_my_evening.html` reads of an evening (without a note's error or thanks, which no join answer has)."""
    event, where, here = evening.event, evening.where, evening.here
    return (
        event.slug,
        event.language,
        event.timezone,
        where
        and (
            where.round.id,
            where.round.label,
            where.round.starts,
            evening.is_current(where.round),
            where.pitch.title,
            where.room.name,
            where.room.location,
        ),
        here and (here.session.id, here.pitch.title),
    )
