"""Paper in a real browser: the door posters and the programme printed to PDF by Debian's Chromium, read back
with pypdf; axe-core on the room page and both print pages; the room page following the evening live.

One poster is one page: as many pages as rooms, each with its room's name and every one of its sessions, and no
other room's name, even for a room with six rounds of 80-character titles under a 60-character name.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest

from liveboard.models import Pitch, Room, Round
from liveboard.models import Session as Slot
from tests.browser import axe
from tests.browser.harness import DESK, PHONE, SHORT, Pages, expect, live
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

#: A4 in PostScript points, as Chromium writes the page boxes (to within a point).
A4 = (595.3, 841.9)
LONG_ROOM = "Det store mødelokale på første sal ved siden af kantinen B12"
LONG_LOCATION = "1. sal, gang B, dør 114 – følg skiltene fra elevatoren og gå forbi kantinen til venstre"


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_pages(page: Any, path: str) -> list[tuple[str, tuple[float, float]]]:
    """The pages of `path` printed to PDF as the print dialogue would (the stylesheet's @page sizes): each page's
    text, whitespace folded, and its size in points."""
    from pypdf import PdfReader

    page.goto(path)
    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    return [(words(p.extract_text()), (float(p.mediabox.width), float(p.mediabox.height))) for p in reader.pages]


def a4(size: tuple[float, float], landscape: bool = False) -> bool:
    want = A4[::-1] if landscape else A4
    return all(abs(got - exp) < 2 for got, exp in zip(size, want, strict=True))


def sessions_by_room(server: LiveServer) -> dict[str, list[str]]:
    rooms = {r.id: r.name for r in server.rows(Room)}
    found: dict[str, list[str]] = {name: [] for name in rooms.values()}
    for slot in server.rows(Slot):
        found[rooms[slot.room_id]].append(server.get(Pitch, slot.pitch_id).title)
    return found


def rooms_in_order(server: LiveServer) -> list[str]:
    return [r.name for r in sorted(server.rows(Room), key=lambda r: (r.position, r.id))]


def crowd_a_room(server: LiveServer) -> str:
    """A room with the longest name a room can have, a long location, and a session in each of six rounds, each
    with an 80-character title: what must still fit one A4 sheet."""
    host = server.client(host=True)
    last = max(r.ends for r in server.rows(Round))
    for number in (4, 5, 6):
        starts = last + timedelta(minutes=10 + (number - 4) * 50)
        ends = starts + timedelta(minutes=40)
        data = {"label": f"Runde {number}", "starts": starts.isoformat(), "ends": ends.isoformat()}
        assert host.post("/e/demo/host/rounds", data=data).status_code == 303
    name = LONG_ROOM[:60]
    made = host.post("/e/demo/host/rooms", data={"name": name, "capacity": "30", "location": LONG_LOCATION[:120]})
    assert made.status_code == 303
    room = server.rows(Room, Room.name == name)[0]
    for number, round_ in enumerate(sorted(server.rows(Round), key=lambda r: r.starts), start=1):
        title = f"{number}: Hvordan får sundhedsplejersken, skolen og familien talt sammen i tide, inden?"[:80]
        assert len(title) == 80
        assert host.post("/e/demo/host/pitches", data={"title": title}).status_code == 303
        pitch = server.rows(Pitch, Pitch.title == title)[0]
        data = {"pitch_id": str(pitch.id), "room_id": str(room.id), "round_id": str(round_.id)}
        assert host.post("/e/demo/host/sessions", data=data).status_code == 303
    return name


def check_posters(server: LiveServer, printed: list[tuple[str, tuple[float, float]]]) -> None:
    order = rooms_in_order(server)
    assert len(printed) == len(order), f"{len(printed)} pages for {len(order)} rooms"
    titles = sessions_by_room(server)
    for (text, size), name in zip(printed, order, strict=True):
        assert a4(size), (name, size)
        assert words(name) in text, f"the poster of {name} does not name it"
        for title in titles[name]:
            assert words(title) in text, f"the poster of {name} lacks {title!r}"
        for other in order:
            if other != name and other not in name:
                assert words(other) not in text, f"the poster of {name} names {other}"


# --- printed to PDF ------------------------------------------------------------------------------------------


def test_door_posters_print_one_page_per_room(server: LiveServer, pages: Pages) -> None:
    page = pages.open("doors", DESK)
    check_posters(server, pdf_pages(page, f"{server.url}/e/demo/print/doors?lang=en"))
    assert pages.errors() == []


def test_a_crowded_room_still_prints_on_one_page(server: LiveServer, pages: Pages) -> None:
    name = crowd_a_room(server)
    page = pages.open("doors", DESK)
    printed = pdf_pages(page, f"{server.url}/e/demo/print/doors?lang=en")
    check_posters(server, printed)
    assert len(sessions_by_room(server)[name]) == 6
    # Nothing cut off on paper: every poster's sessions fit their box, and every sheet is one page tall.
    page.emulate_media(media="print")
    cut = page.evaluate(
        """() => [...document.querySelectorAll('.poster')].flatMap(p => {
             const list = p.querySelector('.poster-sessions');
             const out = [];
             if (list && list.scrollHeight > list.clientHeight + 1) out.push(p.querySelector('h2').textContent);
             if (p.scrollHeight > p.clientHeight + 1) out.push(p.querySelector('h2').textContent + ' (sheet)');
             return out; })"""
    )
    assert cut == []
    # The programme of all that still takes one sheet.
    programme = pdf_pages(page, f"{server.url}/e/demo/print/programme?lang=en")
    assert len(programme) == 1
    assert all(words(t) in programme[0][0] for t in sessions_by_room(server)[name])


def test_the_programme_prints_on_one_page(server: LiveServer, pages: Pages) -> None:
    page = pages.open("programme", DESK)
    printed = pdf_pages(page, f"{server.url}/e/demo/print/programme?lang=en")
    assert len(printed) == 1
    text, size = printed[0]
    assert a4(size) or a4(size, landscape=True)
    assert words(server.event().title) in text
    for name, titles in sessions_by_room(server).items():
        assert words(name) in text
        for title in titles:
            assert words(title) in text
    # The address under the code, broken (if at all) only after a "/".
    assert re.search(r"127\.0\.0\.1:\d+/ ?e/ ?demo", text), text


def test_on_screen_the_print_button_prints_and_the_sheets_are_previewed(server: LiveServer, pages: Pages) -> None:
    page = pages.open("doors", DESK)
    page.goto(f"{server.url}/e/demo/print/doors?lang=en")
    button = page.locator("#print-button")
    expect(button).to_be_visible()
    # window.print() is replaced for the test: the dialogue would block the page.
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    button.click()
    assert page.evaluate("window.__printed") == 1
    sheet = page.locator(".sheet").first.bounding_box()
    assert sheet and abs(sheet["height"] / sheet["width"] - 297 / 210) < 0.01  # an A4 sheet
    page.emulate_media(media="print")
    for selector in ("header.top", ".print-intro", "#print-button"):
        assert not page.locator(selector).first.is_visible(), selector
    assert pages.errors() == []


# --- the room page, live ------------------------------------------------------------------------------------


def test_the_room_page_follows_the_counts_and_im_here_counts_me(server: LiveServer, pages: Pages) -> None:
    slot = server.slot(1, "Lokale 1")
    room = server.get(Room, slot.room_id)
    page = pages.open("room", PHONE)
    page.goto(f"{server.url}/e/demo/rooms/{room.id}?lang=en")
    live(page)
    count = page.locator(f"#present-{slot.id}")
    before = server.present(slot)
    expect(count).to_have_text(f"{before} of {room.capacity} places taken")
    # Someone else at the door: the count moves without a reload.
    assert server.client().post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    expect(count).to_have_text(f"{before + 1} of {room.capacity} places taken", timeout=SHORT)
    page.evaluate("window.__marker = 1")
    page.locator("form.im-here button").click()
    expect(page.locator(".room-session .mine-label")).to_be_visible(timeout=SHORT)
    expect(count).to_have_text(f"{before + 2} of {room.capacity} places taken", timeout=SHORT)
    expect(page.locator("#my-evening")).to_contain_text(server.get(Pitch, slot.pitch_id).title)
    expect(page.locator("form.im-here")).to_be_hidden()
    # A host places a session in this room later on: the room's programme fetches itself again.
    host = server.client(host=True)
    pitch = server.pitch("paedagogik")
    data = {"pitch_id": str(pitch.id), "room_id": str(room.id), "round_id": str(server.round(3).id)}
    assert host.post("/e/demo/host/sessions", data=data).status_code == 303
    expect(page.locator(".room-later")).to_contain_text(pitch.title, timeout=SHORT)
    expect(page.locator(".room-session .mine-label")).to_be_visible()  # still counted in, after the refresh
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    assert pages.errors() == []


def test_the_room_page_works_without_javascript(server: LiveServer, pages: Pages) -> None:
    slot = server.slot(1, "Lokale 2")
    room = server.get(Room, slot.room_id)
    page = pages.open("room-nojs", PHONE, java_script_enabled=False)
    page.goto(f"{server.url}/e/demo/rooms/{room.id}?lang=en")
    before = server.present(slot)
    page.locator("form.im-here button").click()
    page.wait_for_url(re.compile(rf"/e/demo/rooms/{room.id}\?lang=en$"))  # back where it was pressed
    expect(page.locator(".room-session .mine-label")).to_be_visible()
    assert server.present(slot) == before + 1


# --- axe-core -----------------------------------------------------------------------------------------------


def test_axe_finds_nothing_serious_on_the_room_page_and_the_paper(server: LiveServer, pages: Pages) -> None:
    full = server.slot(1, "Caféen")
    paths = {
        "room now": f"/e/demo/rooms/{server.room('Store sal').id}",
        "room full": f"/e/demo/rooms/{full.room_id}",
        "door posters": "/e/demo/print/doors",
        "programme": "/e/demo/print/programme",
    }
    tabs = {lang: pages.open(f"axe-{lang}", PHONE) for lang in ("da", "en")}
    found = []
    for name, path in paths.items():
        for lang, tab in tabs.items():
            tab.set_viewport_size(DESK if name in ("door posters", "programme") else PHONE)
            tab.goto(f"{server.url}{path}?lang={lang}")
            axe.start(tab)
        for lang, tab in tabs.items():
            assert tab.evaluate("document.documentElement.lang") == lang
            if report := axe.report(f"{name} [{lang}]", axe.result(tab)):
                found.append(report)
    # After "I'm here": the note form of the session is on the room page.
    for tab in tabs.values():
        tab.goto(f"{server.url}{paths['room now']}")
        tab.locator("form.im-here button").click()
        tab.wait_for_selector("#note-form")
        axe.start(tab)
    for lang, tab in tabs.items():
        if report := axe.report(f"room after I'm here [{lang}]", axe.result(tab)):
            found.append(report)
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)
    assert pages.errors() == []
