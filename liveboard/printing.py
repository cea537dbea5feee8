"""How large the type on printed paper can be: a small model of an A4 sheet and of static/css/print.css.

A door poster must stay one page whatever the evening holds (six rounds of 80-character titles under a room with
a 60-character name), and should be read from three metres when it holds little. CSS cannot shrink text to fit
a box, so the server picks a type scale per poster: the largest one whose estimated height fits the sheet.
print.css draws each scale at exactly the sizes named here (`scale-…`, `name-…` classes); if the two ever
disagree, the sheet still never spills onto a second page (it clips), and tests/browser/test_print.py checks
the worst case in Chromium.

All lengths are millimetres, type sizes points.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

PT = 25.4 / 72
#: A character's average advance in ems, in bold and in regular sans-serif: measured on Danish titles in DejaVu
#: Sans (Debian's default, among the widest), rounded up, so real text takes no more lines than counted.
BOLD, REGULAR = 0.64, 0.57

# --- door posters ---------------------------------------------------------------------------------------------

#: A4 less print.css's 12 mm page margins, less a millimetre so rounding never starts a second page.
POSTER_WIDTH, POSTER_HEIGHT = 186.0, 272.0
#: The room's name: (class, size), largest first. print.css: `.name-xl .poster-room { font-size: 88pt }` …
NAME_SIZES = (("xl", 88), ("l", 66), ("m", 48), ("s", 36))
NAME_LINE = 1.05
#: A name may take this many lines before a smaller size is tried.
NAME_MAX_LINES = 2
#: The room's location under its name (it may wrap), and the space above it.
LOCATION_SIZE, LOCATION_LINE, LOCATION_GAP = 24, 1.2, 1.0
#: Everything else on a poster but the sessions: the event's name (13 pt, one line) and the gaps around it, the
#: QR code block at the foot (46 mm and its rule), with a few millimetres to spare.
POSTER_FIXED = 73.0
#: The sessions' type: (class, title size, round-and-time size), largest first.
SCALES = (("xl", 34, 20), ("l", 28, 18), ("m", 23, 16), ("s", 19, 14), ("xs", 15, 12), ("xxs", 12, 10))
TITLE_LINE, WHEN_LINE = 1.15, 1.2
#: The space between two sessions (padding and rule), as print.css draws it.
SESSION_GAP = 3.0


def lines(text: str, size: float, width: float, em: float = BOLD) -> int:
    """How many lines `text` takes at `size` points in a box `width` mm wide, wrapped at spaces."""
    per_line = max(1, int(width / (size * PT * em)))
    return max(1, len(textwrap.wrap(text, per_line, break_long_words=True, break_on_hyphens=False)))


@dataclass(frozen=True)
class PosterType:
    """The classes print.css sizes a poster's name and sessions by."""

    name: str
    scale: str


def poster_type(name: str, location: str, titles: Sequence[str]) -> PosterType:
    """The largest name size that fits the name on two lines, then the largest session scale that fits what is
    left of the sheet (the smallest when nothing does)."""
    name_class, name_size = next(
        ((c, s) for c, s in NAME_SIZES if lines(name, s, POSTER_WIDTH) <= NAME_MAX_LINES), NAME_SIZES[-1]
    )
    head = lines(name, name_size, POSTER_WIDTH) * name_size * NAME_LINE * PT
    if location:
        head += LOCATION_GAP + lines(location, LOCATION_SIZE, POSTER_WIDTH) * LOCATION_SIZE * LOCATION_LINE * PT
    room_for_sessions = POSTER_HEIGHT - POSTER_FIXED - head
    for scale, title_size, when_size in SCALES:
        height = sum(
            when_size * WHEN_LINE * PT + lines(title, title_size, POSTER_WIDTH) * title_size * TITLE_LINE * PT
            for title in titles
        ) + SESSION_GAP * len(titles)
        if height <= room_for_sessions:
            return PosterType(name_class, scale)
    return PosterType(name_class, SCALES[-1][0])


# --- the programme --------------------------------------------------------------------------------------------

#: A4 less print.css's 10 mm page margins (and a millimetre to spare): (width, height) upright and on its side.
PROGRAMME_PAGES = {"portrait": (190.0, 276.0), "landscape": (277.0, 189.0)}
#: Upright wins over a landscape sheet whose type is at most this many points larger.
PORTRAIT_BONUS = 1.5
#: The head (title, day and place, a 30 mm QR code) and the line under the table, with room to spare.
PROGRAMME_FIXED = 52.0
#: The rooms' column takes this share of the width; the rounds share the rest.
ROOM_COLUMN = 0.2
#: The table's type sizes, largest first; each is a `type-{size}` class in print.css.
TABLE_SIZES = (14, 13, 12, 11, 10, 9, 8, 7)
CELL_LINE = 1.2
#: A cell's padding (1.6 mm on each side: 3.2 mm across and down) and its 0.3 mm rule, as print.css draws it.
CELL_PAD = 3.6
#: The header row: a round's label and its time, two lines.
HEAD_LINES = 2


@dataclass(frozen=True)
class ProgrammeLayout:
    orientation: str
    size: int


def programme_layout(rooms: Sequence[str], titles: Sequence[Sequence[str]]) -> ProgrammeLayout:
    """Rooms as rows and rounds as columns (there are more rooms than rounds: rows are cheap, columns are not),
    on the page that takes the largest type: upright, or on its side when the rounds need the width.

    A size counts only when every word fits its column whole (a title broken inside a word is hard to read);
    when no size does, the largest that fits the page is taken, and print.css breaks the longest words.

    `titles[i][j]` is the session title in room `i`, round `j` ("" for none)."""
    for whole_words in (True, False):
        fits = [
            ProgrammeLayout(orientation, size)
            for orientation in ("portrait", "landscape")
            if (size := _table_size(rooms, titles, *PROGRAMME_PAGES[orientation], whole_words)) is not None
        ]
        if fits:
            # The largest type; upright unless on its side the type is more than a point larger (a sheet on a
            # wall or a table reads either way, and upright is what printers and notice boards expect).
            return max(
                fits, key=lambda layout: layout.size + (PORTRAIT_BONUS if layout.orientation == "portrait" else 0)
            )
    return ProgrammeLayout("landscape", TABLE_SIZES[-1])


def _table_size(
    rooms: Sequence[str], titles: Sequence[Sequence[str]], width: float, height: float, whole_words: bool
) -> int | None:
    """The largest table size whose rows fit `height` mm under the head, or None."""
    height -= PROGRAMME_FIXED
    rounds = max((len(row) for row in titles), default=0)
    room_width = width * ROOM_COLUMN - CELL_PAD
    cell_width = (width * (1 - ROOM_COLUMN)) / max(rounds, 1) - CELL_PAD
    longest = max((len(word) for row in titles for title in row for word in title.split()), default=0)
    longest_name = max((len(word) for name in rooms for word in name.split()), default=0)
    for size in TABLE_SIZES:
        if whole_words and (longest * size * PT * REGULAR > cell_width or longest_name * size * PT * BOLD > room_width):
            continue
        line = size * CELL_LINE * PT
        total = HEAD_LINES * line + CELL_PAD
        for name, row in zip(rooms, titles, strict=True):
            tallest = max([lines(name, size, room_width) + 1, *(lines(t, size, cell_width, REGULAR) for t in row if t)])
            total += tallest * line + CELL_PAD
        if total <= height:
            return size
    return None
