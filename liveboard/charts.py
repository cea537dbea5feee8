"""A session's attendance curve as a small chart, drawn on the server as inline SVG.

No chart library and no script: the report must print, work without JavaScript and pass a CSP that forbids
inline styles, so the chart is plain geometry here and `templates/report/_chart.html` turns it into SVG with
classes (coloured by app.css) and presentation attributes (so it still reads when no CSS applies).

A curve is cut to its round: phones pick a session before the round begins, so its count at the start is
everyone who chose it, and joins and leaves before that are choices, not attendance. The page, the Markdown,
the CSV and the JSON all use the cut curve, so they give the same peak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from liveboard import i18n
from liveboard.domain.attendance import Curve

#: The chart's own coordinate space; it scales to the page's width (see `.chart` in app.css).
WIDTH, HEIGHT = 400, 150
LEFT, RIGHT, TOP, BOTTOM = 38, 10, 22, 22


def in_round(curve: Curve, starts: datetime, ends: datetime) -> Curve:
    """The curve from the round's start to its end: the count at the start, then every step within."""
    at_start = curve.at(starts)
    inside = [(moment, count) for moment, count in curve.points if starts < moment <= ends]
    if not at_start and not inside:
        return Curve([])
    return Curve([(starts, at_start), *inside])


def peak_text(curve: Curve, timezone: str) -> str:
    """The peak said in words in the current language ("peak 24 at 19.03"): the chart's label and accessible name."""
    return i18n.gettext("peak {count} at {time}").format(
        count=i18n.number(curve.peak), time=i18n.time(curve.peak_at, timezone)
    )


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    #: SVG path data: the step line, and the area under it.
    line: str
    area: str
    #: Plot area: left, top, right, bottom.
    box: tuple[float, float, float, float]
    #: Labelled times: x, text, and the label's anchor (the first grows right, the last left).
    x_ticks: list[tuple[float, str, str]]
    y_ticks: list[tuple[float, str]]
    #: Where the room's capacity is, when it is within the scale.
    capacity_y: float | None
    peak_x: float
    peak_y: float
    #: The peak's label, anchored so it stays inside the chart.
    label: str
    label_x: float
    label_anchor: str
    #: The chart said in words, for screen readers and as the SVG's title.
    summary: str


def scale_top(peak: int, capacity: int) -> int:
    """The y axis runs to the room's capacity when the peak came near it (a full room then shows as full), else
    to a round number just above the peak, so a 300-seat hall with 20 people still draws a readable curve."""
    peak = max(peak, 1)
    if capacity and capacity <= 2 * peak:
        return max(capacity, peak)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if math.ceil(peak / step) <= 4:
            return math.ceil(peak / step) * step
    return peak


def attendance(
    curve: Curve, starts: datetime, ends: datetime, *, capacity: int, now: datetime, timezone: str
) -> Chart | None:
    """The chart of a session in the round from `starts` to `ends`, drawn up to `now` while the round runs;
    None when nobody came (yet): a flat line at zero says nothing a sentence does not say better."""
    cut = in_round(curve, starts, ends)
    if not cut.peak or now <= starts or cut.peak_at is None:
        return None
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    span = (ends - starts).total_seconds()
    ymax = scale_top(cut.peak, capacity)

    def x(moment: datetime) -> float:
        return round(left + (right - left) * (moment - starts).total_seconds() / span, 1)

    def y(count: int) -> float:
        return round(bottom - (bottom - top) * count / ymax, 1)

    first_count = cut.points[0][1]
    parts = [f"M{x(starts)} {y(first_count)}"]
    for moment, count in cut.points[1:]:
        parts.append(f"H{x(moment)}V{y(count)}")
    # While the round runs the line stops at now; the log's last step may be a moment later than `now`.
    parts.append(f"H{x(min(max(now, cut.points[-1][0]), ends))}")
    line = "".join(parts)
    area = f"{line}V{y(0)}H{x(starts)}Z"

    middle = starts + (ends - starts) / 2
    x_ticks = [
        (x(moment), i18n.time(moment, timezone), anchor)
        for moment, anchor in ((starts, "start"), (middle, "middle"), (ends, "end"))
    ]
    y_ticks = [(y(0), i18n.number(0)), (y(ymax), i18n.number(ymax))]
    peak_x, peak_y = x(cut.peak_at), y(cut.peak)
    label = peak_text(cut, timezone)
    # A label near an edge grows inward.
    width_share = (peak_x - left) / (right - left)
    anchor, label_x = ("start", max(peak_x - 4, left)) if width_share < 0.3 else ("middle", peak_x)
    if width_share > 0.7:
        anchor, label_x = "end", min(peak_x + 4, right)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        line=line,
        area=area,
        box=(left, top, right, bottom),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        capacity_y=y(capacity) if capacity <= ymax else None,
        peak_x=peak_x,
        peak_y=peak_y,
        label=label,
        label_x=label_x,
        label_anchor=anchor,
        summary=i18n.gettext("Attendance over time: {peak}, of {capacity} seats").format(
            peak=label, capacity=i18n.number(capacity)
        ),
    )
