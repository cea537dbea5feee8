"""The participant's phone (`liveboard/web/views/phone.py`): the page, pitches, interest, join/leave, notes.

Against a real server with the demo loaded: round 1 is running now, Caféen is exactly full in it, round 2 and 3
have empty sessions.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from conftest import HX, LiveServer, errors, first_id, has_id, out_of_band

from liveboard.models import Interest, Note, Participant, Pitch, Presence


def presences_in_round(server: LiveServer, who: httpx.Client, round_number: int) -> list[Presence]:
    person = server.participant(who)
    assert person is not None
    round_ = server.round(round_number)
    return server.rows(Presence, Presence.participant_id == person.id, Presence.round_id == round_.id)


# --- the page ------------------------------------------------------------------------------------------------


def test_phone_page_shows_the_board_and_only_approved_pitches(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for element in ('id="board"', 'id="pitch-form"', 'id="my-evening"', 'id="pitches"', 'id="announcement"'):
        assert element in page
    assert html.escape(server.pitch("stress").title) in page
    assert html.escape(server.pitch("motion").title) not in page  # pending
    assert html.escape(server.pitch("parkering").title) not in page  # rejected
    assert "Velkommen!" in page  # the demo's announcement


def test_phone_page_marks_my_session(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    assert client.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    page = client.get("/e/demo").text
    assert re.search(rf'<li\b(?=[^>]*\bid="session-{slot.id}")(?=[^>]*class="[^"]*\bmine\b)', page)
    assert f"/e/demo/sessions/{slot.id}/notes" in page  # the note form of the session I am in now


def test_unknown_event_is_404(client: httpx.Client) -> None:
    assert client.get("/e/no-such-event").status_code == 404
    assert client.get("/e/no-such-event/sessions/1").status_code == 404


def test_session_page_has_the_im_here_join_form(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    response = client.get(f"/e/demo/sessions/{slot.id}")
    assert response.status_code == 200
    assert html.escape(server.pitch("teknologi").title) in response.text
    assert f'action="/e/demo/sessions/{slot.id}/join"' in response.text
    assert "I&#39;m here" in response.text or "I'm here" in response.text


def test_session_page_after_joining_says_checked_in(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    client.post(f"/e/demo/sessions/{slot.id}/join")
    page = client.get(f"/e/demo/sessions/{slot.id}").text
    assert "You are checked in here." in page
    assert f'action="/e/demo/sessions/{slot.id}/join"' not in page


def test_session_page_of_a_full_session_offers_no_join(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Caféen")
    page = client.get(f"/e/demo/sessions/{slot.id}").text
    assert "Full" in page
    assert f'action="/e/demo/sessions/{slot.id}/join"' not in page


@pytest.mark.parametrize("session_id", ["999999", "abc", "0"])
def test_session_page_unknown_session_is_404(client: httpx.Client, session_id: str) -> None:
    assert client.get(f"/e/demo/sessions/{session_id}").status_code == 404


# --- pitches -------------------------------------------------------------------------------------------------


def test_pitch_plain_form_redirects_and_is_pending(server: LiveServer, client: httpx.Client) -> None:
    response = client.post(
        "/e/demo/pitches", data={"title": "  Cykelstier til skolen  ", "story": "Sikre veje.", "author": "Ida"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/e/demo?sent=1#pitch-form"
    pitch = server.rows(Pitch, Pitch.title == "Cykelstier til skolen")[0]  # trimmed
    assert (pitch.status, pitch.story, pitch.author, pitch.source) == ("pending", "Sikre veje.", "Ida", "phone")
    person = server.participant(client)
    assert person is not None and pitch.participant_id == person.id
    public = client.get("/api/events/demo").json()
    assert pitch.id not in {p["id"] for p in public["pitches"]}


def test_pitch_htmx_gets_the_form_fragment(server: LiveServer, client: httpx.Client) -> None:
    response = client.post("/e/demo/pitches", data={"title": "Fællesspisning"}, headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == "pitch-form"
    assert "Thank you!" in response.text
    assert server.count(Pitch, Pitch.title == "Fællesspisning") == 1


def test_pitch_title_of_80_chars_is_accepted(server: LiveServer, client: httpx.Client) -> None:
    title = "T" * 80
    assert (
        client.post("/e/demo/pitches", data={"title": title, "story": "s" * 600, "author": "a" * 60}).status_code == 303
    )
    assert server.count(Pitch, Pitch.title == title) == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"title": ""}, ["Title", "required"]),
        ({"title": "   "}, ["Title", "required"]),
        ({}, ["Title", "required"]),
        ({"title": "T" * 81}, ["Title", "80", "81"]),
        ({"title": "ok", "story": "s" * 601}, ["Story", "600"]),
        ({"title": "ok", "author": "a" * 61}, ["Name", "60"]),
        ({"title": "bad\x00title"}, ["Title", "not allowed"]),
    ],
    ids=["empty", "blank", "missing", "81-chars", "story-601", "author-61", "control-char"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_pitch_bad_input_is_422_and_changes_nothing(
    server: LiveServer, client: httpx.Client, fields: dict[str, str], words: list[str], htmx: bool
) -> None:
    before = server.dump()
    response = client.post("/e/demo/pitches", data=fields, headers=HX if htmx else {})
    assert response.status_code == 422
    message = errors(response.text)
    for word in words:
        assert word in message
    assert server.dump() == before
    if htmx:
        assert 'id="pitch-form"' in response.text


def test_pitch_bad_input_keeps_what_was_typed(client: httpx.Client) -> None:
    response = client.post("/e/demo/pitches", data={"title": "T" * 81, "story": "Min historie"}, headers=HX)
    assert response.status_code == 422
    assert "Min historie" in response.text


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_pitch_when_pitching_is_closed_is_409(
    server: LiveServer, client: httpx.Client, host: httpx.Client, htmx: bool
) -> None:
    assert host.post("/e/demo/host/pitching", data={"open": "0"}).status_code == 303
    assert "Pitching is closed" in client.get("/e/demo").text
    before = server.dump()
    response = client.post("/e/demo/pitches", data={"title": "For sent"}, headers=HX if htmx else {})
    assert response.status_code == 409
    assert "Pitching is closed" in response.text
    assert server.dump() == before


def test_pitch_to_unknown_event_is_404(server: LiveServer, client: httpx.Client) -> None:
    before = server.dump()
    assert client.post("/e/nope/pitches", data={"title": "x"}).status_code == 404
    assert server.dump() == before


# --- interest ------------------------------------------------------------------------------------------------


def test_interest_toggles_on_then_off(server: LiveServer, client: httpx.Client) -> None:
    pitch = server.pitch("paedagogik")
    start = server.interest(pitch)
    response = client.post(f"/e/demo/pitches/{pitch.id}/interest")
    assert response.status_code == 303
    assert response.headers["location"] == f"/e/demo#pitch-{pitch.id}"
    assert server.interest(pitch) == start + 1
    person = server.participant(client)
    assert person is not None
    assert server.count(Interest, Interest.pitch_id == pitch.id, Interest.participant_id == person.id) == 1
    assert client.post(f"/e/demo/pitches/{pitch.id}/interest").status_code == 303
    assert server.interest(pitch) == start
    assert server.count(Interest, Interest.participant_id == person.id) == 0


def test_interest_counts_once_per_person(server: LiveServer, client: httpx.Client) -> None:
    pitch = server.pitch("foreninger")
    start = server.interest(pitch)
    other = server.client()
    client.post(f"/e/demo/pitches/{pitch.id}/interest")
    other.post(f"/e/demo/pitches/{pitch.id}/interest")
    assert server.interest(pitch) == start + 2
    api = {p["id"]: p["interest"] for p in client.get("/api/events/demo").json()["pitches"]}
    assert api[pitch.id] == start + 2


def test_interest_htmx_returns_the_pitch(server: LiveServer, client: httpx.Client) -> None:
    pitch = server.pitch("foreninger")
    start = server.interest(pitch)
    response = client.post(f"/e/demo/pitches/{pitch.id}/interest", headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == f"pitch-{pitch.id}"
    assert 'aria-pressed="true"' in response.text
    assert f'id="interest-{pitch.id}"' in response.text
    # The count says what it counts, to a screen reader: "8 people interested".
    count = f'id="interest-{pitch.id}">{start + 1}<span class="visually-hidden"> people interested</span></span>'
    assert count in response.text
    off = client.post(f"/e/demo/pitches/{pitch.id}/interest", headers=HX)
    assert 'aria-pressed="false"' in off.text


@pytest.mark.parametrize("key", ["motion", "parkering"], ids=["pending", "rejected"])
def test_interest_on_a_pitch_not_approved_is_409(server: LiveServer, client: httpx.Client, key: str) -> None:
    pitch = server.pitch(key)
    before = server.dump()
    response = client.post(f"/e/demo/pitches/{pitch.id}/interest")
    assert response.status_code == 409
    assert "approved" in errors(response.text)
    assert server.dump() == before


def test_interest_on_a_merged_pitch_is_409(server: LiveServer, client: httpx.Client, host: httpx.Client) -> None:
    duplicate, target = server.pitch("stress-igen"), server.pitch("stress")
    host.post(f"/e/demo/host/pitches/{duplicate.id}/merge", data={"into": target.id})
    before = server.dump()
    assert client.post(f"/e/demo/pitches/{duplicate.id}/interest").status_code == 409
    assert server.dump() == before


@pytest.mark.parametrize("pitch_id", ["999999", "abc"])
def test_interest_on_unknown_pitch_is_404(server: LiveServer, client: httpx.Client, pitch_id: str) -> None:
    before = server.dump()
    assert client.post(f"/e/demo/pitches/{pitch_id}/interest").status_code == 404
    assert client.post(f"/e/demo/pitches/{pitch_id}/interest", headers=HX).status_code == 404
    assert server.dump() == before


def test_interest_htmx_with_zero_padded_id_is_not_a_server_error(server: LiveServer, client: httpx.Client) -> None:
    pitch = server.pitch("foreninger")
    response = client.post(f"/e/demo/pitches/00{pitch.id}/interest", headers=HX)
    assert response.status_code in (200, 404)


# --- join and leave ------------------------------------------------------------------------------------------


def test_join_plain_redirects_and_checks_in(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(2, "Store sal")
    response = client.post(f"/e/demo/sessions/{slot.id}/join")
    assert response.status_code == 303
    assert response.headers["location"] == "/e/demo#my-evening"
    assert [p.session_id for p in presences_in_round(server, client, 2)] == [slot.id]
    assert server.present(slot) == 1


@pytest.mark.parametrize("action", ["join", "leave"])
def test_join_or_leave_htmx_gets_my_evening_and_my_marks(server: LiveServer, client: httpx.Client, action: str) -> None:
    """At a round start hundreds of phones join at once: each reply renders only what is this person's (where
    to go now, the marks that show "mine" on the board), read without the whole board. The board's counts come
    over the socket, rendered once for everyone (tests/live)."""
    slot = server.slot(1, "Lokale 2")
    if action == "leave":
        client.post(f"/e/demo/sessions/{slot.id}/join")
    response = client.post(f"/e/demo/sessions/{slot.id}/{action}", headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == "my-evening"
    assert out_of_band(response.text, "my-marks")
    assert f'data-sessions="{slot.id if action == "join" else ""}"' in response.text
    assert not has_id(response.text, "board")
    title = html.escape(server.pitch("ensomhed").title)
    assert (title in response.text) is (action == "join")
    # The same region as the page's own, which reads it from the whole board.
    mine = client.get("/e/demo/me", headers=HX)
    assert response.text.split('<i id="my-marks"')[0].strip() == mine.text.strip()


def test_the_join_answer_shared_by_a_hall_follows_an_edited_title_and_each_language(
    server: LiveServer, client: httpx.Client
) -> None:
    """Everyone joining the same session gets the same "where do I go now", rendered once (`phone_parts.Answers`):
    what it shows is its key, so a host's edit of the title shows in the next answer, and a Danish phone gets
    Danish."""
    slot = server.slot(1, "Lokale 2")
    first = client.post(f"/e/demo/sessions/{slot.id}/join", headers=HX).text
    second = server.client().post(f"/e/demo/sessions/{slot.id}/join", headers=HX).text
    assert first.split('<i id="my-marks"')[0] == second.split('<i id="my-marks"')[0]
    host = server.client(host=True)
    pitch = server.get(Pitch, slot.pitch_id)
    edited = host.post(
        f"/e/demo/host/pitches/{pitch.id}/edit", data={"title": "Rettet titel", "story": "", "author": ""}
    )
    assert edited.status_code == 303
    third = server.client().post(f"/e/demo/sessions/{slot.id}/join", headers=HX).text
    assert "Rettet titel" in third and html.escape(pitch.title) not in third
    danish = server.client(lang="da").post(f"/e/demo/sessions/{slot.id}/join", headers=HX).text
    assert "Hvor skal jeg hen nu?" in danish and "Where do I go now?" in third


def test_join_moves_me_out_of_the_other_session_of_that_round(server: LiveServer, client: httpx.Client) -> None:
    a, b = server.slot(1, "Lokale 1"), server.slot(1, "Lokale 2")
    count_a, count_b = server.present(a), server.present(b)
    client.post(f"/e/demo/sessions/{a.id}/join")
    assert (server.present(a), server.present(b)) == (count_a + 1, count_b)
    client.post(f"/e/demo/sessions/{b.id}/join")
    assert (server.present(a), server.present(b)) == (count_a, count_b + 1)
    assert [p.session_id for p in presences_in_round(server, client, 1)] == [b.id]
    api = {s["id"]: s["present"] for s in client.get("/api/events/demo").json()["sessions"]}
    assert (api[a.id], api[b.id]) == (count_a, count_b + 1)


def test_join_in_another_round_keeps_both(server: LiveServer, client: httpx.Client) -> None:
    first, second = server.slot(1, "Lokale 1"), server.slot(2, "Lokale 1")
    client.post(f"/e/demo/sessions/{first.id}/join")
    client.post(f"/e/demo/sessions/{second.id}/join")
    person = server.participant(client)
    assert person is not None
    assert {p.session_id for p in server.rows(Presence, Presence.participant_id == person.id)} == {first.id, second.id}


def test_join_twice_counts_once(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(2, "Lokale 3")
    client.post(f"/e/demo/sessions/{slot.id}/join")
    assert client.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    assert server.present(slot) == 1


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_join_a_full_session_is_409(server: LiveServer, client: httpx.Client, htmx: bool) -> None:
    snapshot = client.get("/api/events/demo").json()
    capacity = {r["id"]: r["capacity"] for r in snapshot["rooms"]}
    full = [s for s in snapshot["sessions"] if s["present"] >= capacity[s["room_id"]]]
    assert full, "the demo has an exactly full session"
    before = server.dump()
    response = client.post(f"/e/demo/sessions/{full[0]['id']}/join", headers=HX if htmx else {})
    assert response.status_code == 409
    assert "full" in errors(response.text)
    assert server.dump() == before


def test_join_full_session_keeps_me_where_i_was(server: LiveServer, client: httpx.Client) -> None:
    mine, full = server.slot(1, "Lokale 1"), server.slot(1, "Caféen")
    client.post(f"/e/demo/sessions/{mine.id}/join")
    assert client.post(f"/e/demo/sessions/{full.id}/join").status_code == 409
    assert [p.session_id for p in presences_in_round(server, client, 1)] == [mine.id]


@pytest.mark.parametrize("action", ["join", "leave"])
@pytest.mark.parametrize("session_id", ["999999", "abc"])
def test_join_or_leave_unknown_session_is_404(
    server: LiveServer, client: httpx.Client, action: str, session_id: str
) -> None:
    before = server.dump()
    assert client.post(f"/e/demo/sessions/{session_id}/{action}").status_code == 404
    assert server.dump() == before


def test_leave_plain_and_htmx(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Store sal")
    start = server.present(slot)
    client.post(f"/e/demo/sessions/{slot.id}/join")
    assert server.present(slot) == start + 1
    response = client.post(f"/e/demo/sessions/{slot.id}/leave")
    assert response.status_code == 303
    assert response.headers["location"] == "/e/demo#board"
    assert server.present(slot) == start
    assert presences_in_round(server, client, 1) == []
    client.post(f"/e/demo/sessions/{slot.id}/join")
    response = client.post(f"/e/demo/sessions/{slot.id}/leave", headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == "my-evening"
    assert out_of_band(response.text, "my-marks")
    assert server.present(slot) == start


def test_leave_a_session_i_am_not_in_changes_no_counts(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Store sal")
    start = server.present(slot)
    assert client.post(f"/e/demo/sessions/{slot.id}/leave").status_code == 303
    assert server.present(slot) == start


# --- notes ---------------------------------------------------------------------------------------------------


def checked_in(server: LiveServer, who: httpx.Client) -> int:
    """Check `who` in to a session of the round running now; its id."""
    slot = server.slot(1, "Lokale 1")
    assert who.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    return slot.id  # type: ignore[return-value]


@pytest.mark.parametrize("kind", ["idea", "experience", "proposal"])
def test_note_plain_form(server: LiveServer, client: httpx.Client, kind: str) -> None:
    session_id = checked_in(server, client)
    response = client.post(f"/e/demo/sessions/{session_id}/notes", data={"kind": kind, "text": "  Godt møde  "})
    assert response.status_code == 303
    assert response.headers["location"] == "/e/demo?noted=1#my-evening"
    note = server.rows(Note, Note.text == "Godt møde")[0]
    person = server.participant(client)
    assert person is not None
    assert (note.kind, note.session_id, note.pitch_id, note.participant_id) == (
        kind,
        session_id,
        server.pitch("teknologi").id,
        person.id,
    )


def test_note_htmx_gets_my_evening(server: LiveServer, client: httpx.Client) -> None:
    session_id = checked_in(server, client)
    response = client.post(
        f"/e/demo/sessions/{session_id}/notes", data={"kind": "idea", "text": "x" * 1000}, headers=HX
    )
    assert response.status_code == 200
    assert first_id(response.text) == "my-evening"
    assert "your note is saved" in response.text
    assert server.count(Note, Note.text == "x" * 1000) == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "rant", "text": "hej"}, ["Kind", "idea, experience, proposal"]),
        ({"text": "hej"}, ["Kind", "idea, experience, proposal"]),
        ({"kind": "idea", "text": ""}, ["Text", "required"]),
        ({"kind": "idea", "text": "   "}, ["Text", "required"]),
        ({"kind": "idea", "text": "x" * 1001}, ["Text", "1000", "1001"]),
    ],
    ids=["bad-kind", "no-kind", "empty", "blank", "1001-chars"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_note_bad_input_is_422_and_changes_nothing(
    server: LiveServer, client: httpx.Client, fields: dict[str, str], words: list[str], htmx: bool
) -> None:
    session_id = checked_in(server, client)
    before = server.dump()
    response = client.post(f"/e/demo/sessions/{session_id}/notes", data=fields, headers=HX if htmx else {})
    assert response.status_code == 422
    message = errors(response.text)
    for word in words:
        assert word in message
    assert server.dump() == before


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_note_bad_input_when_not_checked_in_is_422_with_message(
    server: LiveServer, client: httpx.Client, htmx: bool
) -> None:
    slot = server.slot(2, "Store sal")  # a later round: nobody is "here" yet
    before = server.dump()
    response = client.post(
        f"/e/demo/sessions/{slot.id}/notes", data={"kind": "rant", "text": "x"}, headers=HX if htmx else {}
    )
    assert response.status_code == 422
    assert "idea, experience, proposal" in errors(response.text)
    assert server.dump() == before


@pytest.mark.parametrize("session_id", ["999999", "abc"])
def test_note_to_unknown_session_is_404(server: LiveServer, client: httpx.Client, session_id: str) -> None:
    before = server.dump()
    assert client.post(f"/e/demo/sessions/{session_id}/notes", data={"kind": "idea", "text": "x"}).status_code == 404
    assert server.dump() == before


def test_first_action_creates_one_participant_and_sets_the_cookie(server: LiveServer) -> None:
    fresh = server.client()
    before = server.count(Participant)
    slot = server.slot(2, "Lokale 1")
    response = fresh.post(f"/e/demo/sessions/{slot.id}/join")
    assert response.status_code == 303
    assert "lb_pid=" in response.headers["set-cookie"]
    fresh.post(f"/e/demo/pitches/{server.pitch('stress').id}/interest")
    assert server.count(Participant) == before + 1


# --- the pitch queue's rate limit --------------------------------------------------------------------------------


def test_one_phone_sending_too_many_pitches_is_slowed_down(server: LiveServer, client: httpx.Client) -> None:
    for number in range(20):
        assert client.post("/e/demo/pitches", data={"title": f"Idé {number}"}).status_code == 303
    before = server.dump()
    response = client.post("/e/demo/pitches", data={"title": "Én for meget"})
    assert response.status_code == 429
    assert server.dump() == before


def test_a_script_dropping_its_cookie_cannot_flood_the_pitch_queue(server: LiveServer, client: httpx.Client) -> None:
    codes = []
    for number in range(100):
        client.cookies.delete("lb_pid")
        codes.append(client.post("/e/demo/pitches", data={"title": f"Spam {number}"}).status_code)
    assert 429 in codes
