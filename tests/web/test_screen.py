"""The wall screen and the door sign (`liveboard/web/views/screen.py`)."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from conftest import LiveServer, has_id


def short(url: str) -> str:
    return url.split("://", 1)[1]


def test_screen_shows_the_board_a_qr_code_and_the_phone_url(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/screen")
    assert response.status_code == 200
    page = response.text
    assert re.search(r"<svg\b[^>]*\bclass=\"qr\"", page)
    assert f"{short(server.url)}/e/demo" in page  # the address to type, without the scheme
    assert has_id(page, "grid") and has_id(page, "clock") and has_id(page, "announcement")
    for room in ("Store sal", "Caféen", "Lokale 4"):
        assert html.escape(room) in page
    assert html.escape(server.pitch("stress").title) in page
    assert html.escape(server.pitch("motion").title) not in page  # pending, not on the board
    cafe = server.slot(1, "Caféen")
    assert re.search(rf'id="count-{cafe.id}">14<', page)  # exactly full
    assert "Velkommen!" in page


def test_screen_counts_follow_the_database(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(2, "Lokale 3")
    client.post(f"/e/demo/sessions/{slot.id}/join")
    assert re.search(rf'id="count-{slot.id}">{server.present(slot)}<', client.get("/e/demo/screen").text)


def test_door_sign_shows_the_room_its_session_and_a_qr_code(server: LiveServer, client: httpx.Client) -> None:
    room = server.room("Lokale 1")
    response = client.get(f"/e/demo/screen?room={room.id}")
    assert response.status_code == 200
    page = response.text
    assert '<h1><span lang="da">Lokale 1</span>' in page  # what the host typed, in the event's language
    assert html.escape(server.pitch("teknologi").title) in page  # now
    assert html.escape(server.pitch("unge").title) in page  # next
    assert re.search(r"<svg\b[^>]*\bclass=\"qr\"", page)
    # The QR code leads to the room's own address, as its printed poster does: there, "I'm here" for what runs now.
    assert f"{short(server.url)}/e/demo/rooms/{room.id}<" in page


def test_door_sign_of_a_full_room_says_full(server: LiveServer, client: httpx.Client) -> None:
    page = client.get(f"/e/demo/screen?room={server.room('Caféen').id}").text
    assert "Full" in page


def test_door_sign_of_an_empty_room_leads_to_the_room_s_page(server: LiveServer, client: httpx.Client) -> None:
    room = server.room("Foyeren")
    page = client.get(f"/e/demo/screen?room={room.id}").text
    assert re.search(r"<svg\b", page)
    assert re.search(rf"{re.escape(short(server.url))}/e/demo/rooms/{room.id}<", page)


@pytest.mark.parametrize("room", ["999999", "abc", ""])
def test_door_sign_of_an_unknown_room_is_404(client: httpx.Client, room: str) -> None:
    assert client.get(f"/e/demo/screen?room={room}").status_code == 404


def test_screen_of_unknown_event_is_404(client: httpx.Client) -> None:
    assert client.get("/e/no-such-event/screen").status_code == 404
    assert client.get("/e/no-such-event/screen?room=1").status_code == 404
