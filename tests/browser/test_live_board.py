"""Live updates on a phone in a real browser: Debian's Chromium driven by Playwright, against the real server.

An approved pitch the host edits stays one item on the phone, and the phone keeps its own marks when shared
fragments replace its board. The whole evening (screen, phone and host together, offline and across a server
restart, and without JavaScript) is in test_evening.py.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.harness import (
    PHONE,
    SHORT,
    Pages,
    assert_not_reloaded,
    expect,
    live,
    mark_not_reloaded,
    present,
    screenshot,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

# --- the phone follows the host ---------------------------------------------------------------------------------


def test_an_approved_pitch_edited_by_the_host_stays_one_item_on_the_phone(
    server: LiveServer, pages: Pages, host: httpx.Client
) -> None:
    pitch = server.pitch("paedagogik")
    assert pitch.status == "approved"
    phone = pages.open("phone", PHONE)
    phone.goto(f"{server.url}/e/demo?lang=en")
    live(phone)
    mark_not_reloaded(phone)
    item = phone.locator(f"li#pitch-{pitch.id}")
    expect(item).to_have_count(1)
    edited = host.post(
        f"/e/demo/host/pitches/{pitch.id}/edit", data={"title": "Ny pædagogik i vuggestuen", "story": "Rettet."}
    )
    assert edited.status_code == 303, edited.text
    expect(phone.locator("#pitches")).to_contain_text("Ny pædagogik i vuggestuen", timeout=SHORT)
    assert_not_reloaded(phone)
    assert pages.errors() == []
    assert item.count() == 1, [text.strip()[:40] for text in item.all_inner_texts()]
    expect(item.locator("h3")).to_have_text("Ny pædagogik i vuggestuen")


# --- C: the phone's own marks survive shared fragments ----------------------------------------------------------


def test_the_phone_keeps_its_marks_when_live_frames_replace_its_board(
    server: LiveServer, pages: Pages, host: httpx.Client
) -> None:
    slot = server.slot(1, "Lokale 1")
    room = server.room("Lokale 1")
    phone = pages.open("phone", PHONE)
    phone.goto(f"{server.url}/e/demo?lang=en")
    live(phone)
    mark_not_reloaded(phone)
    mine = phone.locator(f"li#session-{slot.id}")
    expect(mine).not_to_have_class(re.compile(r"\bmine\b"))

    phone.click(f"#session-{slot.id} form.join button")
    expect(mine).to_have_class(re.compile(r"\bmine\b"))

    # Someone else joins: a live frame moves this session's count; it is still mine.
    other = server.client()
    assert other.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    exact = present(server.url, slot.id)
    expect(phone.locator(f"#present-{slot.id}")).to_have_text(f"{exact} of {room.capacity} places taken", timeout=SHORT)
    expect(mine).to_have_class(re.compile(r"\bmine\b"))

    # The host changes the room: the whole board arrives as a shared fragment (no marks in it), and the page
    # puts this person's marks back.
    edited = host.post(
        f"/e/demo/host/rooms/{room.id}", data={"name": room.name, "capacity": "41", "location": room.location}
    )
    assert edited.status_code == 303, edited.text
    expect(phone.locator(f"#present-{slot.id}")).to_have_text(f"{exact} of 41 places taken", timeout=SHORT)
    expect(mine).to_have_class(re.compile(r"\bmine\b"))
    assert phone.locator("li.session.mine").count() == 1
    assert_not_reloaded(phone)
    screenshot(phone, "phone-marks", full_page=True)
    assert pages.errors() == []
