"""The hosts' home in a real browser: an organiser makes an event from the "New event" form (the address suggested
from a Danish title by static/js/slug.js), lands on its console with the checklist, and axe-core finds nothing
serious on the home, the copy page or the new console, in Danish and in English. The home reads on a 320 px
phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import axe
from tests.browser.harness import DESK, Pages, expect
from tests.conftest import HOST_PASSWORD, LiveServer

pytestmark = pytest.mark.browser

TITLE = "Fremtidens Ældrepleje i Århus"
SLUG = "fremtidens-aeldrepleje-i-aarhus"


def log_in(page: Any, server: LiveServer, lang: str) -> None:
    page.goto(f"{server.url}/host/login?next=/host&lang={lang}")
    page.fill("#password", HOST_PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/host$"))


def no_serious_violations(page: Any, where: str) -> None:
    found = axe.violations(page)
    assert not found, axe.report(where, found)


def test_an_organiser_makes_an_event_in_the_browser(server: LiveServer, pages: Pages) -> None:
    page = pages.open("organiser", DESK)
    log_in(page, server, "da")
    no_serious_violations(page, "/host (da)")

    page.fill("#new-event-title", TITLE)
    expect(page.locator("#new-event-slug")).to_have_value(SLUG)
    page.fill("#new-event-title", TITLE + " 2031")  # still the suggestion: the organiser has not typed one
    expect(page.locator("#new-event-slug")).to_have_value(SLUG + "-2031")
    page.fill("#new-event-slug", SLUG)  # typed: theirs from now on
    page.fill("#new-event-title", TITLE)
    page.press("#new-event-title", "End")
    page.keyboard.type("!")
    expect(page.locator("#new-event-slug")).to_have_value(SLUG)
    page.fill("#new-event-starts", "2031-11-05T18:00")
    expect(page.locator("#new-event-timezone")).to_have_value("Europe/Copenhagen")
    page.fill("#new-event-place", "Rådhushallen")
    page.click("#new-event button[type=submit]")
    page.wait_for_url(re.compile(rf"/e/{SLUG}/host$"))

    checklist = page.locator("#checklist")
    expect(checklist).to_be_visible()
    for href in ("#rooms", "#rounds", "#event", f"/e/{SLUG}/print/doors"):
        expect(checklist.locator(f'a[href="{href}"]')).to_have_count(1)
    assert server.event(SLUG).title == TITLE + "!"
    no_serious_violations(page, f"/e/{SLUG}/host (da)")
    page.goto(f"{server.url}/e/{SLUG}/host?lang=en")
    expect(page.locator("#checklist h2")).to_have_text("Before the evening")
    no_serious_violations(page, f"/e/{SLUG}/host (en)")
    page.goto(f"{server.url}/host?lang=en")
    expect(page.locator(f"#events-upcoming #event-{SLUG}")).to_be_visible()
    no_serious_violations(page, "/host (en)")
    assert pages.errors() == []


def test_the_home_and_the_copy_page_read_on_a_small_phone(server: LiveServer, pages: Pages) -> None:
    page = pages.open("phone", {"width": 320, "height": 640})
    log_in(page, server, "da")
    page.locator("#event-demo details.copy-event summary").click()  # an open copy form must fit too
    widths = page.evaluate("({page: document.documentElement.scrollWidth, view: window.innerWidth})")
    assert widths["page"] <= widths["view"], f"the hosts' home scrolls sideways at 320 px: {widths}"
    # The copy form's own page (where a refused copy comes back), in both languages.
    for lang in ("da", "en"):
        page.goto(f"{server.url}/host/events/demo/copy?lang={lang}")
        page.fill("#copy-title", "Velfærd på Ærø")
        expect(page.locator("#copy-slug")).to_have_value("velfaerd-paa-aeroe")
        no_serious_violations(page, f"/host/events/demo/copy ({lang})")
    assert pages.errors() == []
