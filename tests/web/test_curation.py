"""The hosts' harvest desk (`liveboard/web/views/curation.py`): every note of the event, hidden ones too, and the
curation actions (hide, show, highlight, edit, merge, themes).

Every action: a plain form gets a 303 back to the desk at the note, htmx gets the note's element back, each adds
one audit row, bad input is 422 and changes nothing, and without a valid host session or from another site it is
refused and changes nothing.

The actions have a table of their own here rather than in `conftest.host_actions`: that table's `anchor` is a
place on the console, while these actions send a browser back to the desk.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections import defaultdict

import httpx
import pytest
from conftest import HX, HostAction, LiveServer, errors, first_id, has_id, out_of_band

from liveboard.models import AuditEntry, Event, Note, NoteTheme, Participant, Pitch, Support

DESK = "/e/demo/host/notes"
SCRIPT = "<script>alert(1)</script>"


# --- the demo's notes, found by where they are rather than by their wording --------------------------------------


def by_session(server: LiveServer) -> list[list[Note]]:
    """The demo's listed notes, grouped by session, sessions in id order."""
    groups: dict[int, list[Note]] = defaultdict(list)
    for note in server.rows(Note, Note.merged_into_id.is_(None)):  # type: ignore[union-attr]
        groups[note.session_id].append(note)
    return [groups[key] for key in sorted(groups, key=lambda k: k or 0)]


def pair(server: LiveServer) -> tuple[Note, Note]:
    """Two notes of the same session: a note and its would-be duplicate."""
    group = next(group for group in by_session(server) if len(group) >= 2)
    return group[0], group[1]


def elsewhere(server: LiveServer, note: Note) -> Note:
    """A note of another session."""
    return next(group[0] for group in by_session(server) if group[0].session_id != note.session_id)


def curation_actions(server: LiveServer) -> dict[str, HostAction]:
    """Every curation POST as a working example on the demo; `anchor` is the note the desk opens at afterwards."""
    note, duplicate = pair(server)
    at = f"{DESK}/{note.id}"
    anchor = f"note-{note.id}"
    return {
        "hide": HostAction(f"{at}/hide", {}, "note.hide", anchor),
        "show": HostAction(f"{at}/show", {}, "note.show", anchor, setup=((f"{at}/hide", {}),)),
        "highlight": HostAction(f"{at}/highlight", {"on": "1"}, "note.highlight", anchor),
        "unhighlight": HostAction(
            f"{at}/highlight", {"on": "0"}, "note.unhighlight", anchor, setup=((f"{at}/highlight", {"on": "1"}),)
        ),
        "edit": HostAction(
            f"{at}/edit", {"kind": "proposal", "text": "Rettet af værten", "author": "Mette"}, "note.edit", anchor
        ),
        "merge": HostAction(f"{DESK}/{duplicate.id}/merge", {"into": str(note.id)}, "note.merge", anchor),
        "themes": HostAction(f"{at}/themes", {"themes": "Ventetid, kontakt"}, "note.themes", anchor),
    }


ACTIONS = ["hide", "show", "highlight", "unhighlight", "edit", "merge", "themes"]
VERBS = ["hide", "show", "highlight", "edit", "merge", "themes"]


def prepare(server: LiveServer, host: httpx.Client, name: str) -> HostAction:
    action = curation_actions(server)[name]
    for path, data in action.setup:
        assert host.post(path, data=data).status_code == 303
    return action


def refused(server: LiveServer, host: httpx.Client, path: str, data: dict[str, str], status: int, *words: str) -> str:
    """POST as host, as a plain form and as htmx: `status` both times, the message names the problem, and the
    database is exactly as before."""
    before = server.dump()
    message = ""
    for headers in ({}, HX):
        response = host.post(path, data=data, headers=headers)
        assert response.status_code == status, (headers, response.text[:500])
        message = errors(response.text)
        for word in words:
            assert word in message, (word, message)
    assert server.dump() == before
    return message


def themes(server: LiveServer, note: Note) -> list[str]:
    return [row.theme for row in server.rows(NoteTheme, NoteTheme.note_id == note.id)]


def item(page: str, note_id: int) -> str:
    """The desk's element for one note."""
    found = re.search(rf'<li id="note-{note_id}"[^>]*>.*?</li>\s*(?=<li id="note-|</ol>|$)', page, re.S)
    assert found, f"note {note_id} is not on the desk"
    return found.group(0)


# --- the desk --------------------------------------------------------------------------------------------------


def test_desk_lists_every_note_grouped_by_session(server: LiveServer, host: httpx.Client) -> None:
    response = host.get(DESK)
    assert response.status_code == 200
    page = response.text
    for note in server.rows(Note, Note.merged_into_id.is_(None)):  # type: ignore[union-attr]
        assert has_id(page, f"note-{note.id}")
        assert html.escape(note.text) in page
    for slot in (server.slot(1, "Store sal"), server.slot(3, "Lokale 2")):
        assert has_id(page, f"session-{slot.id}")  # every session, even one without notes yet
    slot = server.slot(1, "Store sal")
    group = re.search(rf'<section[^>]*id="session-{slot.id}".*?</section>', page, re.S)
    assert group is not None
    assert html.escape(server.get(Pitch, slot.pitch_id).title) in group.group(0)
    assert "Store sal" in group.group(0) and "Runde 1" in group.group(0)
    assert {int(i) for i in re.findall(r'<li id="note-(\d+)"', group.group(0))} == {
        n.id
        for n in server.rows(Note, Note.session_id == slot.id, Note.merged_into_id.is_(None))  # type: ignore[union-attr]
    }


def test_each_note_shows_kind_author_source_time_support_and_state(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    with server.database.write() as db:
        people = [Participant(event_id=note.event_id, token=f"t{i}") for i in range(3)]
        db.add_all(people)
        db.flush()
        db.add_all(Support(note_id=note.id, participant_id=p.id) for p in people)  # type: ignore[arg-type]
    support = server.count(Support, Support.note_id == note.id)  # the demo's +1s and these three
    host.post(f"{DESK}/{note.id}/highlight", data={"on": "1"})
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "testtema"})
    host.post(f"{DESK}/{note.id}/edit", data={"kind": "idea", "text": "Ny tekst", "author": ""})
    entry = item(host.get(DESK).text, note.id)  # type: ignore[arg-type]
    words = (
        "Idea",
        "Ny tekst",
        "anonymous",
        "from a phone",
        f"{support} supports",
        "testtema",
        "Highlighted",
        "edited",
    )
    for word in words:
        assert word in entry, word
    assert re.search(r"<time datetime=", entry)
    assert "Remove highlight" in entry
    named = next(n for n in server.rows(Note) if n.author)
    assert html.escape(named.author) in item(host.get(DESK).text, named.id)  # type: ignore[arg-type]


def test_desk_lists_hidden_notes_marked_as_hidden(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    host.post(f"{DESK}/{note.id}/hide")
    entry = item(host.get(DESK).text, note.id)  # type: ignore[arg-type]
    assert "is-hidden" in entry and "Hidden" in entry and "Show again" in entry
    assert html.escape(note.text) in entry


def test_desk_does_not_list_merged_notes(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    host.post(f"{DESK}/{duplicate.id}/merge", data={"into": note.id})
    page = host.get(DESK).text
    assert not has_id(page, f"note-{duplicate.id}")
    assert has_id(page, f"note-{note.id}")


def test_console_links_to_the_desk_and_the_desk_back(host: httpx.Client) -> None:
    assert f'href="{DESK}"' in host.get("/e/demo/host").text
    assert 'href="/e/demo/host"' in host.get(DESK).text


def test_desk_without_login_redirects_a_browser_to_the_login_form(client: httpx.Client) -> None:
    response = client.get(DESK)
    assert response.status_code == 303
    assert response.headers["location"] == f"/host/login?next={DESK}"


def test_desk_without_login_is_401_for_htmx(client: httpx.Client) -> None:
    assert client.get(DESK, headers=HX).status_code == 401
    assert client.get(f"{DESK}?merge=1", headers=HX).status_code == 401


def test_desk_of_unknown_event_is_404(host: httpx.Client) -> None:
    assert host.get("/e/no-such-event/host/notes").status_code == 404


# --- filters ---------------------------------------------------------------------------------------------------


def listed(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<li id="note-(\d+)"', page)}


def test_filter_by_kind(server: LiveServer, host: httpx.Client) -> None:
    proposals = {n.id for n in server.rows(Note) if n.kind == "proposal"}
    assert proposals and listed(host.get(f"{DESK}?kind=proposal").text) == proposals


def test_filter_by_theme(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    other = elsewhere(server, note)
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "testtema"})
    host.post(f"{DESK}/{other.id}/themes", data={"themes": "Testtema, andet testtema"})
    page = host.get(f"{DESK}?theme=Testtema").text
    assert listed(page) == {note.id, other.id}
    assert f"session-{duplicate.session_id}" in page  # a group shows when one of its notes matches


def test_text_search_finds_words_in_text_author_and_themes(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    host.post(f"{DESK}/{note.id}/edit", data={"kind": "idea", "text": "Bænke ved Søen", "author": ""})
    host.post(f"{DESK}/{duplicate.id}/edit", data={"kind": "idea", "text": "Noget andet", "author": "Søren"})
    assert listed(host.get(f"{DESK}?q=søen").text) == {note.id}
    assert listed(host.get(f"{DESK}?q=BÆNKE+søen").text) == {note.id}
    assert listed(host.get(f"{DESK}?q=søren").text) == {duplicate.id}
    page = host.get(f"{DESK}?q=ingen-noter-her").text
    assert listed(page) == set() and "No note matches" in page


def test_filters_combine_and_can_be_cleared(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "testtema"})
    assert listed(host.get(f"{DESK}?theme=testtema&kind={note.kind}").text) == {note.id}
    other_kind = next(k for k in ("idea", "experience", "proposal") if k != note.kind)
    page = host.get(f"{DESK}?theme=testtema&kind={other_kind}").text
    assert listed(page) == set()
    assert f'href="{DESK}"' in page  # "clear the filter"


@pytest.mark.parametrize(
    "query",
    ["kind=nonsense", "kind=", f"kind={SCRIPT}", f"theme={SCRIPT}", f"q={SCRIPT}", "q=" + "x" * 5000, "merge=abc"],
    ids=["unknown-kind", "empty-kind", "script-kind", "script-theme", "script-q", "long-q", "merge-not-a-number"],
)
def test_filters_the_form_cannot_make_are_dropped_not_refused(host: httpx.Client, query: str) -> None:
    response = host.get(f"{DESK}?{query}")
    assert response.status_code == 200
    assert SCRIPT not in response.text


# --- every action: happy path, audit, permission ---------------------------------------------------------------


@pytest.mark.parametrize("name", ACTIONS)
def test_action_plain_form_redirects_to_the_note_on_the_desk_and_is_audited(
    server: LiveServer, host: httpx.Client, name: str
) -> None:
    action = prepare(server, host, name)
    audit_before = server.count(AuditEntry)
    version = server.version()
    response = host.post(action.path, data=action.data)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == f"{DESK}#{action.anchor}"
    entries = server.audit()
    assert len(entries) == audit_before + 1
    assert entries[-1].action == action.audit
    assert entries[-1].event_id == server.event().id
    assert server.version() > version


@pytest.mark.parametrize("name", ACTIONS)
def test_action_htmx_gets_the_note_back(server: LiveServer, host: httpx.Client, name: str) -> None:
    action = prepare(server, host, name)
    response = host.post(action.path, data=action.data, headers=HX)
    assert response.status_code == 200, response.text[:500]
    acted = action.path.split("/")[-2]
    assert first_id(response.text) == f"note-{acted}"
    assert out_of_band(response.text, "desk-themes")
    if name == "merge":
        assert "Merged into" in response.text
        assert out_of_band(response.text, action.anchor)  # the note it went into, with its new support


@pytest.mark.parametrize("name", ACTIONS)
def test_action_keeps_the_desks_filter(server: LiveServer, host: httpx.Client, name: str) -> None:
    action = prepare(server, host, name)
    response = host.post(f"{action.path}?kind=idea&q=plan+a", data=action.data)
    assert response.status_code == 303
    assert response.headers["location"] == f"{DESK}?kind=idea&q=plan+a#{action.anchor}"


@pytest.mark.parametrize("name", ACTIONS)
def test_action_without_a_host_session_is_401_and_changes_nothing(
    server: LiveServer, host: httpx.Client, name: str
) -> None:
    action = prepare(server, host, name)
    participant = server.client()
    participant.get("/e/demo")
    cookies = {
        "no-cookie": None,
        "unsigned": "host",
        "bad-signature": "host.Zm9v.bm90LWEtc2lnbmF0dXJl",
        "participant-cookie": participant.cookies["lb_pid"],  # validly signed, but for another purpose
    }
    before = server.dump()
    for kind, cookie in cookies.items():
        stranger = server.client()
        if cookie:
            stranger.cookies.set("lb_host", cookie, domain="127.0.0.1")
        for headers in ({}, HX):
            response = stranger.post(action.path, data=action.data, headers=headers)
            assert response.status_code == 401, kind
            assert "Host login required" in response.text
    assert server.dump() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_cross_site_action_is_403_and_changes_nothing(server: LiveServer, host: httpx.Client, name: str) -> None:
    action = prepare(server, host, name)
    before = server.dump()
    variants = [{}, {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}]
    for headers in variants:
        bare = server.client(origin=False, headers=headers)
        bare.cookies.set("lb_host", host.cookies["lb_host"], domain="127.0.0.1")
        for extra in ({}, HX):
            response = bare.post(action.path, data=action.data, headers=extra)
            assert response.status_code == 403, (headers, response.status_code)
            assert "another site" in response.text
    assert server.dump() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_same_origin_fetch_without_origin_is_accepted(server: LiveServer, host: httpx.Client, name: str) -> None:
    action = prepare(server, host, name)
    browser = server.client(origin=False, headers={"Sec-Fetch-Site": "same-origin"})
    browser.cookies.set("lb_host", host.cookies["lb_host"], domain="127.0.0.1")
    assert browser.post(action.path, data=action.data).status_code == 303


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("note_id", ["999999", "abc", "-1"])
def test_action_on_an_unknown_note_is_404(server: LiveServer, host: httpx.Client, verb: str, note_id: str) -> None:
    data = {"on": "1", "kind": "idea", "text": "x", "themes": "a", "into": str(pair(server)[0].id)}
    refused(server, host, f"{DESK}/{note_id}/{verb}", data, 404)


@pytest.mark.parametrize("name", ACTIONS)
def test_action_on_an_unknown_event_is_404(server: LiveServer, host: httpx.Client, name: str) -> None:
    action = curation_actions(server)[name]
    refused(server, host, action.path.replace("/e/demo/", "/e/nope/"), action.data, 404)


@pytest.mark.parametrize("verb", VERBS)
def test_action_on_a_note_of_another_event_is_404(server: LiveServer, host: httpx.Client, verb: str) -> None:
    foreign = other_event_note(server)
    data = {"on": "1", "kind": "idea", "text": "x", "themes": "a", "into": str(pair(server)[0].id)}
    refused(server, host, f"{DESK}/{foreign}/{verb}", data, 404)


# --- hide and show ---------------------------------------------------------------------------------------------


def test_hide_and_show(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    host.post(f"{DESK}/{note.id}/hide")
    assert server.get(Note, note.id).hidden
    response = host.post(f"{DESK}/{note.id}/show", headers=HX)
    assert not server.get(Note, note.id).hidden
    assert "Hide" in response.text and "Show again" not in response.text


def public_views(client: httpx.Client) -> dict[str, str]:
    return {path: client.get(f"/e/demo/{path}").text for path in ("report", "report.md", "report.csv", "report.json")}


def test_hidden_notes_are_gone_from_the_report_and_exports_but_not_from_the_desk(
    server: LiveServer, host: httpx.Client, client: httpx.Client
) -> None:
    note, _ = pair(server)
    host.post(f"{DESK}/{note.id}/edit", data={"kind": "idea", "text": "Kun til værterne", "author": ""})
    assert all("Kun til værterne" in text for text in public_views(client).values())
    host.post(f"{DESK}/{note.id}/hide")
    for path, text in {**public_views(client), **{f"host {k}": v for k, v in public_views(host).items()}}.items():
        assert "Kun til værterne" not in text, path
    assert "Kun til værterne" in item(host.get(DESK).text, note.id)  # type: ignore[arg-type]
    rows = list(csv.reader(io.StringIO(client.get("/e/demo/report.csv").text)))
    assert all("Kun til værterne" not in cell for row in rows for cell in row)
    host.post(f"{DESK}/{note.id}/show")
    assert "Kun til værterne" in client.get("/e/demo/report").text


# --- highlight -------------------------------------------------------------------------------------------------


def test_highlight_on_and_off(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    response = host.post(f"{DESK}/{note.id}/highlight", data={"on": "1"}, headers=HX)
    assert server.get(Note, note.id).highlighted
    assert "is-highlighted" in response.text and 'name="on" value="0"' in response.text
    host.post(f"{DESK}/{note.id}/highlight", data={"on": "0"})
    assert not server.get(Note, note.id).highlighted


@pytest.mark.parametrize("data", [{}, {"on": ""}, {"on": "yes"}, {"on": "2"}], ids=["missing", "empty", "yes", "2"])
def test_highlight_bad_flag_is_422(server: LiveServer, host: httpx.Client, data: dict[str, str]) -> None:
    refused(server, host, f"{DESK}/{pair(server)[0].id}/highlight", data, 422, "1, 0")


# --- edit ------------------------------------------------------------------------------------------------------


def test_edit_changes_the_note_and_keeps_the_original_in_the_audit(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    data = {"kind": "proposal", "text": "Rettet\nover to linjer", "author": "Værten"}
    response = host.post(f"{DESK}/{note.id}/edit", data=data, headers=HX)
    edited = server.get(Note, note.id)
    assert (edited.kind, edited.text, edited.author) == ("proposal", "Rettet\nover to linjer", "Værten")
    assert edited.updated_at is not None
    entry = server.audit()[-1]
    assert (entry.action, entry.subject) == ("note.edit", f"note:{note.id}")
    assert note.text in entry.data["before"] and note.kind in entry.data["before"]
    assert "edited" in response.text


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "idea", "text": ""}, ["Text", "required"]),
        ({"kind": "idea", "text": "   "}, ["Text", "required"]),
        ({"kind": "idea", "text": "x" * 1001}, ["Text", "1000"]),
        ({"kind": "wish", "text": "ok"}, ["Kind", "idea"]),
        ({"text": "ok"}, ["Kind"]),
        ({"kind": "idea", "text": "ok", "author": "a" * 61}, ["Name", "60"]),
        ({"kind": "idea", "text": "ok\x00"}, ["Text", "not allowed"]),
    ],
    ids=["empty", "blank", "1001", "unknown-kind", "no-kind", "author-61", "control-character"],
)
def test_edit_bad_input_is_422(
    server: LiveServer, host: httpx.Client, fields: dict[str, str], words: list[str]
) -> None:
    refused(server, host, f"{DESK}/{pair(server)[0].id}/edit", fields, 422, *words)


# --- merge -----------------------------------------------------------------------------------------------------


def other_event_note(server: LiveServer) -> int:
    """A note of a second event, inserted directly: its id must mean nothing on the demo's desk."""
    with server.database.write() as db:
        event = Event(slug="andet", title="Et andet arrangement")
        db.add(event)
        db.flush()
        pitch = Pitch(event_id=event.id, title="Andet emne", status="approved")  # type: ignore[arg-type]
        db.add(pitch)
        db.flush()
        note = Note(event_id=event.id, pitch_id=pitch.id, kind="idea", text="Fra et andet arrangement")  # type: ignore[arg-type]
        db.add(note)
        db.flush()
        return note.id  # type: ignore[return-value]


def supporters(server: LiveServer, note_id: int) -> list[int]:
    return [s.participant_id for s in server.rows(Support, Support.note_id == note_id)]


def test_merge_moves_support_once_per_person_and_joins_themes(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    with server.database.write() as db:
        both, only_note, only_duplicate = (Participant(event_id=note.event_id, token=f"p{i}") for i in range(3))
        db.add_all([both, only_note, only_duplicate])
        db.flush()
        for person, target in ((both, note), (both, duplicate), (only_note, note), (only_duplicate, duplicate)):
            db.add(Support(note_id=target.id, participant_id=person.id))  # type: ignore[arg-type]
    people = set(supporters(server, note.id)) | set(supporters(server, duplicate.id))  # type: ignore[arg-type]
    assert {both.id, only_note.id, only_duplicate.id} <= people
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "ventetid"})
    host.post(f"{DESK}/{duplicate.id}/themes", data={"themes": "ventetid, kontakt"})
    response = host.post(f"{DESK}/{duplicate.id}/merge", data={"into": str(note.id)}, headers=HX)
    assert response.status_code == 200
    after = supporters(server, note.id)  # type: ignore[arg-type]
    assert sorted(after) == sorted(people)  # each person once, with no duplicates
    assert supporters(server, duplicate.id) == []  # type: ignore[arg-type]
    assert server.get(Note, duplicate.id).merged_into_id == note.id
    assert themes(server, note) == ["kontakt", "ventetid"]
    assert f"{len(people)} supports" in response.text  # the note it went into, swapped in out of band
    entry = server.audit()[-1]
    assert (entry.action, entry.subject, entry.data) == ("note.merge", f"note:{duplicate.id}", {"into": note.id})
    assert f"{len(people)} supports" in item(host.get(DESK).text, note.id)  # type: ignore[arg-type]


def test_merge_across_sessions(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    other = elsewhere(server, note)
    assert host.post(f"{DESK}/{other.id}/merge", data={"into": str(note.id)}).status_code == 303
    assert server.get(Note, other.id).merged_into_id == note.id


@pytest.mark.parametrize(
    ("into", "words"),
    [
        (None, ["Choose the note"]),
        ("", ["Choose the note"]),
        ("self", ["itself"]),
        ("999999", ["no such note"]),
        ("abc", ["no such note"]),
        ("other-event", ["no such note"]),
    ],
    ids=["missing", "empty", "itself", "unknown", "not-a-number", "note-of-another-event"],
)
def test_merge_bad_target_is_422(server: LiveServer, host: httpx.Client, into: str | None, words: list[str]) -> None:
    _, duplicate = pair(server)
    if into == "self":
        into = str(duplicate.id)
    elif into == "other-event":
        into = str(other_event_note(server))
    refused(server, host, f"{DESK}/{duplicate.id}/merge", {} if into is None else {"into": into}, 422, *words)


def test_merge_into_a_merged_note_is_409(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    other = elsewhere(server, note)
    host.post(f"{DESK}/{duplicate.id}/merge", data={"into": str(note.id)})
    refused(server, host, f"{DESK}/{other.id}/merge", {"into": str(duplicate.id)}, 409, "merged into another")


@pytest.mark.parametrize("verb", ["merge", "hide", "highlight", "edit", "themes"])
def test_acting_on_a_merged_note_is_409(server: LiveServer, host: httpx.Client, verb: str) -> None:
    note, duplicate = pair(server)
    other = elsewhere(server, note)
    host.post(f"{DESK}/{duplicate.id}/merge", data={"into": str(note.id)})
    data = {"into": str(other.id), "on": "1", "kind": "idea", "text": "x", "themes": "a"}
    refused(server, host, f"{DESK}/{duplicate.id}/{verb}", data, 409, "merged")


def test_showing_a_merged_note_answers_where_it_went(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    host.post(f"{DESK}/{duplicate.id}/hide")
    host.post(f"{DESK}/{duplicate.id}/merge", data={"into": str(note.id)})
    response = host.post(f"{DESK}/{duplicate.id}/show", headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == f"note-{duplicate.id}" and "Merged into" in response.text


def test_merge_choice_lists_the_same_session_first(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    other = elsewhere(server, note)
    response = host.get(f"{DESK}?merge={duplicate.id}", headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == f"merge-{duplicate.id}"
    options = [int(i) for i in re.findall(r'<option value="(\d+)"', response.text)]
    assert duplicate.id not in options
    same = [n.id for n in server.rows(Note, Note.session_id == note.session_id) if n.id != duplicate.id]
    assert sorted(options[: len(same)]) == sorted(same) and other.id in options[len(same) :]
    assert response.text.index("Same session") < response.text.index("Other sessions")


def test_merge_choice_without_htmx_opens_on_the_desk(server: LiveServer, host: httpx.Client) -> None:
    _, duplicate = pair(server)
    page = host.get(f"{DESK}?merge={duplicate.id}").text
    assert f'id="into-{duplicate.id}"' in page
    assert page.count('name="into"') == 1  # only that note's choice is rendered
    assert f'href="{DESK}?merge={duplicate.id}#merge-{duplicate.id}"' not in page


def test_merge_choice_of_an_unknown_note_is_404_for_htmx(host: httpx.Client) -> None:
    assert host.get(f"{DESK}?merge=999999", headers=HX).status_code == 404


# --- themes ----------------------------------------------------------------------------------------------------


def test_themes_are_case_folded_trimmed_and_without_repeats(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    data = {"themes": "  Transport ,transport, Ældre  Borgere,, TRANSPORT ,ældre borgere"}
    assert host.post(f"{DESK}/{note.id}/themes", data=data).status_code == 303
    assert themes(server, note) == ["transport", "ældre borgere"]
    assert server.audit()[-1].data == {"themes": ["transport", "ældre borgere"]}


def test_themes_replace_the_old_ones_and_empty_clears_them(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "a, b"})
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "c"})
    assert themes(server, note) == ["c"]
    host.post(f"{DESK}/{note.id}/themes", data={"themes": ""})
    assert themes(server, note) == []


def test_themes_in_use_are_suggested_and_shown_as_chips(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "testtema b, testtema a"})
    response = host.post(f"{DESK}/{duplicate.id}/themes", data={"themes": "testtema b"}, headers=HX)
    page = host.get(DESK).text
    for text in (page, response.text):
        datalist = re.search(r'<datalist id="desk-theme-list">(.*?)</datalist>', text, re.S)
        assert datalist
        suggested = re.findall(r'value="([^"]+)"', datalist.group(1))
        assert suggested.index("testtema b") < suggested.index("testtema a")  # the most used first
    assert 'list="desk-theme-list"' in item(page, note.id)  # type: ignore[arg-type]
    assert f'href="{DESK}?theme=testtema+b"' in page and f'href="{DESK}?theme=testtema+a"' in page


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("t" * 41, ["at most 40 characters"]),
        ("a, b, c, d, e, f", ["at most 5 themes"]),
        ("ok, " + "x" * 300, ["at most"]),
        ("ok\x07", ["not allowed"]),
    ],
    ids=["41-characters", "six", "field-too-long", "control-character"],
)
def test_themes_bad_input_is_422(server: LiveServer, host: httpx.Client, value: str, words: list[str]) -> None:
    note, _ = pair(server)
    host.post(f"{DESK}/{note.id}/themes", data={"themes": "ventetid"})
    refused(server, host, f"{DESK}/{note.id}/themes", {"themes": value}, 422, *words)


def test_five_themes_of_forty_characters_are_fine(server: LiveServer, host: httpx.Client) -> None:
    note, _ = pair(server)
    value = ", ".join(str(i) * 40 for i in range(5))
    assert host.post(f"{DESK}/{note.id}/themes", data={"themes": value}).status_code == 303
    assert len(themes(server, note)) == 5


# --- escaping --------------------------------------------------------------------------------------------------


def test_note_text_author_and_themes_are_escaped_on_the_desk(server: LiveServer, host: httpx.Client) -> None:
    note, duplicate = pair(server)
    host.post(f"{DESK}/{note.id}/edit", data={"kind": "idea", "text": SCRIPT, "author": '"><b>x</b>'})
    host.post(f"{DESK}/{note.id}/themes", data={"themes": SCRIPT})
    answers = [
        host.post(f"{DESK}/{note.id}/highlight", data={"on": "1"}, headers=HX).text,
        host.get(f"{DESK}?merge={duplicate.id}", headers=HX).text,
        host.get(DESK).text,
        host.get(f"{DESK}?theme={SCRIPT}&q={SCRIPT}").text,
    ]
    for text in answers:
        assert SCRIPT not in text and "<b>x</b>" not in text
        assert "&lt;script&gt;" in text
