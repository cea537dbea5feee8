"""Attendance charts (`liveboard/charts.py`, `templates/report/_chart.html`), drawn from a known log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from liveboard import charts, i18n
from liveboard.domain import attendance
from liveboard.models import Attendance
from liveboard.web.templating import render

T0 = datetime(2030, 6, 24, 17, 0, tzinfo=UTC)  # 19:00 in Copenhagen
END = T0 + timedelta(minutes=40)
ZONE = "Europe/Copenhagen"


def log(*steps: tuple[float, str], session_id: int = 7) -> list[Attendance]:
    """Joins and leaves at minutes after the round's start (negative: before it began)."""
    return [
        Attendance(
            event_id=1, session_id=session_id, pitch_id=3, participant_id=i, action=action, at=T0 + timedelta(minutes=m)
        )
        for i, (m, action) in enumerate(steps)
    ]


def curve_of(*steps: tuple[float, str]) -> attendance.Curve:
    return attendance.curves(log(*steps))[7]


# Two chose the session before the round; one more at 19:05, two at 19:10, one left at 19:20 and one at 19:30.
KNOWN = curve_of((-5, "join"), (-3, "join"), (5, "join"), (10, "join"), (10, "join"), (20, "leave"), (30, "leave"))


def test_the_curve_is_cut_to_its_round() -> None:
    cut = charts.in_round(KNOWN, T0, END)
    assert cut.points == [
        (T0, 2),
        (T0 + timedelta(minutes=5), 3),
        (T0 + timedelta(minutes=10), 5),
        (T0 + timedelta(minutes=20), 4),
        (T0 + timedelta(minutes=30), 3),
    ]
    assert (cut.peak, cut.peak_at) == (5, T0 + timedelta(minutes=10))


def test_choices_made_and_undone_before_the_round_are_not_attendance() -> None:
    # Three chose it, two changed their minds before it began: one was there at the start, and the peak is 2.
    curve = curve_of((-9, "join"), (-8, "join"), (-7, "join"), (-2, "leave"), (-1, "leave"), (3, "join"))
    assert curve.peak == 3
    cut = charts.in_round(curve, T0, END)
    assert cut.points == [(T0, 1), (T0 + timedelta(minutes=3), 2)]
    assert cut.peak == 2


def test_nobody_no_curve() -> None:
    assert charts.in_round(attendance.Curve([]), T0, END).points == []
    assert charts.in_round(curve_of((-5, "join"), (-4, "leave")), T0, END).points == []
    assert charts.in_round(curve_of((50, "join")), T0, END).points == []


def at(minutes: int, lang: str = "en") -> str:
    """A time in the round as the report says it (Babel's, for the language)."""
    with i18n.using(lang):
        return i18n.time(T0 + timedelta(minutes=minutes), ZONE)


def draw(curve: attendance.Curve, *, capacity: int = 40, now: datetime = END + timedelta(hours=1)) -> charts.Chart:
    with i18n.using("en"):
        chart = charts.attendance(curve, T0, END, capacity=capacity, now=now, timezone=ZONE)
    assert chart is not None
    return chart


def test_the_step_line_and_the_peak() -> None:
    chart = draw(KNOWN, capacity=40)
    left, top, right, bottom = chart.box
    assert (left, right) == (charts.LEFT, charts.WIDTH - charts.RIGHT)
    # The scale runs to 6, a round number above the peak of 5, as 40 seats are far off.
    unit = (bottom - top) / 6
    minute = (right - left) / 40

    def point(minutes: float, count: int) -> tuple[float, float]:
        return round(left + minute * minutes, 1), round(bottom - unit * count, 1)

    steps = [point(0, 2), point(5, 3), point(10, 5), point(20, 4), point(30, 3)]
    expected = f"M{steps[0][0]} {steps[0][1]}" + "".join(f"H{x}V{y}" for x, y in steps[1:]) + f"H{point(40, 0)[0]}"
    assert chart.line == expected
    assert chart.area == f"{expected}V{float(bottom)}H{float(left)}Z"
    assert (chart.peak_x, chart.peak_y) == point(10, 5)
    assert chart.label == f"peak 5 at {at(10)}"
    assert chart.capacity_y is None  # 40 seats are off this scale
    assert [label for _, label, _ in chart.x_ticks] == [at(0), at(20), at(40)]
    assert [label for _, label in chart.y_ticks] == ["0", "6"]
    assert chart.summary == f"Attendance over time: peak 5 at {at(10)}, of 40 seats"


def test_a_room_near_capacity_is_drawn_against_its_capacity() -> None:
    chart = draw(KNOWN, capacity=8)
    _, top, _, bottom = chart.box
    assert [label for _, label in chart.y_ticks] == ["0", "8"]
    assert chart.capacity_y == top
    assert chart.peak_y == round(bottom - (bottom - top) * 5 / 8, 1)


def test_while_the_round_runs_the_line_stops_at_now() -> None:
    chart = draw(KNOWN, now=T0 + timedelta(minutes=35))
    left, _, right, _ = chart.box
    assert chart.line.endswith(f"H{round(left + (right - left) * 35 / 40, 1)}")


def test_no_chart_before_the_round_or_without_anyone() -> None:
    with i18n.using("en"):
        assert charts.attendance(KNOWN, T0, END, capacity=40, now=T0 - timedelta(minutes=1), timezone=ZONE) is None
        assert charts.attendance(attendance.Curve([]), T0, END, capacity=40, now=END, timezone=ZONE) is None


@pytest.mark.parametrize(
    ("peak", "capacity", "top"), [(24, 300, 30), (5, 40, 6), (9, 35, 10), (14, 14, 14), (11, 20, 20), (1, 300, 1)]
)
def test_the_scale(peak: int, capacity: int, top: int) -> None:
    assert charts.scale_top(peak, capacity) == top


def test_the_svg_is_accessible_and_needs_no_style_attribute() -> None:
    with i18n.using("en"):
        svg = render("report/_chart.html", chart=draw(KNOWN))
    assert re.search(r'<svg [^>]*role="img"', svg)
    summary = f"Attendance over time: peak 5 at {at(10)}, of 40 seats"
    assert f'aria-label="{summary}"' in svg
    assert f"<title>{summary}</title>" in svg
    assert f">peak 5 at {at(10)}</text>" in svg
    assert "style=" not in svg and "<script" not in svg
    assert f'd="{draw(KNOWN).line}"' in svg


def test_labels_follow_the_language() -> None:
    with i18n.using("da"):
        chart = charts.attendance(KNOWN, T0, END, capacity=40, now=END, timezone=ZONE)
    assert chart is not None and chart.label == "flest 5 kl. 19.10" == f"flest 5 kl. {at(10, 'da')}"
