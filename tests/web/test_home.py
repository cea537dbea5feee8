"""The hosts' home, `/host` (`liveboard/web/views/home.py`): events running now, upcoming and past with their dates
in their own time zones and links to their pages, the dialogue series with their next meeting, who is logged in,
and for organisers the "New event" form, a copy form on every event and the accounts link."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import LiveServer

from liveboard.domain import setup
from liveboard.models import Series

LINKS = ("host", "", "screen", "report", "print/doors", "print/programme")


@pytest.fixture
def mette(server: LiveServer) -> httpx.Client:
    server.add_account("mette", "host", name="Mette Hansen")
    return server.client(account="mette")


def make(server: LiveServer, slug: str, **fields: object) -> None:
    with server.database.write() as db:
        setup.make(db, setup.EventData(slug=slug, title=str(fields.pop("title", slug.title())), **fields))  # type: ignore[arg-type]


def group(page: str, name: str) -> str:
    found = re.search(rf'<section[^>]*\bid="events-{name}".*?</section>', page, re.S)
    assert found, name
    return found.group(0)


def test_nobody_is_sent_to_the_login_form(server: LiveServer) -> None:
    response = server.client().get("/host")
    assert (response.status_code, response.headers["location"]) == (303, "/host/login?next=/host")


def test_events_are_grouped_running_upcoming_past(server: LiveServer, host: httpx.Client) -> None:
    now = datetime.now(UTC)
    make(server, "naeste-uge", starts=now + timedelta(days=7))
    make(server, "uden-dato")
    make(server, "sidste-aar", starts=now - timedelta(days=365))
    make(server, "afsluttet", starts=now - timedelta(hours=1), phase="ended")
    page = host.get("/host").text
    assert 'id="event-demo"' in group(page, "running")  # the demo's rounds run now
    upcoming = group(page, "upcoming")
    assert upcoming.index('id="event-naeste-uge"') < upcoming.index('id="event-uden-dato"')  # undated come last
    assert "No date yet" in upcoming
    past = group(page, "past")
    assert past.index('id="event-afsluttet"') < past.index('id="event-sidste-aar"')  # newest first
    for slug in ("demo", "naeste-uge", "uden-dato", "sidste-aar", "afsluttet"):
        assert page.count(f'id="event-{slug}"') == 1


def test_each_event_has_its_date_in_its_own_time_zone_its_phase_and_its_pages(
    server: LiveServer, host: httpx.Client
) -> None:
    starts = datetime(2031, 11, 6, 18, 0, tzinfo=UTC)  # 16:00 on Greenland's clock (UTC−2 in winter)
    make(server, "nuuk", title="Borgermøde i Nuuk", starts=starts, timezone="America/Nuuk", venue="Katuaq")
    page = host.get("/host").text
    line = re.search(r'<li class="event-line" id="event-nuuk">.*?</li>\s*</ul>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "Thursday, 6 November 2031, 16:00" in line
    assert "Greenland" in line and "Katuaq" in line and "Setting up" in line
    for link in LINKS:
        assert f'href="/e/nuuk{"/" + link if link else ""}"' in line, link
    danish = server.client(lang="da", host=True).get("/host").text
    assert "torsdag den 6. november 2031, 16.00" in danish
    assert "Forberedelse" in danish


def test_an_organiser_sees_the_forms_and_the_accounts_link(server: LiveServer, host: httpx.Client) -> None:
    page = host.get("/host").text
    assert "Logged in as" in page and 'action="/host/logout"' in page
    assert 'action="/host/events"' in page and 'id="new-event"' in page
    assert 'href="/host/accounts"' in page
    assert 'action="/host/events/demo/copy"' in page
    assert 'action="/host/series"' in page
    assert re.search(r'<script src="/static/js/slug\.js\?v=[0-9a-f]{12}" defer></script>', page)
    # The slug field is required without JavaScript, and the zone defaults to Copenhagen.
    slug = re.search(r'<input id="new-event-slug"[^>]*>', page).group(0)  # type: ignore[union-attr]
    assert "required" in slug and 'data-slug-from="new-event-title"' in slug
    assert re.search(r'<option value="Europe/Copenhagen" selected>', page)


def test_a_host_sees_the_events_but_no_organiser_forms(server: LiveServer, mette: httpx.Client) -> None:
    page = mette.get("/host").text
    assert "Logged in as Mette Hansen" in html.unescape(page)
    assert 'id="event-demo"' in page and 'href="/e/demo/host"' in page
    for organisers_only in ('action="/host/events"', "/copy", 'href="/host/accounts"', 'action="/host/series"'):
        assert organisers_only not in page, organisers_only
    assert "slug.js" not in page


def test_series_show_their_next_meeting(server: LiveServer, host: httpx.Client) -> None:
    page = host.get("/host").text
    for series in server.rows(Series):
        line = re.search(rf'<li class="event-line" id="series-{series.slug}">.*?</li>\s*</ul>', page, re.S)
        assert line, series.slug
        assert "Next meeting:" in line.group(0) and f'href="/s/{series.slug}/host"' in line.group(0)


def test_the_page_has_one_h1_and_a_main(host: httpx.Client) -> None:
    page = host.get("/host").text
    assert page.count("<h1") == 1 and '<main id="main"' in page
