"""A session's note-taker (`liveboard/web/views/notetaker.py`): the host makes a link with a key for one session,
the note-taker opens it without the host password and writes notes into that session only.

Against a real server with the demo loaded: round 1 is running now.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from conftest import HX, LiveServer, errors, first_id, out_of_band

from liveboard.models import AuditEntry, Note
from liveboard.models import Session as Slot

FOREIGN = "http://evil.example"
DENIED = "This note-taker link is not valid (any more). Ask a host for a new one."


def key_path(session_id: int) -> str:
    return f"/e/demo/host/sessions/{session_id}/note-key"


def take_path(session_id: int) -> str:
    return f"/e/demo/sessions/{session_id}/take"


def make_key(server: LiveServer, host: httpx.Client, session_id: int) -> str:
    """The host makes (or remakes) a session's note-taker link; the key in it."""
    response = host.post(key_path(session_id))
    assert response.status_code == 303, response.text[:500]
    key = server.get(Slot, session_id).note_key
    assert key
    return key


def note_fields(key: str, text: str = "Flere bænke ved busstoppet", kind: str = "idea", author: str = "") -> dict:
    return {"key": key, "kind": kind, "text": text, "author": author}


@pytest.fixture
def slot(server: LiveServer) -> Slot:
    """A session of the round running now."""
    return server.slot(1, "Lokale 1")


@pytest.fixture
def other(server: LiveServer) -> Slot:
    """Another session, in another room of the same round."""
    return server.slot(1, "Store sal")


@pytest.fixture
def taker(server: LiveServer) -> httpx.Client:
    """The note-taker's browser: no host login, no participant cookie."""
    return server.client()


# --- the host makes the link ------------------------------------------------------------------------------------


def test_console_grid_links_every_session_to_its_note_taker_link(server: LiveServer, host: httpx.Client) -> None:
    page = host.get("/e/demo/host").text
    for number, room in ((1, "Lokale 1"), (2, "Store sal"), (3, "Lokale 2")):
        assert f'href="{key_path(server.slot(number, room).id)}"' in page


def test_link_page_without_a_link_offers_to_make_one(server: LiveServer, host: httpx.Client, slot: Slot) -> None:
    response = host.get(key_path(slot.id))
    assert response.status_code == 200
    assert "no note-taker link yet" in response.text
    assert f'action="{key_path(slot.id)}"' in response.text
    assert "/take?key=" not in response.text
    assert html.escape(server.pitch("teknologi").title) in response.text


def test_host_makes_a_link_plain_form_goes_to_its_page_with_link_and_qr(
    server: LiveServer, host: httpx.Client, slot: Slot
) -> None:
    version = server.version()
    response = host.post(key_path(slot.id))
    assert response.status_code == 303
    assert response.headers["location"] == f"{key_path(slot.id)}?made=1"
    key = server.get(Slot, slot.id).note_key
    assert key and len(key) >= 32
    assert server.version() > version
    assert server.audit()[-1].action == "note.key"
    assert server.audit()[-1].subject == f"session:{slot.id}"

    page = host.get(response.headers["location"])
    assert page.status_code == 200
    link = f"{server.url}/e/demo/sessions/{slot.id}/take?key={key}"
    assert f'value="{link}"' in page.text  # absolute, to copy and send
    assert '<svg class="qr"' in page.text
    assert "Older links for this session no longer work." in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


def test_host_makes_a_link_htmx_gets_the_link_fragment(server: LiveServer, host: httpx.Client, slot: Slot) -> None:
    response = host.post(key_path(slot.id), headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == "note-key"
    key = server.get(Slot, slot.id).note_key
    assert f"/e/demo/sessions/{slot.id}/take?key={key}" in response.text
    assert '<svg class="qr"' in response.text


def test_a_new_link_revokes_the_old_one(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot
) -> None:
    old = make_key(server, host, slot.id)
    assert taker.get(take_path(slot.id), params={"key": old}).status_code == 200
    new = make_key(server, host, slot.id)
    assert new != old
    assert taker.get(take_path(slot.id), params={"key": old}).status_code == 403
    before = server.dump()
    assert taker.post(take_path(slot.id), data=note_fields(old)).status_code == 403
    assert server.dump() == before
    assert taker.get(take_path(slot.id), params={"key": new}).status_code == 200


def test_making_a_link_needs_a_host(server: LiveServer, slot: Slot) -> None:
    stranger = server.client()
    before = server.dump()
    for headers in ({}, HX):
        response = stranger.post(key_path(slot.id), headers=headers)
        assert response.status_code == 401
        assert "Host login required" in response.text
    assert server.dump() == before
    assert server.get(Slot, slot.id).note_key is None


def test_link_page_needs_a_host(server: LiveServer, host: httpx.Client, slot: Slot) -> None:
    make_key(server, host, slot.id)
    stranger = server.client()
    response = stranger.get(key_path(slot.id))
    assert response.status_code == 303
    assert response.headers["location"] == f"/host/login?next={key_path(slot.id)}"
    assert stranger.get(key_path(slot.id), headers=HX).status_code == 401
    assert server.get(Slot, slot.id).note_key not in stranger.get(key_path(slot.id)).text


def test_making_a_link_cross_site_is_refused(server: LiveServer, host: httpx.Client, slot: Slot) -> None:
    before = server.dump()
    response = host.post(key_path(slot.id), headers={"Origin": FOREIGN})
    assert response.status_code == 403
    assert server.dump() == before


@pytest.mark.parametrize("session_id", ["999999", "abc"])
def test_making_a_link_for_an_unknown_session_is_404(server: LiveServer, host: httpx.Client, session_id: str) -> None:
    before = server.dump()
    assert host.post(key_path(session_id)).status_code == 404  # type: ignore[arg-type]
    assert host.get(key_path(session_id)).status_code == 404  # type: ignore[arg-type]
    assert server.dump() == before


# --- the note-taker's page --------------------------------------------------------------------------------------


def test_take_page_with_the_key(server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot) -> None:
    key = make_key(server, host, slot.id)
    response = taker.get(take_path(slot.id), params={"key": key})
    assert response.status_code == 200
    page = response.text
    assert html.escape(server.pitch("teknologi").title) in page
    assert "Lokale 1" in page and "Runde 1" in page
    assert re.search(r'<textarea id="take-text" name="text"[^>]*\brequired\b[^>]*\bautofocus\b', page)
    assert '<label for="take-text">' in page and '<label for="take-author">' in page
    for kind in ("idea", "experience", "proposal"):
        assert f'type="radio" name="kind" value="{kind}"' in page
    assert f'<input type="hidden" name="key" value="{key}">' in page
    assert f'hx-post="{take_path(slot.id)}"' in page and f'action="{take_path(slot.id)}"' in page
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    # The notes taken so far in this session: the demo's, and no other session's.
    assert "Et prøvehjem" in page
    assert "Én fast kontaktperson" not in page  # a note of Store sal
    # No host login was needed, and none was given.
    assert "lb_host" not in taker.cookies


def test_take_page_language_switch_keeps_the_key(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot
) -> None:
    key = make_key(server, host, slot.id)
    page = taker.get(take_path(slot.id), params={"key": key}).text
    assert f'href="?key={key}&amp;lang=da"' in page


@pytest.mark.parametrize("which", ["missing", "empty", "wrong", "other-session", "old"])
def test_take_page_with_a_bad_key_is_403_and_says_nothing_of_the_session(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot, other: Slot, which: str
) -> None:
    key = make_key(server, host, slot.id)
    keys = {
        "missing": None,
        "empty": "",
        "wrong": key[:-2] + ("AA" if not key.endswith("AA") else "BB"),
        "other-session": make_key(server, host, other.id),
        "old": key,
    }
    if which == "old":
        make_key(server, host, slot.id)
    params = {} if keys[which] is None else {"key": keys[which]}
    for headers in ({}, HX):
        response = taker.get(take_path(slot.id), params=params, headers=headers)
        assert response.status_code == 403
        assert DENIED in html.unescape(response.text)
        for secret in (server.pitch("teknologi").title, "Lokale 1", "Et prøvehjem", server.get(Slot, slot.id).note_key):
            assert html.escape(secret) not in response.text and secret not in response.text


def test_a_key_opens_only_its_own_session(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot, other: Slot
) -> None:
    mine = make_key(server, host, slot.id)
    theirs = make_key(server, host, other.id)
    assert taker.get(take_path(other.id), params={"key": mine}).status_code == 403
    assert taker.get(take_path(slot.id), params={"key": theirs}).status_code == 403
    before = server.dump()
    for headers in ({}, HX):
        assert taker.post(take_path(other.id), data=note_fields(mine), headers=headers).status_code == 403
        assert taker.post(take_path(slot.id), data=note_fields(theirs), headers=headers).status_code == 403
    assert server.dump() == before
    # And a session that has no link of its own is not opened by another's.
    third = server.slot(1, "Lokale 2")
    assert server.get(Slot, third.id).note_key is None
    assert taker.get(take_path(third.id), params={"key": mine}).status_code == 403
    assert taker.post(take_path(third.id), data=note_fields(mine)).status_code == 403
    assert server.dump() == before


@pytest.mark.parametrize("session_id", ["999999", "abc"])
def test_take_page_of_an_unknown_session_is_404(taker: httpx.Client, session_id: str) -> None:
    assert taker.get(f"/e/demo/sessions/{session_id}/take", params={"key": "x"}).status_code == 404


# --- taking notes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["idea", "experience", "proposal"])
def test_take_a_note_plain_form(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot, kind: str
) -> None:
    key = make_key(server, host, slot.id)
    version = server.version()
    response = taker.post(take_path(slot.id), data=note_fields(key, "  Lån teknologien først  ", kind, " Aase "))
    assert response.status_code == 303
    assert response.headers["location"] == f"{take_path(slot.id)}?key={key}&saved=1&kind={kind}#take-form"
    assert server.version() > version
    note = server.rows(Note, Note.text == "Lån teknologien først")[0]
    assert (note.kind, note.author, note.source, note.session_id, note.pitch_id, note.participant_id) == (
        kind,
        "Aase",
        "taker",
        slot.id,
        server.pitch("teknologi").id,
        None,
    )
    page = taker.get(response.headers["location"]).text
    assert "Saved. Write the next one." in page
    assert re.search(rf'value="{kind}" required checked', page)  # the kind stays chosen
    assert "Lån teknologien først" in page
    assert "lb_pid" not in taker.cookies  # a note-taker is not made a participant


def test_take_a_note_htmx_swaps_the_form_and_the_list(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot
) -> None:
    key = make_key(server, host, slot.id)
    first = taker.post(take_path(slot.id), data=note_fields(key, "Første note", "proposal"), headers=HX)
    assert first.status_code == 200
    second = taker.post(take_path(slot.id), data=note_fields(key, "Anden note", "proposal", "Bo"), headers=HX)
    assert second.status_code == 200
    fragment = second.text
    assert first_id(fragment) == "take-form"
    assert out_of_band(fragment, "take-notes")
    assert "Saved. Write the next one." in fragment
    # The form is emptied for the next note; the kind stays; the focus goes back to the text.
    form = fragment[: fragment.index('id="take-notes"')]
    assert re.search(r'<textarea id="take-text"[^>]*\bautofocus\b[^>]*></textarea>', form)
    assert 'value="proposal" required checked' in form
    assert 'value=""' in form  # the name field, empty
    # The list, newest first.
    notes = fragment[fragment.index('id="take-notes"') :]
    assert notes.index("Anden note") < notes.index("Første note") < notes.index("Et prøvehjem")
    assert "– Bo" in notes
    assert server.count(Note, Note.source == "taker", Note.session_id == slot.id) == 2


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "rant", "text": "hej"}, ["Kind", "idea, experience, proposal"]),
        ({"text": "hej"}, ["Kind", "idea, experience, proposal"]),
        ({"kind": "idea", "text": ""}, ["Text", "required"]),
        ({"kind": "idea", "text": "   "}, ["Text", "required"]),
        ({"kind": "idea", "text": "x" * 1001}, ["Text", "1000", "1001"]),
        ({"kind": "idea", "text": "hej", "author": "n" * 61}, ["Name", "60"]),
    ],
    ids=["bad-kind", "no-kind", "empty", "blank", "1001-chars", "long-name"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_take_bad_input_is_422_and_changes_nothing(
    server: LiveServer,
    host: httpx.Client,
    taker: httpx.Client,
    slot: Slot,
    fields: dict[str, str],
    words: list[str],
    htmx: bool,
) -> None:
    key = make_key(server, host, slot.id)
    before = server.dump()
    response = taker.post(take_path(slot.id), data={"key": key, **fields}, headers=HX if htmx else {})
    assert response.status_code == 422
    message = errors(response.text)
    for word in words:
        assert word in message, message
    assert server.dump() == before
    if htmx:
        assert first_id(response.text) == "take-form"
    else:
        assert '<main id="main" class="take-page">' in response.text
    # What was typed comes back, so nothing is lost.
    if fields.get("text", "").strip() and len(fields["text"]) <= 50:
        assert f">{fields['text']}</textarea>" in response.text


@pytest.mark.parametrize("which", ["missing", "empty", "wrong"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_take_with_a_bad_key_is_403_and_changes_nothing(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot, which: str, htmx: bool
) -> None:
    key = make_key(server, host, slot.id)
    fields = note_fields({"missing": "", "empty": "", "wrong": key + "x"}[which])
    if which == "missing":
        del fields["key"]
    before = server.dump()
    response = taker.post(take_path(slot.id), data=fields, headers=HX if htmx else {})
    assert response.status_code == 403
    assert DENIED in html.unescape(response.text)
    if htmx:
        assert response.headers["hx-retarget"] == "#flash"
    assert server.dump() == before


def test_bad_key_wins_over_bad_input(server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot) -> None:
    make_key(server, host, slot.id)
    before = server.dump()
    response = taker.post(take_path(slot.id), data={"key": "nope", "kind": "rant", "text": ""})
    assert response.status_code == 403
    assert server.dump() == before


def test_take_cross_site_is_refused(server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot) -> None:
    key = make_key(server, host, slot.id)
    before = server.dump()
    response = taker.post(take_path(slot.id), data=note_fields(key), headers={"Origin": FOREIGN})
    assert response.status_code == 403
    assert server.dump() == before


def test_note_text_is_escaped_on_the_take_page(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot
) -> None:
    key = make_key(server, host, slot.id)
    text, author = '<script>alert("x")</script> & <b>fed</b>', "<i>Eva</i>"
    response = taker.post(take_path(slot.id), data=note_fields(key, text, "idea", author), headers=HX)
    assert response.status_code == 200
    for page in (response.text, taker.get(take_path(slot.id), params={"key": key}).text):
        assert "<script>alert" not in page and "<b>fed" not in page and "<i>Eva" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;fed&lt;/b&gt;" in page
        assert "&lt;i&gt;Eva&lt;/i&gt;" in page
    assert server.count(Note, Note.text == text) == 1


def test_a_host_link_makes_no_audit_noise_for_notes(
    server: LiveServer, host: httpx.Client, taker: httpx.Client, slot: Slot
) -> None:
    """Notes are the participants' words, not host actions: only making the link is audited."""
    key = make_key(server, host, slot.id)
    count = server.count(AuditEntry)
    assert taker.post(take_path(slot.id), data=note_fields(key)).status_code == 303
    assert server.count(AuditEntry) == count
