"""A room's own address (`liveboard/web/views/room.py`): `/e/{slug}/rooms/{room_id}`, opened from a door poster.

Against a real server with the demo loaded: round 1 runs now. Store sal has a session in every round, Lokale 3
only in round 2, Lokale 4 none at all, and Caféen's round-1 session is exactly full.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from conftest import HX, LiveServer, errors, first_id

from liveboard.models import Event, Participant, Presence, Room


def room_page(client: httpx.Client, server: LiveServer, name: str, query: str = "") -> httpx.Response:
    return client.get(f"/e/demo/rooms/{server.room(name).id}{query}")


def region(page: str) -> str:
    """The room's live region: what runs there now (or next), and later."""
    found = re.search(r'<div id="room-now".*?(?=<section id="my-evening"|<section class="card where")', page, re.S)
    assert found, "the page has no #room-now region"
    return found.group(0)


# --- what the page shows -----------------------------------------------------------------------------------


def test_room_with_a_session_now_offers_im_here(server: LiveServer, client: httpx.Client) -> None:
    response = room_page(client, server, "Store sal")
    assert response.status_code == 200
    page = response.text
    assert '<h1 lang="da">Store sal</h1>' in page  # what the host typed, in the event's language
    assert "Stueplan" in page  # its location
    now = region(page)
    assert "Now in this room" in now
    slot = server.slot(1, "Store sal")
    assert html.escape(server.pitch("stress").title) in now
    # The big "I'm here" posts to the phone's own join; the headcount is the phone's live element.
    assert re.search(rf'<form class="im-here" method="post" action="/e/demo/sessions/{slot.id}/join"', now)
    assert "I&#39;m here" in now or "I'm here" in now
    assert f'id="present-{slot.id}"' in now and f'id="join-{slot.id}"' in now
    assert f"{server.present(slot)} of 300" in now
    # Its later sessions, and the whole programme.
    later = now.split("Later in this room", 1)[1]
    assert html.escape(server.pitch("frivillige").title) in later
    assert html.escape(server.pitch("medskaber").title) in later
    assert 'href="/e/demo"' in page


def test_room_with_nothing_now_shows_its_next_session(server: LiveServer, client: httpx.Client) -> None:
    now = region(room_page(client, server, "Lokale 3").text)
    assert "Next in this room" in now and "Now in this room" not in now
    slot = server.slot(2, "Lokale 3")
    assert html.escape(server.pitch("paaroerende").title) in now
    assert f'action="/e/demo/sessions/{slot.id}/join"' in now
    assert "Later in this room" not in now  # nothing after it


def test_next_session_may_be_rounds_away(server: LiveServer, client: httpx.Client) -> None:
    """Lokale 2 runs in round 1; once that session is gone, its next is round 3's, though round 2 comes first."""
    host = server.client(host=True)
    assert host.post(f"/e/demo/host/sessions/{server.slot(1, 'Lokale 2').id}/delete").status_code == 303
    now = region(room_page(client, server, "Lokale 2").text)
    assert "Next in this room" in now
    assert html.escape(server.pitch("rehabilitering").title) in now


def test_room_with_nothing_more_says_so(server: LiveServer, client: httpx.Client) -> None:
    page = room_page(client, server, "Lokale 4").text
    now = region(page)
    assert "Nothing more is planned in this room." in now
    assert "/join" not in now
    assert 'href="/e/demo"' in page  # the whole programme is one tap away


def test_full_room_offers_no_im_here(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Caféen")
    now = region(room_page(client, server, "Caféen").text)
    assert "Full" in now
    assert f'action="/e/demo/sessions/{slot.id}/join"' not in now
    assert 'class="im-here"' not in now


def test_page_follows_live_changes_on_the_phones_socket(server: LiveServer, client: httpx.Client) -> None:
    page = room_page(client, server, "Store sal").text
    assert 'hx-ws:connect="/e/demo/ws?view=phone&amp;lang=en' in page
    assert 'id="me-refresh"' in page and 'id="my-marks"' in page
    assert re.search(r'<script src="/static/js/room\.js\?v=[0-9a-f]{12}" defer></script>', page)
    assert "style=" not in page and "<script>" not in page  # the CSP allows neither


def test_page_speaks_danish_and_offers_large_text(server: LiveServer) -> None:
    browser = server.client(lang=None)
    page = room_page(browser, server, "Store sal", "?lang=da&text=large").text
    assert '<html lang="da" class="text-large">' in page
    assert "Nu i dette lokale" in page and "Jeg er her" in page
    assert 'href="?text=normal"' in page and 'href="?lang=en"' in page


def test_first_visit_issues_the_participant_cookie(server: LiveServer, client: httpx.Client) -> None:
    response = room_page(client, server, "Store sal")
    assert "lb_pid" in response.cookies
    again = room_page(client, server, "Store sal")
    assert "lb_pid" not in again.cookies  # kept, not replaced


def test_htmx_get_answers_the_region_alone(server: LiveServer, client: httpx.Client) -> None:
    response = client.get(f"/e/demo/rooms/{server.room('Store sal').id}", headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == "room-now"
    assert "<html" not in response.text


# --- "I'm here" ----------------------------------------------------------------------------------------------


def test_im_here_from_the_room_page_comes_back_to_it(server: LiveServer, client: httpx.Client) -> None:
    address = f"/e/demo/rooms/{server.room('Store sal').id}"
    client.get(address)  # the visit that issued the cookie
    slot = server.slot(1, "Store sal")
    before = server.present(slot)
    response = client.post(f"/e/demo/sessions/{slot.id}/join", headers={"Referer": f"{server.url}{address}"})
    assert response.status_code == 303
    assert response.headers["location"] == address
    assert server.present(slot) == before + 1
    # The cookie from the page is the person who joined.
    person = server.participant(client)
    assert person is not None
    assert server.count(Presence, Presence.participant_id == person.id, Presence.session_id == slot.id) == 1
    page = client.get(address).text
    now = region(page)
    assert re.search(rf'<section class="card session room-session mine[^"]*" data-session="{slot.id}"', now)
    assert f"{before + 1} of 300" in now
    assert 'id="my-evening" class="card where"' in page  # where this person is now, with the note form
    assert f"/e/demo/sessions/{slot.id}/notes" in page


def test_im_here_from_the_phone_still_goes_back_to_the_phone(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Store sal")
    response = client.post(f"/e/demo/sessions/{slot.id}/join", headers={"Referer": f"{server.url}/e/demo"})
    assert response.headers["location"] == "/e/demo#my-evening"
    left = client.post(f"/e/demo/sessions/{slot.id}/leave", headers={"Referer": f"{server.url}/e/demo/rooms/1"})
    assert left.headers["location"] == "/e/demo/rooms/1"


def test_im_here_by_htmx_answers_where_i_am_and_the_region_counts_me(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    address = f"/e/demo/rooms/{server.room('Lokale 1').id}"
    before = server.present(slot)
    response = client.post(f"/e/demo/sessions/{slot.id}/join", headers={**HX, "Referer": f"{server.url}{address}"})
    assert response.status_code == 200
    assert first_id(response.text) == "my-evening"  # swapped into the room page's #my-evening
    assert html.escape(server.pitch("teknologi").title) in response.text
    fresh = client.get(address, headers=HX).text  # what static/js/room.js fetches next
    assert f"{before + 1} of 40" in fresh
    assert "room-session mine" in fresh


def test_im_here_in_a_full_room_is_refused_as_on_the_phone(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Caféen")
    address = f"/e/demo/rooms/{server.room('Caféen').id}"
    client.get(address)
    before = server.dump()
    response = client.post(f"/e/demo/sessions/{slot.id}/join", headers={"Referer": f"{server.url}{address}"})
    assert response.status_code == 409
    assert "full" in errors(response.text)
    assert server.dump() == before


def test_im_here_moves_me_out_of_my_other_session_of_the_round(server: LiveServer, client: httpx.Client) -> None:
    first, second = server.slot(1, "Lokale 1"), server.slot(1, "Store sal")
    client.post(f"/e/demo/sessions/{first.id}/join")
    client.post(f"/e/demo/sessions/{second.id}/join", headers={"Referer": f"{server.url}/e/demo/rooms/1"})
    person = server.participant(client)
    assert person is not None
    assert [p.session_id for p in server.rows(Presence, Presence.participant_id == person.id)] == [second.id]


# --- not found -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("room_id", ["999999", "abc", "0", "-1", "1.5", "99999999999999999999999", "%20"])
def test_unknown_room_is_the_404_page(client: httpx.Client, room_id: str) -> None:
    response = client.get(f"/e/demo/rooms/{room_id}")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text


def test_room_of_another_event_is_404(server: LiveServer, client: httpx.Client) -> None:
    with server.database.write() as db:
        other = Event(slug="andet", title="Et andet arrangement")
        db.add(other)
        db.flush()
        room = Room(event_id=other.id, name="Lokale 9", capacity=10)  # type: ignore[arg-type]
        db.add(room)
        db.flush()
        room_id = room.id
    assert client.get(f"/e/andet/rooms/{room_id}").status_code == 200
    response = client.get(f"/e/demo/rooms/{room_id}")
    assert response.status_code == 404
    assert "There is no such room in this event." in response.text


def test_unknown_event_is_404(server: LiveServer, client: httpx.Client) -> None:
    assert client.get(f"/e/no-such-event/rooms/{server.room('Store sal').id}").status_code == 404


def test_a_404_makes_no_participant(server: LiveServer, client: httpx.Client) -> None:
    before = server.count(Participant)
    client.get("/e/demo/rooms/999999")
    assert server.count(Participant) == before
