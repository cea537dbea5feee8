"""A host blocks a participant (`liveboard/domain/blocking.py`, the console's routes): their notes and waiting pitches
leave every view without being deleted and come back on unblock; their further actions are refused (403, in their
language); each block is in the audit log; and only hosts may do it.

Against a real server with the demo loaded: round 1 is running now.
"""

from __future__ import annotations

import html
import re
from contextlib import ExitStack

import httpx
import pytest
from conftest import HX, LiveServer, errors

from liveboard.models import AuditEntry, Note, Participant, Pitch
from tests.live.test_door_notes import door_notes
from tests.live.test_websocket import settle, watch

SPAM_PITCH = "Køb billige ure her"
SPAM_NOTE = "Klik på mit link nu"
GOOD_NOTE = "Flere bænke ved stationen"
BLOCKED_EN = "A host has paused what you can send at this event, so this was not saved."
BLOCKED_DA = "En vært har sat det, du kan sende til dette arrangement, på pause, så det blev ikke gemt."
FOREIGN = "http://evil.example"


def block_path(participant_id: object, action: str = "block") -> str:
    return f"/e/demo/host/participants/{participant_id}/{action}"


@pytest.fixture
def spammer(server: LiveServer) -> httpx.Client:
    """A phone that sent a pitch (waiting for moderation) and a note in a running session."""
    phone = server.client()
    assert phone.post("/e/demo/pitches", data={"title": SPAM_PITCH}).status_code == 303
    slot = server.slot(1, "Lokale 1")
    assert phone.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": "idea", "text": SPAM_NOTE}).status_code == 303
    return phone


@pytest.fixture
def neighbour(server: LiveServer) -> httpx.Client:
    """Another phone with a note of its own in the same session."""
    phone = server.client()
    slot = server.slot(1, "Lokale 1")
    assert phone.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": "idea", "text": GOOD_NOTE}).status_code == 303
    return phone


def pid(server: LiveServer, phone: httpx.Client) -> int:
    participant = server.participant(phone)
    assert participant is not None and participant.id is not None
    return participant.id


def views(server: LiveServer, reader: httpx.Client, host: httpx.Client) -> dict[str, str]:
    """Every place a note or a waiting pitch can show, as its reader gets it."""
    slot = server.slot(1, "Lokale 1")
    return {
        "session page": reader.get(f"/e/demo/sessions/{slot.id}").text,
        "door sign": reader.get(f"/e/demo/screen?room={slot.room_id}").text,
        "report": reader.get("/e/demo/report").text,
        **{f"report.{kind}": reader.get(f"/e/demo/report.{kind}").text for kind in ("md", "csv", "json")},
        "console": host.get("/e/demo/host").text,
        "desk": host.get("/e/demo/host/notes").text,
        "host api": host.get("/api/events/demo").text,
    }


def test_a_block_withholds_notes_and_waiting_pitches_everywhere_and_an_unblock_brings_them_back(
    server: LiveServer, host: httpx.Client, spammer: httpx.Client, neighbour: httpx.Client
) -> None:
    reader = server.client()
    before = views(server, reader, host)
    assert SPAM_NOTE in before["session page"] and SPAM_NOTE in before["door sign"] and SPAM_NOTE in before["desk"]
    assert SPAM_PITCH in before["console"]
    who = pid(server, spammer)
    assert f'action="{block_path(who)}"' in before["console"]  # next to the waiting pitch
    assert f'action="{block_path(who)}"' in before["desk"]  # next to the note

    response = host.post(block_path(who))
    assert response.status_code == 303
    assert response.headers["location"] == "/e/demo/host#blocked"

    blocked = views(server, reader, host)
    # The console's list of blocked participants says what each sent last, so hosts know whom they unblock.
    listed = re.search(r'<section id="blocked".*?</section>', blocked["console"], re.S)
    assert listed is not None and SPAM_NOTE in listed.group(0)
    blocked["console"] = blocked["console"].replace(listed.group(0), "")
    for place, text in blocked.items():
        assert SPAM_NOTE not in html.unescape(text), place
        assert SPAM_PITCH not in html.unescape(text), place
    assert GOOD_NOTE in blocked["session page"] and GOOD_NOTE in blocked["report.csv"]
    # The console lists the blocked participant, with what they sent, and an Unblock.
    assert f"Participant #{who}" in listed.group(0)
    assert f'action="{block_path(who, "unblock")}"' in listed.group(0)
    # Withheld, not deleted.
    assert server.count(Note, Note.text == SPAM_NOTE) == 1
    assert [p.status for p in server.rows(Pitch, Pitch.title == SPAM_PITCH)] == ["pending"]

    assert host.post(block_path(who, "unblock")).status_code == 303
    back = views(server, reader, host)
    assert SPAM_NOTE in back["session page"] and SPAM_NOTE in back["door sign"] and SPAM_NOTE in back["report.md"]
    assert SPAM_PITCH in back["console"] and 'id="blocked"' not in back["console"]
    assert server.get(Participant, who).blocked_at is None


def test_blocking_is_audited_with_its_figures_as_data(
    server: LiveServer, host: httpx.Client, spammer: httpx.Client
) -> None:
    who = pid(server, spammer)
    host.post(block_path(who))
    host.post(block_path(who))  # again: already blocked, nothing more to log
    host.post(block_path(who, "unblock"))
    entries = server.rows(AuditEntry, AuditEntry.action.startswith("participant."))  # type: ignore[attr-defined]
    assert [(e.action, e.actor, e.subject, e.data) for e in entries] == [
        ("participant.block", "admin", f"participant:{who}", {"participant": who, "notes": 1, "pitches": 1}),
        ("participant.unblock", "admin", f"participant:{who}", {"participant": who, "notes": 1, "pitches": 1}),
    ]
    log = html.unescape(host.get("/e/demo/host").text)
    assert "Participant blocked" in log and f"participant #{who}: 1 notes and 1 waiting pitches withheld" in log


def test_a_blocked_participants_actions_are_refused_kindly_and_change_nothing(
    server: LiveServer, host: httpx.Client, spammer: httpx.Client, neighbour: httpx.Client
) -> None:
    host.post(block_path(pid(server, spammer)))
    slot, other = server.slot(1, "Lokale 1"), server.slot(2, "Lokale 1")
    note = server.rows(Note, Note.text == GOOD_NOTE)[0]
    before = server.dump()
    attempts = {
        "pitch": ("/e/demo/pitches", {"title": "Endnu et"}),
        "interest": (f"/e/demo/pitches/{server.pitch('stress').id}/interest", {}),
        "join": (f"/e/demo/sessions/{other.id}/join", {}),
        "note": (f"/e/demo/sessions/{slot.id}/notes", {"kind": "idea", "text": "Mere"}),
        "support": (f"/e/demo/notes/{note.id}/support", {}),
    }
    for action, (path, data) in attempts.items():
        response = spammer.post(path, data=data)
        assert response.status_code == 403, action
        assert BLOCKED_EN in html.unescape(response.text), action
    assert server.dump() == before
    # htmx: in the page's message area; a Danish phone reads it in Danish.
    spammer.cookies.set("lb_lang", "da", domain="127.0.0.1")
    response = spammer.post(attempts["join"][0], headers=HX)
    assert response.status_code == 403 and response.headers["HX-Retarget"] == "#flash"
    assert BLOCKED_DA in errors(response.text)
    # Leaving gives a seat back, so it still works; other phones are not touched.
    assert spammer.post(f"/e/demo/sessions/{slot.id}/leave").status_code == 303
    assert neighbour.post(attempts["join"][0]).status_code == 303


def test_a_blocked_participants_note_cannot_be_supported(
    server: LiveServer, host: httpx.Client, spammer: httpx.Client, neighbour: httpx.Client
) -> None:
    note = server.rows(Note, Note.text == SPAM_NOTE)[0]
    host.post(block_path(pid(server, spammer)))
    assert neighbour.post(f"/e/demo/notes/{note.id}/support").status_code == 409


def test_the_door_signs_lose_the_notes_live(server: LiveServer, host: httpx.Client, spammer: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    with ExitStack() as stack:
        door = watch(stack, server, "screen", server.version())
        settle(server, 1)
        response = host.post(block_path(pid(server, spammer)))
        assert response.status_code == 303
        frame = door.until(rf'id="door-notes-{slot.id}"')
        section = door_notes(frame, slot.id)  # type: ignore[arg-type]
        assert section is not None and SPAM_NOTE not in html.unescape(section)
        assert "Et prøvehjem" in section  # the others' notes stay


# --- who may block ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["block", "unblock"])
def test_only_hosts_may_block_or_unblock(server: LiveServer, spammer: httpx.Client, action: str) -> None:
    who = pid(server, spammer)
    if action == "unblock":
        server.client(host=True).post(block_path(who))
    lured = server.client(host=True)
    before = server.dump()
    assert server.client().post(block_path(who, action)).status_code == 401  # nobody
    assert spammer.post(block_path(who, action)).status_code == 401  # a participant, even the one blocked
    # A host's browser, made to post from another site.
    assert lured.post(block_path(who, action), headers={"Origin": FOREIGN}).status_code == 403
    assert server.dump() == before
    server.add_account("mette", "host")
    assert server.client(account="mette").post(block_path(who, action)).status_code == 303  # a host
    server.add_account("olga", "organiser")
    assert server.client(account="olga").post(block_path(who, "block")).status_code == 303  # an organiser
    assert (server.get(Participant, who).blocked_at is not None) is True


def test_no_such_participant_is_404(server: LiveServer, host: httpx.Client, spammer: httpx.Client) -> None:
    who = pid(server, spammer)
    before = server.dump()
    for bad in ("abc", "0", "99999999", "-1", "1.5"):
        response = host.post(block_path(bad), headers=HX)
        assert response.status_code == 404, bad
        assert "There is no such participant." in errors(response.text)
    assert host.post(f"/e/nope/host/participants/{who}/block").status_code == 404
    assert server.dump() == before


def test_a_host_blocks_only_in_the_event_the_participant_belongs_to(server: LiveServer, host: httpx.Client) -> None:
    """The same phone at two events is two participants: blocking it at one leaves it free at the other."""
    phone = server.client()
    assert phone.post("/e/demo/pitches", data={"title": "Ved demo"}).status_code == 303
    who = pid(server, phone)
    response = host.post("/host/events", data=new_event())
    assert response.status_code == 303, response.text[:300]
    slug = re.search(r"/e/([^/]+)/host", response.headers["location"]).group(1)  # type: ignore[union-attr]
    # Its id belongs to demo: under the other event's address there is no such participant.
    assert host.post(f"/e/{slug}/host/participants/{who}/block").status_code == 404
    assert server.get(Participant, who).blocked_at is None


def new_event() -> dict[str, str]:
    return {
        "title": "Andet arrangement",
        "slug": "andet",
        "starts": "2030-05-01T18:00",
        "timezone": "Europe/Copenhagen",
        "language": "da",
        "place": "Rådhushallen",
    }


def test_htmx_block_and_unblock_answer_with_the_console(
    server: LiveServer, host: httpx.Client, spammer: httpx.Client
) -> None:
    who = pid(server, spammer)
    console = host.post(block_path(who), headers=HX)
    assert console.status_code == 200 and '<main id="main"' in console.text
    assert f'id="blocked-{who}"' in console.text and SPAM_PITCH not in html.unescape(console.text)
    console = host.post(block_path(who, "unblock"), headers=HX)
    assert 'id="blocked"' not in console.text and SPAM_PITCH in html.unescape(console.text)
