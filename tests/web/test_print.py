"""Paper (`liveboard/web/views/print.py`, `liveboard/printing.py`): the door posters and the programme.

Against a real server with the demo: 7 rooms, 3 rounds, 9 sessions (Lokale 4 and Foyeren have none). That each
poster is one printed page is checked in Chromium (tests/browser/test_print.py); here: what is on them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx
import pytest
from conftest import LiveServer

from liveboard import i18n, printing, qr
from liveboard.models import Event, Pitch, Room, Round
from liveboard.models import Session as Slot
from liveboard.web.views.print import POSTER_QR_TITLE, PROGRAMME_QR_TITLE, breakable


@dataclass(frozen=True)
class Poster:
    classes: str
    room: str
    whens: list[str]
    titles: list[str]
    html: str


def posters(page: str) -> list[Poster]:
    found = []
    for chunk in page.split('<article class="sheet poster ')[1:]:
        body = chunk.split("</article>", 1)[0]
        found.append(
            Poster(
                classes=body.split('"', 1)[0],
                room=html.unescape(re.search(r'<h2 class="poster-room"[^>]*>(.*?)</h2>', body, re.S).group(1)),  # type: ignore[union-attr]
                whens=[html.unescape(w) for w in re.findall(r'<span class="poster-when"[^>]*>(.*?)</span>', body)],
                titles=[html.unescape(t) for t in re.findall(r'<span class="poster-title"[^>]*>(.*?)</span>', body)],
                html=body,
            )
        )
    return found


def expected_sessions(server: LiveServer, room: Room) -> list[tuple[str, str]]:
    """(round label · start–end on the event's clock, pitch title) of the room's sessions, in round order."""
    rounds = {r.id: r for r in server.rows(Round)}
    slots = sorted(server.rows(Slot, Slot.room_id == room.id), key=lambda s: rounds[s.round_id].starts)
    out = []
    with i18n.using("en"):
        for slot in slots:
            r = rounds[slot.round_id]
            when = f"{r.label} · {i18n.time(r.starts, 'Europe/Copenhagen')}–{i18n.time(r.ends, 'Europe/Copenhagen')}"
            out.append((when, pitch_title(server, slot.pitch_id)))
    return out


def pitch_title(server: LiveServer, pitch_id: int) -> str:
    return server.get(Pitch, pitch_id).title


# --- the door posters ----------------------------------------------------------------------------------------


def test_one_poster_per_room_with_its_sessions_by_round(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/print/doors")
    assert response.status_code == 200
    found = posters(response.text)
    rooms = server.rows(Room)
    assert [p.room for p in found] == [r.name for r in sorted(rooms, key=lambda r: (r.position, r.id))]
    for poster, room in zip(found, sorted(rooms, key=lambda r: (r.position, r.id)), strict=True):
        expected = expected_sessions(server, room)
        assert list(zip(poster.whens, poster.titles, strict=True)) == expected, room.name
        if room.location:
            assert f'<p class="poster-location" lang="da">{html.escape(room.location)}</p>' in poster.html
    by_room = {p.room: p for p in found}
    assert len(by_room["Store sal"].titles) == 3
    assert by_room["Lokale 4"].titles == []
    assert "No sessions are planned in this room yet." in by_room["Lokale 4"].html


def test_each_poster_has_the_qr_code_and_short_address_of_its_room(server: LiveServer, client: httpx.Client) -> None:
    page = client.get("/e/demo/print/doors").text
    host_part = server.url.split("://", 1)[1]
    with i18n.using("en"):
        title = i18n.gettext(POSTER_QR_TITLE)
    for poster, room in zip(posters(page), sorted(server.rows(Room), key=lambda r: r.position), strict=True):
        address = f"{server.url}/e/demo/rooms/{room.id}"
        # segno was given the room's address: the same code, made from that address, is on the poster.
        assert str(qr.svg(address, title)) in poster.html
        assert re.search(r"<title>QR code that opens this room(&#39;|&#x27;|')s page on your phone<", poster.html)
        assert f'<a href="{address}">' in poster.html
        # The address as typed, breakable only after a "/".
        parts = [f"{host_part}/", "e/", "demo/", "rooms/", str(room.id)]
        assert "<wbr>".join(f'<span class="url-part">{p}</span>' for p in parts) in poster.html


def test_the_short_address_breaks_only_after_slashes() -> None:
    assert str(breakable("x.dk/e/my-event/rooms/12")) == (
        '<span class="url-part">x.dk/</span><wbr><span class="url-part">e/</span><wbr>'
        '<span class="url-part">my-event/</span><wbr><span class="url-part">rooms/</span><wbr>'
        '<span class="url-part">12</span>'
    )
    assert "&lt;b&gt;" in str(breakable("x.dk/<b>"))  # escaped


def test_posters_are_public_and_a_participant_records_nothing(server: LiveServer) -> None:
    nobody = server.client()
    before = server.dump()
    response = nobody.get("/e/demo/print/doors")
    assert response.status_code == 200
    assert server.event().posters_printed_at is None
    assert server.dump() == before


@pytest.mark.parametrize("who", ["admin", "mette"], ids=["organiser", "host"])
def test_a_hosts_visit_records_the_posters_as_printed_without_a_new_version(server: LiveServer, who: str) -> None:
    if who == "mette":
        server.add_account("mette", "host")
    browser = server.client(host=who == "admin", account=who if who == "mette" else None)
    before = server.dump()
    version = server.version()
    response = browser.get("/e/demo/print/doors")
    assert response.status_code == 200
    event = server.event()
    assert event.posters_printed_at is not None
    assert event.version == version  # not part of the live board
    assert "x-liveboard-version" not in response.headers
    after = server.dump()
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {"event", "host_session"}  # the event's one column (and the host session's last use)
    rows = {r[0]: r for r in before["event"]}
    for row in after["event"]:
        differs = [i for i, (a, b) in enumerate(zip(rows[row[0]], row, strict=True)) if a != b]
        assert len(differs) <= 1
    assert [r for r in after["event"] if r[1] == "demo"] != [r for r in before["event"] if r[1] == "demo"]


def test_the_programme_page_records_nothing(server: LiveServer, host: httpx.Client) -> None:
    assert host.get("/e/demo/print/programme").status_code == 200
    assert server.event().posters_printed_at is None


def test_posters_of_an_unknown_event_are_404(client: httpx.Client) -> None:
    assert client.get("/e/no-such-event/print/doors").status_code == 404
    assert client.get("/e/no-such-event/print/programme").status_code == 404


def test_an_event_without_rooms_has_no_posters(server: LiveServer, client: httpx.Client) -> None:
    with server.database.write() as db:
        db.add(Event(slug="tomt", title="Tomt"))
    page = client.get("/e/tomt/print/doors").text
    assert posters(page) == []
    assert "0 posters" in page


def test_print_pages_link_their_stylesheet_and_script_and_nothing_inline(client: httpx.Client) -> None:
    for path in ("/e/demo/print/doors", "/e/demo/print/programme"):
        page = client.get(path).text
        assert re.search(r'<link rel="stylesheet" href="/static/css/print\.css\?v=[0-9a-f]{12}">', page)
        assert re.search(r'<script src="/static/js/print\.js\?v=[0-9a-f]{12}" defer></script>', page)
        assert "style=" not in page and "<script>" not in page and "<style" not in page
        assert page.count("<h1") == 1 and '<main id="main"' in page
        # The Print button waits for its script; the sentence says how without it.
        assert '<button type="button" id="print-button" hidden>' in page
        assert "Ctrl+P" in page
        assert "hx-ws:connect" not in page  # no live status on paper


def test_print_pages_in_danish(client: httpx.Client) -> None:
    doors = client.get("/e/demo/print/doors?lang=da").text
    assert '<html lang="da"' in doors and "Dørskilte" in doors and "Jeg er her" in doors
    assert "7 skilte" in doors
    programme = client.get("/e/demo/print/programme?lang=da").text
    assert "Lokale</th>" in programme and "Vær med på din telefon" in programme


def test_static_print_files_are_served(client: httpx.Client) -> None:
    css = client.get("/static/css/print.css")
    assert css.status_code == 200 and "@page" in css.text and "break-after: page" in css.text
    assert client.get("/static/js/print.js").status_code == 200
    assert client.get("/static/js/room.js").status_code == 200


# --- the type scale ------------------------------------------------------------------------------------------


def test_a_full_poster_gets_smaller_type_than_a_sparse_one() -> None:
    sparse = printing.poster_type("Store sal", "Stueplan", ["Ensomhed blandt ældre"])
    assert sparse == printing.PosterType("xl", "xl")
    worst = printing.poster_type("R" * 30 + " " + "r" * 29, "l" * 120, ["T" * 39 + " " + "t" * 40] * 6)
    assert worst.name != "xl" and worst.scale in ("xs", "xxs")


def test_a_title_line_count_follows_the_width() -> None:
    assert printing.lines("kort", 20, 186) == 1
    assert printing.lines("ord " * 40, 34, 186) > printing.lines("ord " * 40, 15, 186)


def test_the_programme_stands_upright_unless_the_rounds_need_the_width() -> None:
    few = printing.programme_layout(["Store sal"] * 7, [["Ensomhed blandt ældre", "Velfærdsteknologi i eget hjem"]] * 7)
    assert few.orientation == "portrait"
    # Six rounds leave an upright column too narrow for "Velfærdsteknologi" whole: on its side it fits.
    many = printing.programme_layout(["Lokale"] * 6, [["Velfærdsteknologi og sundhedsplejen i hjemmet"] * 6] * 6)
    assert many.orientation == "landscape"
    assert many.size < few.size
    # Twelve rooms of six rounds of long titles still get a size (the smallest, at worst).
    assert printing.programme_layout(["Lokale"] * 12, [["Ord " * 20] * 6] * 12).size >= printing.TABLE_SIZES[-1]


# --- the programme -------------------------------------------------------------------------------------------


def test_programme_is_rooms_by_rounds_with_the_event_and_its_qr_code(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/print/programme")
    assert response.status_code == 200
    page = response.text
    event = server.event()
    assert f'<h1 id="programme-h" lang="da">{html.escape(event.title)}</h1>' in page
    assert html.escape(event.venue) in page
    with i18n.using("en"):
        assert i18n.long_date(event.starts, event.timezone) in page
        title = i18n.gettext(PROGRAMME_QR_TITLE)
    assert str(qr.svg(f"{server.url}/e/demo", title)) in page
    assert f'<a href="{server.url}/e/demo">' in page
    table = page.split('<table class="programme-grid">', 1)[1].split("</table>", 1)[0]
    rounds = server.rows(Round)
    assert table.count('<th scope="col">') == 1 + len(rounds)
    rows = table.split("<tbody>", 1)[1].split("<tr>")[1:]
    rooms = sorted(server.rows(Room), key=lambda r: r.position)
    assert len(rows) == len(rooms)
    for row, room in zip(rows, rooms, strict=True):
        assert f'<th scope="row" lang="da">{html.escape(room.name)}' in row
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert len(cells) == len(rounds)
        for cell, (when, title_) in zip(cells, _by_round(server, room, rounds), strict=True):
            if title_:
                assert html.escape(title_) in cell, (room.name, when)
            else:
                assert "Nothing planned" in cell
    assert re.search(r'class="sheet programme-sheet (portrait|landscape) type-\d+"', page)


def _by_round(server: LiveServer, room: Room, rounds: list[Round]) -> list[tuple[str, str]]:
    slots = {s.round_id: s for s in server.rows(Slot, Slot.room_id == room.id)}
    out = []
    for r in sorted(rounds, key=lambda r: r.starts):
        slot = slots.get(r.id)  # type: ignore[arg-type]
        out.append((r.label, pitch_title(server, slot.pitch_id) if slot else ""))
    return out
