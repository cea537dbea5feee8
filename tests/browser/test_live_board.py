"""Live updates in a real browser: Debian's Chromium driven by Playwright, against the real server.

A wall screen, a phone and a host console, each in a browser context of its own, as three people would have
them. The screen follows what the phone and the host do without a reload; the phone keeps its own marks
when shared fragments replace its board; a screen heals by itself after the server restarts.

"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.models import Pitch
from tests.browser.harness import (
    DESK,
    PHONE,
    SCREEN,
    SHORT,
    Pages,
    RunPy,
    assert_not_reloaded,
    expect,
    free_port,
    live,
    log_in,
    mark_not_reloaded,
    present,
    screenshot,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

# --- A: the screen follows the phone and the host -------------------------------------------------------------


def test_the_wall_screen_follows_a_pitch_an_approval_and_a_join_without_reload(
    server: LiveServer, pages: Pages
) -> None:
    title = 'Bænke & <læ> ved "stoppestedet"'
    screen = pages.open("screen", SCREEN)
    screen.goto(f"{server.url}/e/demo/screen?lang=en")
    live(screen)
    mark_not_reloaded(screen)

    phone = pages.open("phone", PHONE)
    phone.goto(f"{server.url}/e/demo?lang=en")
    live(phone)
    mark_not_reloaded(phone)
    phone.fill("#pitch-title", title)
    phone.fill("#pitch-story", "Man står længe i regnvejr.")
    phone.click("#pitch-form button[type=submit]")
    expect(phone.locator("#pitch-form .ok")).to_be_visible()
    pitch = max(server.rows(Pitch), key=lambda p: p.id)
    assert pitch.title == title and pitch.status == "pending"

    host = pages.open("host", DESK)
    log_in(host, server.url)
    live(host)
    # The console got the pending pitch live too (it was submitted after the console... or before; either way).
    approve = host.locator(f"#host-pitch-{pitch.id} form[action$='/approve'] button")
    expect(approve).to_be_visible()
    approve.click()
    expect(host.locator(f"#host-pitch-{pitch.id} form[action$='/approve']")).to_have_count(0)

    # The title shows as text, exactly as typed: escaped on the wire, not markup in the page.
    expect(screen.locator("#screen-pitches")).to_contain_text(title, timeout=SHORT)
    expect(phone.locator(f"#pitches #pitch-{pitch.id} h3")).to_have_text(title, timeout=SHORT)
    assert screen.locator("#screen-pitches læ").count() == 0

    # The phone joins a session: the screen's count moves to the exact new value.
    slot = server.slot(1, "Store sal")
    phone.click(f"#session-{slot.id} form.join button")
    expect(phone.locator(f"li#session-{slot.id}")).to_have_class(re.compile(r"\bmine\b"))
    exact = present(server.url, slot.id)
    assert exact == server.present(slot)
    expect(screen.locator(f"#count-{slot.id}")).to_contain_text(f"{exact}/", timeout=SHORT)
    expect(phone.locator(f"#present-{slot.id}")).to_have_text(re.compile(rf"^{exact} of "), timeout=SHORT)

    assert_not_reloaded(screen)
    assert_not_reloaded(phone)
    screenshot(screen, "screen")
    screenshot(phone, "phone", full_page=True)
    screenshot(host, "host", full_page=True)
    assert pages.errors() == []


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
    expect(phone.locator(f"#present-{slot.id}")).to_have_text(f"{exact} of {room.capacity}", timeout=SHORT)
    expect(mine).to_have_class(re.compile(r"\bmine\b"))

    # The host changes the room: the whole board arrives as a shared fragment (no marks in it), and the page
    # puts this person's marks back.
    edited = host.post(
        f"/e/demo/host/rooms/{room.id}", data={"name": room.name, "capacity": "41", "location": room.location}
    )
    assert edited.status_code == 303, edited.text
    expect(phone.locator(f"#present-{slot.id}")).to_have_text(f"{exact} of 41", timeout=SHORT)
    expect(mine).to_have_class(re.compile(r"\bmine\b"))
    assert phone.locator("li.session.mine").count() == 1
    assert_not_reloaded(phone)
    screenshot(phone, "phone-marks", full_page=True)
    assert pages.errors() == []


# --- B: a screen heals after the server restarts ---------------------------------------------------------------


def test_the_wall_screen_heals_after_the_server_restarts(tmp_path: Path, demo_file: Path, pages: Pages) -> None:
    db_path = tmp_path / "liveboard.db"
    shutil.copyfile(demo_file, db_path)
    port = free_port()
    server = RunPy(db_path, port)
    try:
        screen = pages.open("screen", SCREEN)
        screen.goto(f"{server.url}/e/demo/screen?lang=en")
        live(screen)
        mark_not_reloaded(screen)
        expect(screen.locator("#live-status")).to_be_hidden()

        server.stop()
        expect(screen.locator("#live-status")).to_be_visible(timeout=SHORT * 2)

        server = RunPy(db_path, port)
        participant = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=SHORT / 1000)
        with participant:
            snapshot = participant.get("/api/events/demo").json()
            session = next(s for s in snapshot["sessions"] if s["present"] == 0)
            joined = participant.post(f"/e/demo/sessions/{session['id']}/join")
            assert joined.status_code == 303, joined.text
        exact = present(server.url, session["id"])
        assert exact == 1

        # hx-ws reconnects with backoff from 500 ms; the page asks for what it missed and shows the exact count.
        expect(screen.locator(f"#count-{session['id']}")).to_contain_text(f"{exact}/", timeout=15000)
        expect(screen.locator("#live-status")).to_be_hidden()
        live(screen, times=2)
        assert_not_reloaded(screen)
        screenshot(screen, "screen-after-restart")

        # As `python run.py` serves it: no permessage-deflate, whatever the client offers.
        ws_url = server.url.replace("http://", "ws://") + "/e/demo/ws?view=screen"
        with connect(ws_url, origin=Origin(server.url), compression="deflate", open_timeout=SHORT / 1000) as ws:
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
            assert ws.protocol.extensions == []

        # While the server was away, the browser said so (refused connections); nothing else went wrong.
        outage = re.compile(
            r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/e/demo/ws\?[^']*' failed|htmx: htmx:ws:error: "
        )
        assert pages.errors(allowed=outage) == []
    finally:
        server.stop()
