"""Two hosts at two laptops, in a real browser: their consoles follow each other without wiping what one is typing.

Host A (the admin) and host B (an account of their own) each have a browser context of their own ("two laptops",
1280×900). A starts typing into a form and leaves the caret in it; B acts meanwhile in the other context; A sees B's
change appear without a reload, with A's half-typed text, focus and caret where they were; then A saves, and B sees
it. Once for the series organiser's console, once for the event's host console. Every wait is bounded.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from liveboard.domain import items
from liveboard.models import Room, Series
from tests.browser.harness import DESK, Pages, assert_not_reloaded, expect, live, mark_not_reloaded, screenshot
from tests.conftest import ACCOUNT_PASSWORD, HOST_PASSWORD, LiveServer
from tests.live.test_series_live import SLUG, create_series

pytestmark = pytest.mark.browser


def laptop(pages: Pages, server: LiveServer, name: str, username: str, password: str, console: str) -> Any:
    """A browser context of its own, logged in as `username`, on `console`, with its live connection open."""
    page = pages.open(name, DESK)
    page.goto(f"{server.url}/host/login?next={console}&lang=en")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(re.escape(console) + "$"))
    live(page)
    mark_not_reloaded(page)
    return page


def typing_state(page: Any) -> dict[str, Any]:
    """The field that has the focus, what it holds, and where its caret is."""
    return page.evaluate(
        "() => { const f = document.activeElement;"
        " return {id: f && f.id, value: f && f.value, start: f && f.selectionStart, end: f && f.selectionEnd}; }"
    )


def type_half(page: Any, selector: str, text: str, back: int) -> dict[str, Any]:
    """Type `text` into a field and move the caret `back` characters to the left: someone mid-sentence."""
    page.click(selector)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    for _ in range(back):
        page.keyboard.press("ArrowLeft")
    state = typing_state(page)
    assert state == {"id": selector.lstrip("#"), "value": text, "start": len(text) - back, "end": len(text) - back}
    return state


def test_two_organisers_follow_each_other_on_the_series_console(server: LiveServer, pages: Pages) -> None:
    made = create_series(server.app.state.db, SLUG)
    with server.app.state.db.write() as db:
        other = items.propose(db, db.get(Series, made.series_id), None, {"title": "Brev i e-Boks"}).id
    server.add_account("mette", "host", name="Mette")
    console = f"/s/{SLUG}/host"
    a = laptop(pages, server, "host A", "admin", HOST_PASSWORD, console)
    b = laptop(pages, server, "host B", "mette", ACCOUNT_PASSWORD, console)
    server.wait_live(2)

    # A opens the first item's follow-up and is half-way through writing what happened.
    a.click(f"#item-{made.item_id} .shost-followup > summary")
    a.select_option(f"#status-{made.item_id}", "forwarded")
    a.fill(f"#forwarded-{made.item_id}", "Udbetaling Danmark")
    written = "Vi har ringet til dem og venter på svar"
    before = type_half(a, f"#text-{made.item_id}", written, back=9)

    # Meanwhile B schedules a meeting and adds a step to the other item.
    b.fill("#new-meeting-starts", "2030-05-06T17:00")
    b.fill("#new-meeting-place", "Rådhuset, mødesal 2")
    b.click("#meetings form[action$='/host/meetings'] button[type=submit]")
    expect(b.locator("#meetings")).to_contain_text("Rådhuset, mødesal 2")
    b.click(f"#item-{other} .shost-followup > summary")
    b.fill(f"#text-{other}", "Sendt til Digitaliseringsstyrelsen")
    b.click(f"#item-{other} form.shost-step button[type=submit]")
    expect(b.locator(f"#item-{other} .shost-history")).to_contain_text("Sendt til Digitaliseringsstyrelsen")

    # A sees both without a reload, and is still where they were, mid-sentence.
    expect(a.locator("#meetings")).to_contain_text("Rådhuset, mødesal 2")
    expect(a.locator(f"#item-{other} .shost-history")).to_contain_text("Sendt til Digitaliseringsstyrelsen")
    assert typing_state(a) == before
    expect(a.locator(f"#status-{made.item_id}")).to_have_value("forwarded")
    expect(a.locator(f"#forwarded-{made.item_id}")).to_have_value("Udbetaling Danmark")
    expect(a.locator(f"#item-{made.item_id} .shost-followup")).to_have_attribute("open", "")
    assert_not_reloaded(a)
    screenshot(a, "consoles-series-a")

    # A finishes the sentence and saves; the form empties, and B sees the step.
    a.keyboard.press("End")
    a.keyboard.type(" fra Ydelse.")
    a.click(f"#item-{made.item_id} form.shost-step button[type=submit]")
    history = f"{written} fra Ydelse."
    expect(a.locator(f"#item-{made.item_id} .shost-history")).to_contain_text(history)
    expect(a.locator(f"#text-{made.item_id}")).to_have_value("")
    expect(b.locator(f"#item-{made.item_id} .shost-history")).to_contain_text(history)
    expect(b.locator(f"#item-{made.item_id} .shost-history")).to_contain_text("Udbetaling Danmark")
    assert_not_reloaded(a)
    assert_not_reloaded(b)
    assert pages.errors() == []


def test_two_hosts_follow_each_other_on_the_event_console(server: LiveServer, pages: Pages) -> None:
    room, pitch = server.room("Lokale 4"), server.pitch("motion")
    assert pitch.status == "pending"
    server.add_account("mette", "host", name="Mette")
    console = "/e/demo/host"
    a = laptop(pages, server, "host A", "admin", HOST_PASSWORD, console)
    b = laptop(pages, server, "host B", "mette", ACCOUNT_PASSWORD, console)
    server.wait_live(2)

    # A is half-way through renaming a room.
    renamed = "Lokale 4 (det blå rum)"
    before = type_half(a, f"#room-name-{room.id}", renamed, back=10)

    # Meanwhile B adds another room and approves a pitch.
    b.fill("#new-room-name", "Lokale 7")
    b.fill("#new-room-capacity", "15")
    b.click("#rooms form[action$='/host/rooms'] button[type=submit]")
    expect(b.locator("#rooms input[value='Lokale 7']")).to_have_count(1)
    added = server.rows(Room, Room.name == "Lokale 7")[0]
    expect(b.locator("#new-room-name")).to_have_value("")
    b.click(f"#host-pitch-{pitch.id} form[action$='/approve'] button")
    expect(b.locator(f"#approved #host-pitch-{pitch.id}")).to_have_count(1)

    # A sees the new room (in the rooms and the grid) and the approved pitch, still mid-word in the rename.
    expect(a.locator(f"#room-name-{added.id}")).to_have_value("Lokale 7")
    expect(a.locator("#schedule")).to_contain_text("Lokale 7")
    expect(a.locator(f"#approved #host-pitch-{pitch.id}")).to_have_count(1)
    assert typing_state(a) == before
    expect(a.locator("#schedule")).not_to_contain_text(renamed)
    assert_not_reloaded(a)
    screenshot(a, "consoles-event-a")

    # A saves with Enter; B sees the new name in the rooms and the grid.
    a.keyboard.press("Enter")
    expect(a.locator("#schedule")).to_contain_text(renamed)
    expect(b.locator(f"#room-name-{room.id}")).to_have_value(renamed)
    expect(b.locator("#schedule")).to_contain_text(renamed)
    assert server.get(Room, room.id).name == renamed
    assert_not_reloaded(a)
    assert_not_reloaded(b)
    assert pages.errors() == []
