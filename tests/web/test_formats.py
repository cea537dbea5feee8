"""Dates, times and numbers as a reader of each language writes them, on the clocks of the event or series.

Everything shown goes through `liveboard.i18n` (the template filters `time`, `datetime`, `date`, `long_date`,
`number`, and `ngettext`'s count): Danish "23. nov. 2026", "19.30", "1.234"; English (British) "23 Nov 2026",
"19:30", "1,234". Machine values (`<time datetime>`) stay ISO 8601 in UTC.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from conftest import LiveServer

from liveboard import i18n
from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.models import Event, Meeting, Room, Round, Series
from liveboard.web.templating import ENV, render

#: A winter evening in UTC: 19.30 in Copenhagen (UTC+1), 13.30 in New York (UTC-5).
WINTER = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
#: A summer evening in UTC: 19.30 in Copenhagen too (UTC+2).
SUMMER = datetime(2026, 6, 23, 17, 30, tzinfo=UTC)


def text(page: str) -> str:
    """A page's text without markup, spaces collapsed (Babel uses narrow no-break spaces in some formats)."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return " ".join(plain.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.mark.parametrize(
    ("lang", "clock", "day", "long", "count", "share"),
    [
        ("da", "19.30", "23. nov. 2026", "mandag den 23. november 2026", "1.234", "45 %"),
        ("en", "19:30", "23 Nov 2026", "Monday, 23 November 2026", "1,234", "45%"),
    ],
)
def test_the_helpers_format_for_the_language(
    lang: str, clock: str, day: str, long: str, count: str, share: str
) -> None:
    with i18n.using(lang):
        assert i18n.time(WINTER, "Europe/Copenhagen") == clock
        assert i18n.time(SUMMER, "Europe/Copenhagen") == clock  # summer time: UTC+2
        assert i18n.date(WINTER, "Europe/Copenhagen") == day
        assert i18n.long_date(WINTER, "Europe/Copenhagen") == long
        assert i18n.number(1234) == count
        assert i18n.percent(0.45).replace("\xa0", " ") == share


def test_the_time_zone_shifts_the_hour_and_the_day() -> None:
    with i18n.using("da"):
        assert i18n.time(WINTER, "America/New_York") == "13.30"
        assert i18n.time(WINTER, "Asia/Tokyo") == "03.30"
        assert i18n.date(WINTER, "Asia/Tokyo") == "24. nov. 2026"  # already the next day there
        # A naive time (as some database drivers hand them back) is UTC, never the server's local time.
        assert i18n.time(WINTER.replace(tzinfo=None), "Europe/Copenhagen") == "19.30"


@pytest.mark.parametrize(("lang", "expected"), [("da", "1.234 noter"), ("en", "1,234 notes")])
def test_a_plural_count_in_a_template_is_grouped(lang: str, expected: str) -> None:
    template = ENV.from_string('{{ ngettext("%(num)s note", "%(num)s notes", n) }}')
    with i18n.using(lang):
        assert template.render(n=1234) == expected


@pytest.mark.parametrize(
    ("lang", "median", "expected"),
    [
        ("da", 1, "Mediantid fra rejst til lukket: 1 dag."),
        ("da", 2.5, "Mediantid fra rejst til lukket: 2,5 dage."),
        ("en", 1, "Median time from raised to closed: 1 day."),
        ("en", 1234, "Median time from raised to closed: 1,234 days."),
    ],
)
def test_the_median_time_to_close_in_words(lang: str, median: float, expected: str) -> None:
    with i18n.using(lang):
        page = render("series_log/_counts.html", counts={}, statuses=[], status=None, page_path="/s", median=median)
    assert expected in text(page)


@pytest.mark.parametrize(("lang", "expected"), [("da", "1.001/1.234"), ("en", "1,001/1,234")])
def test_a_headcount_is_grouped(lang: str, expected: str) -> None:
    cell = SimpleNamespace(present=1001, full=False, room=SimpleNamespace(capacity=1234), session=SimpleNamespace(id=7))
    with i18n.using(lang):
        assert expected in text(render("_count.html", cell=cell, oob=False)).replace(" ", "")


# --- on the running app ----------------------------------------------------------------------------------------


def meeting_page(server: LiveServer, timezone: str) -> dict[str, str]:
    """A series whose coming meeting starts at a fixed UTC time; its page in Danish and in English."""
    with server.database.write() as db:
        made = Series(slug="tidspunkt", title="Prøve", timezone=timezone)
        db.add(made)
        db.flush()
        meeting = series_domain.schedule(db, made, {"starts": "2030-11-25T19:30"})
        item = items.propose(db, made, None, {"title": "Et punkt", "channel": "digital"})
        item.created_at = WINTER
        db.add(item)
        db.flush()
        db.get(Meeting, meeting.id).starts = datetime(2030, 11, 25, 18, 30, tzinfo=UTC)  # type: ignore[union-attr]
    client = server.client(lang=None)
    pages = {}
    for lang in ("da", "en"):
        response = client.get(f"/s/tidspunkt?lang={lang}")
        assert response.status_code == 200, response.text
        pages[lang] = response.text
    return pages


def test_a_meeting_shows_in_the_language_and_the_series_time_zone(server: LiveServer) -> None:
    pages = meeting_page(server, "Europe/Copenhagen")
    assert "mandag den 25. november 2030, kl. 19.30" in text(pages["da"])
    assert "Monday, 25 November 2030, at 19:30" in text(pages["en"])
    for page in pages.values():
        assert 'datetime="2030-11-25T18:30:00+00:00"' in page  # the machine value stays ISO, in UTC


def test_another_time_zone_shows_another_hour(server: LiveServer) -> None:
    pages = meeting_page(server, "America/New_York")
    assert "mandag den 25. november 2030, kl. 13.30" in text(pages["da"])
    assert "Monday, 25 November 2030, at 13:30" in text(pages["en"])


def test_the_log_shows_days_in_the_language(server: LiveServer) -> None:
    meeting_page(server, "Europe/Copenhagen")
    client = server.client(lang=None)
    assert "Rejst 23. nov. 2026" in text(client.get("/s/tidspunkt/log?lang=da").text)
    assert "Raised 23 Nov 2026" in text(client.get("/s/tidspunkt/log?lang=en").text)
    markdown = client.get("/s/tidspunkt/log.md?lang=da").text
    assert "23. nov. 2026" in markdown


@pytest.mark.parametrize(
    ("timezone", "da", "en"),
    [("Europe/Copenhagen", "19.30–20.10", "19:30–20:10"), ("America/New_York", "13.30–14.10", "13:30–14:10")],
)
def test_the_event_s_time_zone_sets_the_round_hours(server: LiveServer, timezone: str, da: str, en: str) -> None:
    with server.database.write() as db:
        event = db.get(Event, server.event().id)
        round_ = db.get(Round, server.round(1).id)
        assert event is not None and round_ is not None
        event.timezone = timezone
        event.version += 1
        round_.starts, round_.ends = WINTER, WINTER + timedelta(minutes=40)
    client = server.client(lang=None)
    assert f"Runde 1 {da}" in text(client.get("/e/demo?lang=da").text)
    assert f"Runde 1 {en}" in text(client.get("/e/demo?lang=en").text)


@pytest.mark.parametrize(
    ("timezone", "lang", "shown"),
    [
        ("Europe/Copenhagen", "da", "Danmark-tid"),
        ("Europe/Copenhagen", "en", "Denmark Time"),
        ("America/New_York", "en", "United States (New York) Time"),
        ("UTC", "da", "UTC"),
    ],
)
def test_the_host_reads_the_time_zone_as_a_place_not_a_database_name(timezone: str, lang: str, shown: str) -> None:
    with i18n.using(lang):
        assert i18n.zone(timezone) == shown


def test_the_host_console_names_the_event_s_time_zone_in_the_language(server: LiveServer) -> None:
    host = server.client(host=True, lang=None)
    danish, english = (text(host.get(f"/e/demo/host?lang={lang}").text) for lang in ("da", "en"))
    assert "Alle tidspunkter er i Danmark-tid." in danish
    assert "All times are Denmark Time." in english
    assert 'title="Europe/Copenhagen"' in host.get("/e/demo/host?lang=en").text  # the exact zone, on demand


@pytest.mark.parametrize(("lang", "expected"), [("da", "1.234"), ("en", "1,234")])
def test_counts_of_a_thousand_and_more_are_grouped_on_the_pages(server: LiveServer, lang: str, expected: str) -> None:
    with server.database.write() as db:
        room = db.get(Room, server.room("Caféen").id)
        assert room is not None
        room.capacity = 1234
    slot = server.slot(1, "Caféen")
    host = server.client(host=True, lang=None)
    assert f"({expected})" in text(host.get(f"/e/demo/host?lang={lang}").text)
    participant = server.client(lang=None)
    page = text(participant.get(f"/e/demo/sessions/{slot.id}?lang={lang}").text)
    assert f"{'af' if lang == 'da' else 'of'} {expected}" in page
