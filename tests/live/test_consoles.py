"""Consoles that follow each other: two hosts, each with their own account, at the same event or series.

Host A watches the live socket of their console (`?view=host`, in Danish); host B acts through the console's own
forms, as htmx sends them. A's socket must carry the console's sections that B's change touched, rendered as A's
page renders them (same templates, same language), within a second; a console that catches up gets all of it.
The series' phones and screens keep getting what they got before (tests/live/test_series_live.py) and nothing of
the console.
"""

from __future__ import annotations

import re
import time
from contextlib import ExitStack

import httpx
import pytest
from markupsafe import escape
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.domain import items
from liveboard.models import Item, Series
from tests.conftest import HX, LiveServer, out_of_band
from tests.live.test_series_live import SLUG, Fixture, create_series
from tests.live.test_series_live import watch as series_watch
from tests.live.test_websocket import WAIT, Watch, host_cookie

#: The contract: every change reaches every connected client within a second.
WITHIN = 1.0
#: The console's language in these tests: not the tests' usual English, so a frame in the wrong one shows.
LANG = "da"


# --- the two hosts -------------------------------------------------------------------------------------------------


@pytest.fixture
def host_a(server: LiveServer) -> httpx.Client:
    """Host A: the admin account (an organiser)."""
    return server.client(host=True, lang=LANG)


@pytest.fixture
def host_b(server: LiveServer) -> httpx.Client:
    """Host B: a colleague with a `host` account of their own."""
    server.add_account("mette", "host", name="Mette")
    return server.client(account="mette")


def console(stack: ExitStack, server: LiveServer, host: httpx.Client, path: str, v: int | None = None) -> Watch:
    """A's console socket: `/e/demo` or `/s/{series}`, the host view in Danish, at version `v`."""
    version = "" if v is None else str(v)
    url = server.url.replace("http://", "ws://") + f"{path}/ws?view=host&lang={LANG}&v={version}"
    ws = stack.enter_context(
        connect(url, origin=Origin(server.url), open_timeout=WAIT, additional_headers=host_cookie(host))
    )
    return Watch(ws, f"console of {path} (v={version})")


def watching(stack: ExitStack, server: LiveServer, host: httpx.Client, path: str) -> Watch:
    """`console`, once its page is there and the server counts it among its live clients: what B does next
    reaches it."""
    watch = console(stack, server, host, path)
    watch.until('<main id="main"')
    server.wait_live(1)
    return watch


def act(host: httpx.Client, path: str, data: dict[str, str] | None = None) -> tuple[int, float]:
    """B's console form sent as htmx sends it: the version it made, and when its answer came."""
    response = host.post(path, data=data or {}, headers=HX)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return int(response.headers["x-liveboard-version"]), time.monotonic()


def version_of(frame: str) -> int:
    found = re.search(r'id="lb-v"[^>]*data-v="(\d+)"', frame)
    return int(found.group(1)) if found else 0


def arrives(watch: Watch, version: int, since: float) -> str:
    """The frame of `version` (or a later one), which must come within a second of the action's answer."""
    frame = watch.until_true(lambda f: version_of(f) >= version)
    assert time.monotonic() - since <= WITHIN, f"the change took {time.monotonic() - since:.2f} s to arrive"
    return frame


def heading(page: str, heading_id: str) -> str:
    """The text of a heading of a page, up to any badge in it: what the console says in the page's language."""
    found = re.search(rf'<h2 id="{heading_id}">([^<]+)', page)
    assert found, heading_id
    return found.group(1).strip()


def page(server: LiveServer, host: httpx.Client, path: str, lang: str) -> str:
    """A host's console page in a language, fetched with their session alone (their own language stays as it is)."""
    cookies = {"lb_host": host.cookies["lb_host"], "lb_lang": lang}
    response = httpx.get(server.url + path, cookies=cookies, timeout=WAIT)
    assert response.status_code == 200, response.status_code
    return response.text


def in_language(frame: str, server: LiveServer, host: httpx.Client, page_path: str, heading_id: str) -> None:
    """The frame names a section as A's own page does in Danish, and not as it does in English."""
    danish = heading(page(server, host, page_path, "da"), heading_id)
    english = heading(page(server, host, page_path, "en"), heading_id)
    assert danish != english, (danish, english)
    assert f'<h2 id="{heading_id}">{danish}' in frame and f'<h2 id="{heading_id}">{english}' not in frame


def sent(frame: str) -> set[str]:
    """The ids of the elements a frame swaps in by id (the version tag aside)."""
    found = set(re.findall(r'<[a-z][a-z0-9]*\b[^>]*\bid="([^"]+)"[^>]*\bhx-swap-oob="true"', frame))
    return found - {"lb-v", "live-relay"}


# --- the series organiser's console ---------------------------------------------------------------------------------


@pytest.fixture
def made(server: LiveServer) -> Fixture:
    """A series with a meeting to come and two items on its agenda."""
    fixture = create_series(server.app.state.db, SLUG)
    with server.app.state.db.write() as db:
        items.propose(db, db.get(Series, fixture.series_id), None, {"title": "Brev i e-Boks"})
    return fixture


def second_item(server: LiveServer, made: Fixture) -> int:
    return next(i.id for i in server.rows(Item, Item.series_id == made.series_id) if i.id != made.item_id)


CONSOLE = f"/s/{SLUG}/host"


def test_a_meeting_scheduled_by_another_host_reaches_the_console_in_its_language(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client, made: Fixture
) -> None:
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, f"/s/{SLUG}")
        place = 'Rådhuset, "sal" <2> & kantinen'
        version, at = act(host_b, f"{CONSOLE}/meetings", {"starts": "2030-05-06T17:00", "place": place})
        frame = arrives(watch, version, at)
    # The meetings and the section links (their counts); not the whole console, nor the wall screen's elements.
    assert {"meetings", "sections"} <= sent(frame) and "main" not in sent(frame)
    assert "series-agenda" not in frame and "series-meeting" not in frame
    assert str(escape(place)) in frame and place not in frame
    assert re.search(r'<a href="#meetings">[^<(]+\(2\)</a>', frame)
    in_language(frame, server, host_a, CONSOLE, "meetings-h")


def test_a_follow_up_step_by_another_host_reaches_the_item_on_the_agenda(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client, made: Fixture
) -> None:
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, f"/s/{SLUG}")
        text = 'Sendt videre til <Ydelse> & "Borgerservice"'
        form = {"status": "forwarded", "text": text, "forwarded_to": "Udbetaling Danmark"}
        version, at = act(host_b, f"{CONSOLE}/items/{made.item_id}/status", form)
        frame = arrives(watch, version, at)
    # The item is on the agenda, and stays there: the other lists are not drawn again.
    assert sent(frame) == {"sections", "agenda"}, sent(frame)
    item = re.search(rf'<li id="item-{made.item_id}".*?</li>\s*(?=<li id="item-|</ol>)', frame, re.S)
    assert item, frame
    assert str(escape(text)) in item.group(0) and text not in frame
    assert "Udbetaling Danmark" in item.group(0)
    in_language(frame, server, host_a, CONSOLE, "agenda-h")


def test_an_agenda_item_moved_by_another_host_moves_on_the_console(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client, made: Fixture
) -> None:
    other = second_item(server, made)
    shown = host_a.get(CONSOLE).text
    first, second = sorted((made.item_id, other), key=lambda item_id: shown.index(f'id="item-{item_id}"'))
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, f"/s/{SLUG}")
        path = f"{CONSOLE}/meetings/{made.meeting_id}/items/{first}/move"
        version, at = act(host_b, path, {"direction": "down"})
        frame = arrives(watch, version, at)
    # Only the agenda: the rest of the console did not change.
    assert sent(frame) == {"agenda"}, sent(frame)
    assert frame.index(f'id="item-{second}"') < frame.index(f'id="item-{first}"')


def test_an_item_reopened_by_another_host_moves_from_the_closed_ones_onto_the_agenda(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client, made: Fixture
) -> None:
    # The item was solved at the meeting, which was then held: it is among the closed ones, with a meeting to come.
    act(host_b, f"{CONSOLE}/items/{made.item_id}/status", {"status": "solved", "text": "Løst på mødet"})
    act(host_b, f"{CONSOLE}/meetings", {"starts": "2030-09-01T17:00", "place": "Biblioteket"})
    act(host_b, f"{CONSOLE}/meetings/{made.meeting_id}/close")
    with ExitStack() as stack:
        watch = console(stack, server, host_a, f"/s/{SLUG}")
        first = watch.until('<main id="main"')
        assert first.index(f'id="item-{made.item_id}"') > first.index('<section id="closed-items"')
        server.wait_live(1)
        form = {"status": "reopened", "text": "Det skete igen"}
        version, at = act(host_b, f"{CONSOLE}/items/{made.item_id}/status", form)
        frame = arrives(watch, version, at)
    assert {"agenda", "closed-items", "waiting", "sections"} <= sent(frame)
    closed = frame[frame.index('<section id="closed-items"') :]
    agenda = frame[frame.index('<section id="agenda"') : frame.index('<section id="closed-items"')]
    assert f'id="item-{made.item_id}"' in agenda and f'id="item-{made.item_id}"' not in closed


def test_a_participants_support_redraws_only_the_list_that_holds_the_item(
    server: LiveServer, host_a: httpx.Client, made: Fixture
) -> None:
    """Support is what changes most often during a meeting: only the agenda is drawn again for it."""
    participant = server.client()
    assert participant.get(f"/s/{SLUG}").status_code == 200
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, f"/s/{SLUG}")
        response = participant.post(f"/s/{SLUG}/items/{made.item_id}/support")
        assert response.status_code == 303, response.text
        frame = arrives(watch, int(response.headers["x-liveboard-version"]), time.monotonic())
    assert sent(frame) == {"agenda"}, sent(frame)


def test_a_meeting_closed_by_another_host_carries_its_items_over_on_the_console(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client, made: Fixture
) -> None:
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, f"/s/{SLUG}")
        act(host_b, f"{CONSOLE}/meetings", {"starts": "2030-09-01T17:00", "place": "Biblioteket"})
        version, at = act(host_b, f"{CONSOLE}/meetings/{made.meeting_id}/close")
        frame = arrives(watch, version, at)
    assert {"meetings", "agenda"} <= sent(frame)
    held = re.search(rf'<li id="meeting-{made.meeting_id}" class="[^"]*\bheld\b', frame)
    assert held, frame
    # The open items are on the next meeting's agenda now, marked as carried over.
    agenda = frame[frame.index('<section id="agenda"') :]
    assert "Biblioteket" in agenda and f'id="item-{made.item_id}"' in agenda
    assert "Lange svartider" in agenda


def test_a_console_that_catches_up_gets_the_whole_console(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client, made: Fixture
) -> None:
    before = server.get(Series, made.series_id).version
    with ExitStack() as stack:
        # At the current version: nothing to send until something changes.
        watch = console(stack, server, host_a, f"/s/{SLUG}", v=before)
        server.wait_live(1)
        version, at = act(host_b, f"{CONSOLE}/meetings", {"starts": "2030-05-06T17:00", "place": "Rådhuset"})
        assert {"sections", "meetings", "agenda"} <= sent(arrives(watch, version, at))
    server.wait_live(0)
    # Away meanwhile: another step, then back with the version the page showed before.
    version, _ = act(
        host_b, f"{CONSOLE}/items/{made.item_id}/status", {"status": "looking", "text": "Vi kigger på det"}
    )
    with ExitStack() as stack:
        watch = console(stack, server, host_a, f"/s/{SLUG}", v=before)
        frame = watch.until(rf'data-v="{version}"')
    assert re.search(r'<main id="main"[^>]*hx-swap-oob="true"', frame)
    for element_id in ("sections", "meetings", "agenda", "waiting", "closed-items", "series"):
        assert f'id="{element_id}"' in frame, element_id
    assert "Rådhuset" in frame and "Vi kigger på det" in frame
    # The sections inside are part of the whole, not swaps of their own.
    assert sent(frame) == {"main"}
    in_language(frame, server, host_a, CONSOLE, "meetings-h")


def test_phones_and_screens_of_the_series_get_none_of_the_console(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client, made: Fixture
) -> None:
    with ExitStack() as stack:
        screen, phone = series_watch(stack, server, "screen"), series_watch(stack, server, "phone")
        watch = console(stack, server, host_a, f"/s/{SLUG}")
        screen.until("series-agenda"), phone.until("series-agenda"), watch.until('<main id="main"')
        server.wait_live(3)
        version, at = act(host_b, f"{CONSOLE}/items/{made.item_id}/status", {"status": "looking", "text": "Undersøges"})
        on_screen, on_phone = screen.until(rf'data-v="{version}"'), phone.until(rf'data-v="{version}"')
        arrives(watch, version, at)
    assert sent(on_screen) == {"series-agenda", "series-current"}
    assert sent(on_phone) == {"series-agenda"}
    for frame in (on_screen, on_phone):
        assert 'id="agenda"' not in frame and "/host/" not in frame


def test_the_series_is_read_with_the_console_only_for_a_connected_console(server: LiveServer, made: Fixture) -> None:
    """The flush reads the console's every meeting and item only when a console is among its clients."""
    live = server.app.state.live
    assert live.load_series(made.series_id, frozenset({"phone", "screen"})).console is None
    read = live.load_series(made.series_id, frozenset({"screen", "host"})).console
    assert read is not None and {entry.item.id for entry in read["agenda"]} >= {made.item_id}


# --- the event's host console ---------------------------------------------------------------------------------------

EVENT = "/e/demo/host"


def test_a_pitch_approved_by_another_host_reaches_the_console(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client
) -> None:
    pitch = server.pitch("motion")
    assert pitch.status == "pending"
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, "/e/demo")
        version, at = act(host_b, f"{EVENT}/pitches/{pitch.id}/approve")
        frame = arrives(watch, version, at)
    assert {"moderation", "sections", "schedule", "audit-list"} <= sent(frame)
    # Approved now: in the approved list, and one fewer waiting in the section links.
    approved = frame[frame.index('<section id="approved"') :]
    assert f'id="host-pitch-{pitch.id}"' in approved
    pending = len([p for p in server.rows(type(pitch)) if p.status == "pending" and p.event_id == pitch.event_id])
    assert re.search(rf'<a href="#queue">[^<(]+\({pending}\)</a>', frame)
    # The log names B's account.
    assert re.search(r'<span class="actor" translate="no">mette</span>', frame)
    in_language(frame, server, host_a, EVENT, "approved-h")


def test_a_room_added_by_another_host_reaches_rooms_and_grid(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client
) -> None:
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, "/e/demo")
        data = {"name": "Lokale <5> & co", "capacity": "12", "location": "2. sal"}
        version, at = act(host_b, f"{EVENT}/rooms", data)
        frame = arrives(watch, version, at)
    room = server.room("Lokale <5> & co")
    assert {"rooms", "rounds", "schedule"} <= sent(frame)
    assert f'id="room-name-{room.id}"' in frame and 'value="Lokale &lt;5&gt; &amp; co"' in frame
    assert "<5>" not in frame
    in_language(frame, server, host_a, EVENT, "rooms-h")


def test_a_session_placed_by_another_host_reaches_the_grid(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client
) -> None:
    pitch, room, round_ = server.pitch("paedagogik"), server.room("Lokale 4"), server.round(2)
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, "/e/demo")
        data = {"pitch_id": str(pitch.id), "room_id": str(room.id), "round_id": str(round_.id)}
        version, at = act(host_b, f"{EVENT}/sessions", data)
        frame = arrives(watch, version, at)
    assert "schedule" in sent(frame)
    placed = server.slot(2, "Lokale 4")
    assert f'id="hcount-{placed.id}"' in frame and f'id="place-{room.id}-{round_.id}"' not in frame
    in_language(frame, server, host_a, EVENT, "grid-h")


def test_an_announcement_and_a_phase_by_another_host_reach_the_console(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client
) -> None:
    with ExitStack() as stack:
        watch = watching(stack, server, host_a, "/e/demo")
        text = 'Kaffen er klar <i>nu</i> & "gratis"'
        version, at = act(host_b, f"{EVENT}/announce", {"text": text})
        frame = arrives(watch, version, at)
        assert {"announce-now", "audit-list"} <= sent(frame)
        assert str(escape(text)) in frame and text not in frame
        version, at = act(host_b, f"{EVENT}/pitching", {"open": "0"})
        frame = arrives(watch, version, at)
        assert "event" in sent(frame)
        in_language(frame, server, host_a, EVENT, "event-h")


def test_an_event_console_that_catches_up_gets_the_whole_console(
    server: LiveServer, host_a: httpx.Client, host_b: httpx.Client
) -> None:
    before = server.version()
    act(host_b, f"{EVENT}/rooms", {"name": "Lokale 9", "capacity": "9"})
    version, _ = act(host_b, f"{EVENT}/announce", {"text": "Velkommen"})
    with ExitStack() as stack:
        watch = console(stack, server, host_a, "/e/demo", v=before)
        frame = watch.until(rf'data-v="{version}"')
    assert sent(frame) == {"main"}, sent(frame)
    assert out_of_band(frame, "main") and "Lokale 9" in frame and "Velkommen" in frame
    in_language(frame, server, host_a, EVENT, "rooms-h")
