"""Support on notes (+1, once each) from the session page (`POST /e/{slug}/notes/{id}/support`, phone.py).

Against a real server with the demo loaded: round 1 is running now and has notes in Store sal and Lokale 1.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from conftest import HX, LiveServer, errors

from liveboard.models import Note, Participant, Support
from liveboard.models import Session as Slot

FOREIGN = "http://evil.example"


def support_path(note_id: int) -> str:
    return f"/e/demo/notes/{note_id}/support"


def demo_note(server: LiveServer, start: str) -> Note:
    """A demo note by the start of its text."""
    return next(n for n in server.rows(Note) if n.text.startswith(start))


def supporters(server: LiveServer, note: Note) -> int:
    return server.count(Support, Support.note_id == note.id)


def pressed(fragment: str, note_id: int) -> bool:
    """Whether the +1 button of a note is shown pressed, and its count agrees with the class."""
    form = re.search(rf'<form class="support"[^>]*data-note="{note_id}".*?</form>', fragment, re.S)
    assert form, fragment[:1000]
    state = re.search(r'<button type="submit" class="support-button( on)?" aria-pressed="(true|false)"', form.group(0))
    assert state, form.group(0)
    assert bool(state.group(1)) == (state.group(2) == "true")
    return state.group(2) == "true"


def shown_count(fragment: str, note_id: int) -> int:
    form = re.search(rf'<form class="support"[^>]*data-note="{note_id}".*?</form>', fragment, re.S)
    assert form
    found = re.search(r'<span class="count">(\d+)<', form.group(0))
    assert found
    return int(found.group(1))


def hide(server: LiveServer, note: Note, **values: object) -> None:
    """Curation done to the stored row (the host's curation pages are tested on their own)."""
    with server.database.write() as db:
        row = db.get(Note, note.id)
        assert row is not None
        for name, value in {"hidden": True, **values}.items():
            setattr(row, name, value)
        db.add(row)


@pytest.fixture
def note(server: LiveServer) -> Note:
    return demo_note(server, "Et prøvehjem")  # Lokale 1, round 1


# --- once each ------------------------------------------------------------------------------------------------------


def test_support_plain_form_toggles_and_goes_back_to_the_session_page(
    server: LiveServer, client: httpx.Client, note: Note
) -> None:
    start = supporters(server, note)
    version = server.version()
    response = client.post(support_path(note.id))  # type: ignore[arg-type]
    assert response.status_code == 303
    assert response.headers["location"] == f"/e/demo/sessions/{note.session_id}#note-{note.id}"
    assert "lb_pid=" in response.headers["set-cookie"]  # the first action makes the participant
    assert supporters(server, note) == start + 1
    assert server.version() > version
    person = server.participant(client)
    assert person is not None
    assert person.id in {s.participant_id for s in server.rows(Support, Support.note_id == note.id)}

    page = client.get(f"/e/demo/sessions/{note.session_id}").text
    assert pressed(page, note.id) and shown_count(page, note.id) == start + 1  # type: ignore[arg-type]

    assert client.post(support_path(note.id)).status_code == 303  # type: ignore[arg-type]
    assert supporters(server, note) == start
    page = client.get(f"/e/demo/sessions/{note.session_id}").text
    assert not pressed(page, note.id) and shown_count(page, note.id) == start  # type: ignore[arg-type]


def test_support_htmx_answers_the_button(server: LiveServer, client: httpx.Client, note: Note) -> None:
    start = supporters(server, note)
    response = client.post(support_path(note.id), headers=HX)  # type: ignore[arg-type]
    assert response.status_code == 200
    fragment = response.text
    assert fragment.lstrip().startswith('<form class="support"')
    assert f'hx-post="/e/demo/notes/{note.id}/support"' in fragment
    assert pressed(fragment, note.id) and shown_count(fragment, note.id) == start + 1  # type: ignore[arg-type]
    assert "Support this note" in fragment  # the button says what it does, not only "+1"

    again = client.post(support_path(note.id), headers=HX).text  # type: ignore[arg-type]
    assert not pressed(again, note.id) and shown_count(again, note.id) == start  # type: ignore[arg-type]
    assert supporters(server, note) == start


def test_support_counts_are_exact_for_several_people(server: LiveServer, note: Note) -> None:
    start = supporters(server, note)
    people = [server.client() for _ in range(3)]
    for person in people:
        assert person.post(support_path(note.id), headers=HX).status_code == 200  # type: ignore[arg-type]
    assert supporters(server, note) == start + 3
    last = people[-1].post(support_path(note.id), headers=HX).text  # type: ignore[arg-type]
    assert not pressed(last, note.id) and shown_count(last, note.id) == start + 2  # type: ignore[arg-type]
    assert supporters(server, note) == start + 2
    # Each person sees their own mark, and everyone the same count.
    for person, mine in zip(people, (True, True, False), strict=True):
        page = person.get(f"/e/demo/sessions/{note.session_id}").text
        assert pressed(page, note.id) is mine  # type: ignore[arg-type]
        assert shown_count(page, note.id) == start + 2  # type: ignore[arg-type]
    assert server.count(Participant, Participant.id > 0) >= 3


def test_supports_are_per_note(server: LiveServer, client: httpx.Client, note: Note) -> None:
    other = demo_note(server, "Skærmbesøg")  # the same session
    start = (supporters(server, note), supporters(server, other))
    client.post(support_path(note.id))  # type: ignore[arg-type]
    page = client.get(f"/e/demo/sessions/{note.session_id}").text
    assert pressed(page, note.id) and not pressed(page, other.id)  # type: ignore[arg-type]
    assert (supporters(server, note), supporters(server, other)) == (start[0] + 1, start[1])


def test_plain_form_goes_back_to_the_page_it_came_from(server: LiveServer, client: httpx.Client, note: Note) -> None:
    response = client.post(support_path(note.id), headers={"Referer": f"{server.url}/e/demo/report?x=1"})  # type: ignore[arg-type]
    assert response.headers["location"] == f"/e/demo/report?x=1#note-{note.id}"
    # Never to another site, nor to a page of another event.
    for referer in (f"{FOREIGN}/e/demo/report", f"{server.url}/e/other/report", f"{server.url}//evil.example/x"):
        response = client.post(support_path(note.id), headers={"Referer": referer})  # type: ignore[arg-type]
        if referer.startswith(FOREIGN):
            assert response.headers["location"] == f"/e/demo/report#note-{note.id}"
        else:
            assert response.headers["location"] == f"/e/demo/sessions/{note.session_id}#note-{note.id}"


# --- refused ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("how", ["hidden", "merged"])
def test_support_of_a_hidden_or_merged_note_is_409_and_changes_nothing(
    server: LiveServer, client: httpx.Client, note: Note, how: str, htmx: bool
) -> None:
    client.get("/e/demo")  # the participant exists already: nothing is made by the refused request
    if how == "hidden":
        hide(server, note)
    else:
        hide(server, note, hidden=False, merged_into_id=demo_note(server, "Skærmbesøg").id)
    before = server.dump()
    response = client.post(support_path(note.id), headers=HX if htmx else {})  # type: ignore[arg-type]
    assert response.status_code == 409
    assert "no longer shown" in errors(response.text)
    assert server.dump() == before


def test_support_kept_when_a_note_is_hidden_is_not_toggled_further(
    server: LiveServer, client: httpx.Client, note: Note
) -> None:
    client.post(support_path(note.id))  # type: ignore[arg-type]
    hide(server, note)
    before = server.dump()
    assert client.post(support_path(note.id)).status_code == 409  # type: ignore[arg-type]
    assert server.dump() == before


@pytest.mark.parametrize("note_id", ["999999", "abc", "0"])
def test_support_of_an_unknown_note_is_404_and_changes_nothing(
    server: LiveServer, client: httpx.Client, note_id: str
) -> None:
    before = server.dump()
    for headers in ({}, HX):
        response = client.post(f"/e/demo/notes/{note_id}/support", headers=headers)
        assert response.status_code == 404
        assert "There is no such note." in errors(response.text)
    assert server.dump() == before


def test_support_of_another_events_note_is_404(server: LiveServer, client: httpx.Client, note: Note) -> None:
    assert client.post(f"/e/no-such-event/notes/{note.id}/support").status_code == 404


def test_support_cross_site_is_refused(server: LiveServer, client: httpx.Client, note: Note) -> None:
    before = server.dump()
    response = client.post(support_path(note.id), headers={"Origin": FOREIGN})  # type: ignore[arg-type]
    assert response.status_code == 403
    assert server.dump() == before


# --- the session page lists the notes ---------------------------------------------------------------------------------


def test_session_page_lists_its_shown_notes_newest_first_with_their_buttons(
    server: LiveServer, client: httpx.Client, note: Note
) -> None:
    older = demo_note(server, "Skærmbesøg")
    elsewhere = demo_note(server, "Én fast kontaktperson")  # Store sal
    page = client.get(f"/e/demo/sessions/{note.session_id}").text
    assert f'action="/e/demo/notes/{note.id}/support"' in page
    assert f'action="/e/demo/notes/{older.id}/support"' in page
    assert f'action="/e/demo/notes/{elsewhere.id}/support"' not in page
    newest, oldest = sorted((note, older), key=lambda n: n.created_at, reverse=True)
    assert page.index(f'id="note-{newest.id}"') < page.index(f'id="note-{oldest.id}"')
    assert "– Jens" in page  # the author, when given

    hide(server, older)
    page = client.get(f"/e/demo/sessions/{note.session_id}").text
    assert f'id="note-{older.id}"' not in page and f'id="note-{note.id}"' in page


def test_session_page_without_notes_says_so(server: LiveServer, client: httpx.Client) -> None:
    page = client.get(f"/e/demo/sessions/{server.slot(2, 'Store sal').id}").text
    assert "No notes yet." in page
    assert "/support" not in page


def test_note_text_is_escaped_on_the_session_page(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    assert client.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    text = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    response = client.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": "proposal", "text": text})
    assert response.status_code == 303
    page = client.get(f"/e/demo/sessions/{slot.id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape(text) in page or "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img" in page


def test_capture_support_and_door_sign_on_postgresql(pg_server: LiveServer) -> None:
    """The same rules on PostgreSQL: a note by key, +1 once each, and the door sign's query of the latest notes."""
    server = pg_server
    host, taker, person = server.client(host=True), server.client(), server.client()
    slot = server.slot(1, "Lokale 1")
    assert host.post(f"/e/demo/host/sessions/{slot.id}/note-key").status_code == 303
    key = server.get(Slot, slot.id).note_key
    response = taker.post(f"/e/demo/sessions/{slot.id}/take", data={"key": key, "kind": "idea", "text": "<i>PG</i>"})
    assert response.status_code == 303
    assert (
        taker.post(f"/e/demo/sessions/{slot.id}/take", data={"key": "x", "kind": "idea", "text": "x"}).status_code
        == 403
    )
    note = server.rows(Note, Note.text == "<i>PG</i>")[0]
    assert person.post(support_path(note.id), headers=HX).status_code == 200  # type: ignore[arg-type]
    assert supporters(server, note) == 1
    assert person.post(support_path(note.id), headers=HX).status_code == 200  # type: ignore[arg-type]
    assert supporters(server, note) == 0
    door = person.get(f"/e/demo/screen?room={slot.room_id}").text
    assert '<span class="text" lang="da">&lt;i&gt;PG&lt;/i&gt;</span>' in door
    assert f'id="note-{note.id}"' in person.get(f"/e/demo/sessions/{slot.id}").text
