"""Notes on the door signs, live: a note written in a session, by its note-taker or from a phone, and every +1 on
it reach the door sign of its room over the WebSocket (view "screen"), HTML-escaped, with nothing personal.

Against the real server with real websocket clients; round 1 of the demo is running now.
"""

from __future__ import annotations

import html
import re
from contextlib import ExitStack

import httpx

from liveboard.models import Note
from liveboard.models import Session as Slot
from tests.conftest import LiveServer
from tests.live.test_websocket import frame_version, settle, watch

TEXT = '<script>alert("door")</script> Bænke & <b>lys</b>'


def door_notes(frame: str, session_id: int) -> str | None:
    """The door-notes element of a session in a frame, or None."""
    found = re.search(rf'<section id="door-notes-{session_id}"[^>]*>.*?</section>', frame, re.S)
    return found.group(0) if found else None


def first_item(frame: str, session_id: int) -> str:
    """The newest note on a session's door sign, as a frame shows it."""
    found = re.search(r"<li\b.*?</li>", door_notes(frame, session_id) or "", re.S)
    assert found, frame
    return found.group(0)


def note_key(server: LiveServer, host: httpx.Client, session_id: int) -> str:
    assert host.post(f"/e/demo/host/sessions/{session_id}/note-key").status_code == 303
    key = server.get(Slot, session_id).note_key
    assert key
    return key


def test_the_door_sign_shows_the_sessions_latest_notes(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    page = client.get(f"/e/demo/screen?room={slot.room_id}").text
    section = door_notes(page, slot.id)  # type: ignore[arg-type]
    assert section is not None
    assert "Et prøvehjem" in section
    assert "Én fast kontaktperson" not in section  # Store sal's
    # The wall screen and the other rooms' signs do not carry it.
    assert 'id="door-notes-' not in client.get("/e/demo/screen").text
    other = server.slot(1, "Store sal")
    assert door_notes(client.get(f"/e/demo/screen?room={other.room_id}").text, slot.id) is None  # type: ignore[arg-type]


def test_a_note_from_the_note_taker_reaches_the_door_sign_escaped(
    server: LiveServer, host: httpx.Client, client: httpx.Client
) -> None:
    slot = server.slot(1, "Lokale 1")
    key = note_key(server, host, slot.id)  # type: ignore[arg-type]
    taker = server.client()
    with ExitStack() as stack:
        door = watch(stack, server, "screen", server.version())
        settle(server, 1)

        sent = taker.post(
            f"/e/demo/sessions/{slot.id}/take", data={"key": key, "kind": "proposal", "text": TEXT, "author": "Ib"}
        )
        assert sent.status_code == 303, sent.text
        committed = int(sent.headers["x-liveboard-version"])
        frame = door.until(rf'id="door-notes-{slot.id}"')
        assert frame_version(frame) >= committed
        section = door_notes(frame, slot.id)  # type: ignore[arg-type]
        assert section is not None and 'hx-swap-oob="true"' in section
        assert "<script>" not in frame and "<b>lys" not in frame
        shown = re.search(r'<span class="text" lang="da">(.*?)</span>', section, re.S)
        assert shown and html.unescape(shown.group(1)) == TEXT  # newest first
        assert "Proposal" in section
        assert "Et prøvehjem" in section  # the older notes stay

        # A +1 on it moves its count on the door; the frame says nothing of who gave it.
        note = server.rows(Note, Note.text == TEXT)[0]
        assert client.post(f"/e/demo/notes/{note.id}/support").status_code == 303
        frame = door.until(rf'id="door-notes-{slot.id}"')
        assert first_item(frame, slot.id).endswith('<span class="support-count">+1</span></li>')  # type: ignore[arg-type]
        assert "aria-pressed" not in frame and "support-button" not in frame
        assert client.post(f"/e/demo/notes/{note.id}/support").status_code == 303  # taken back
        frame = door.until(rf'id="door-notes-{slot.id}"')
        assert "support-count" not in first_item(frame, slot.id)  # type: ignore[arg-type]


def test_a_note_from_a_phone_reaches_the_door_sign(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Store sal")
    assert client.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    with ExitStack() as stack:
        door = watch(stack, server, "screen", server.version())
        settle(server, 1)
        sent = client.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": "idea", "text": "Fælles madklub"})
        assert sent.status_code == 303
        frame = door.until(rf'id="door-notes-{slot.id}"')
        assert "Fælles madklub" in (door_notes(frame, slot.id) or "")  # type: ignore[arg-type]
        # Only the session that changed is sent.
        assert re.findall(r'id="door-notes-(\d+)"', frame) == [str(slot.id)]


def test_a_door_sign_that_connects_gets_the_notes_of_the_sessions_running_now(server: LiveServer) -> None:
    now = [server.slot(1, room) for room in ("Store sal", "Lokale 1")]
    later = server.slot(2, "Store sal")
    with ExitStack() as stack:
        door = watch(stack, server, "screen")  # no version: a fresh client gets its whole live regions
        frame = door.until(r'id="door-notes-')
        for slot in now:
            assert door_notes(frame, slot.id) is not None  # type: ignore[arg-type]
        assert door_notes(frame, later.id) is None  # type: ignore[arg-type]


def test_a_note_in_a_later_round_sends_no_door_notes(
    server: LiveServer, host: httpx.Client, client: httpx.Client
) -> None:
    later = server.slot(2, "Store sal")
    key = note_key(server, host, later.id)  # type: ignore[arg-type]
    with ExitStack() as stack:
        door = watch(stack, server, "screen", server.version())
        settle(server, 1)
        sent = server.client().post(
            f"/e/demo/sessions/{later.id}/take", data={"key": key, "kind": "idea", "text": "Senere"}
        )
        assert sent.status_code == 303
        # An announcement after it: when that arrives, the note's change was flushed too.
        assert host.post("/e/demo/host/announce", data={"text": "Kaffe"}).status_code == 303
        door.until(r'id="announcement"')
        assert not any("door-notes-" in f for f in door.frames)
