"""The harvest report in a real browser: Debian's Chromium driven by Playwright, against the real server.

The report is live while the evening runs: a note written on a phone appears in an open report without a
reload, and a +1 pressed in the report counts. It reads on a phone without sideways scrolling, its charts have
a size, and nothing breaks the page's CSP. Screenshots for docs/ are made by scripts/screenshots.py.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from liveboard.models import Note
from tests.browser.harness import DESK, PHONE, SHORT, Pages, expect, live, mark_not_reloaded
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def note_from_a_phone(server: LiveServer, text: str) -> Note:
    phone = server.client()
    slot = server.slot(1, "Lokale 2")
    assert phone.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    assert phone.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": "proposal", "text": text}).status_code == 303
    return server.rows(Note)[-1]


def test_an_open_report_follows_the_evening(server: LiveServer, pages: Pages) -> None:
    report = pages.open("report", DESK)
    report.goto(f"{server.url}/e/demo/report?lang=en")
    live(report)
    mark_not_reloaded(report)
    # A chart has a size and says what it shows.
    chart = report.locator(f"#report-session-{server.slot(1, 'Store sal').id} svg.chart")
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    assert re.match(r"Attendance over time: peak \d+ at ", chart.get_attribute("aria-label") or "")

    text = 'Bænke & <læ> ved "stoppestedet"'
    note = note_from_a_phone(server, text)
    item = report.locator(f"#note-{note.id}")
    expect(item).to_contain_text(text, timeout=SHORT)  # fetched again within the 0–2 s spread
    assert report.locator("#main læ").count() == 0
    assert report.evaluate("window.__marker") == 1, "the page was reloaded"

    # A +1 from the report itself: the button answers, and the refresh it causes keeps it pressed.
    item.locator("button.support-button").click()
    expect(item.locator("button.support-button")).to_have_attribute("aria-pressed", "true", timeout=SHORT)
    expect(item.locator("button.support-button .count")).to_contain_text("1", timeout=SHORT)
    report.wait_for_timeout(2500)
    expect(report.locator(f"#note-{note.id} button.support-button")).to_have_attribute("aria-pressed", "true")
    assert pages.errors() == []


def test_the_report_reads_on_a_phone(server: LiveServer, pages: Pages) -> None:
    phone = pages.open("phone", PHONE)
    phone.goto(f"{server.url}/e/demo/report?lang=en")
    live(phone)
    widths: dict[str, Any] = phone.evaluate(
        "({page: document.documentElement.scrollWidth, view: window.innerWidth,"
        " chart: document.querySelector('svg.chart').getBoundingClientRect().width})"
    )
    assert widths["page"] <= widths["view"], f"the report scrolls sideways on a phone: {widths}"
    assert 250 < widths["chart"] <= widths["view"]
    # Chart text stays readable when the chart shrinks to a phone's width.
    size = phone.evaluate("parseFloat(getComputedStyle(document.querySelector('svg.chart text')).fontSize)")
    assert size * widths["chart"] / 400 >= 11
    assert pages.errors() == []


def test_printing_hides_the_controls(server: LiveServer, pages: Pages, client: httpx.Client) -> None:
    page = pages.open("print", DESK)
    page.goto(f"{server.url}/e/demo/report?lang=en")
    page.emulate_media(media="print")
    for selector in ("header.top", "nav.exports", "form.support"):
        assert not page.locator(selector).first.is_visible(), selector
    assert page.locator(".notes .support-count").first.is_visible()
    breaks = page.evaluate(
        "[...document.querySelectorAll('.report-session')].map(a => getComputedStyle(a).breakBefore)"
    )
    assert breaks[0] == "auto" and set(breaks[1:]) == {"page"}
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) < 1_000_000
