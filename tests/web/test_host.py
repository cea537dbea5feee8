"""The host console (`liveboard/web/views/host.py`): moderation, the grid, rooms, rounds, announcements, phases.

Every action: a plain form gets a 303 back to the console, htmx gets the console (`#main`) back, each adds one
audit row, and without a valid host session it is refused with 401 and changes nothing.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from conftest import HX, HostAction, LiveServer, errors, first_id, host_actions

from liveboard import ROOT
from liveboard.domain import audit
from liveboard.models import Announcement, AuditEntry, Interest, Note, Pitch, Presence, Room, Round
from liveboard.models import Session as Slot

#: The names of `host_actions`: every host POST of the route table.
ACTIONS = [
    "type-in",
    "approve",
    "reject",
    "edit",
    "merge",
    "place",
    "move",
    "swap",
    "delete",
    "announce",
    "phase",
    "pitching",
    "room-add",
    "room-edit",
    "room-remove",
    "round-add",
    "round-edit",
    "round-remove",
]


def prepare(server: LiveServer, host: httpx.Client, name: str) -> HostAction:
    action = host_actions(server)[name]
    for path, data in action.setup:
        assert host.post(path, data=data).status_code == 303
    return action


def refused(server: LiveServer, host: httpx.Client, path: str, data: dict[str, str], status: int, *words: str) -> str:
    """POST as host, both as a plain form and as htmx: `status` both times, the message names the problem,
    and the database is exactly as before."""
    before = server.dump()
    for headers in ({}, HX):
        response = host.post(path, data=data, headers=headers)
        assert response.status_code == status, (headers, response.text[:500])
        message = errors(response.text)
        for word in words:
            assert word in message, (word, message)
    assert server.dump() == before
    return message


# --- the console page ------------------------------------------------------------------------------------------


def test_console_page(server: LiveServer, host: httpx.Client) -> None:
    response = host.get("/e/demo/host")
    assert response.status_code == 200
    for element in (
        'id="main"',
        'id="queue"',
        'id="approved"',
        'id="schedule"',
        'id="rooms"',
        'id="rounds"',
        'id="audit"',
    ):
        assert element in response.text
    assert html.escape(server.pitch("motion").title) in response.text  # pending, waiting for moderation
    assert f"/e/demo/host/pitches/{server.pitch('motion').id}/approve" in response.text


def test_console_without_login_redirects_a_browser_to_the_login_form(client: httpx.Client) -> None:
    response = client.get("/e/demo/host")
    assert response.status_code == 303
    assert response.headers["location"] == "/host/login?next=/e/demo/host"


def test_console_without_login_is_401_for_htmx(client: httpx.Client) -> None:
    assert client.get("/e/demo/host", headers=HX).status_code == 401


def test_console_of_unknown_event_is_404(host: httpx.Client) -> None:
    assert host.get("/e/no-such-event/host").status_code == 404


# --- every action: happy path, audit, permission ---------------------------------------------------------------


@pytest.mark.parametrize("name", ACTIONS)
def test_action_plain_form_redirects_to_the_console_and_is_audited(
    server: LiveServer, host: httpx.Client, name: str
) -> None:
    action = prepare(server, host, name)
    audit_before = server.count(AuditEntry)
    version = server.version()
    response = host.post(action.path, data=action.data)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == f"/e/demo/host#{action.anchor}"
    entries = server.rows(AuditEntry, AuditEntry.id > 0)
    assert len(entries) == audit_before + 1
    assert entries[-1].action == action.audit
    assert entries[-1].event_id == server.event().id
    assert server.version() > version


def test_every_audited_action_has_a_label_for_the_hosts() -> None:
    """The console's log names each action in the reader's language; a code recorded without a label would show
    as the bare code."""
    recorded = set()
    for path in (ROOT / "liveboard" / "domain").glob("*.py"):
        recorded |= set(re.findall(r'audit\.record\(\s*db,\s*\w+,\s*"([\w.]+)"', path.read_text()))
        recorded |= set(re.findall(r'_moderate\(db, event, pitch_id, "\w+", "([\w.]+)"\)', path.read_text()))
    assert {"pitch.approve", "session.place", "note.key", "announce"} <= recorded, recorded
    assert recorded - set(audit.LABELS) == set()


@pytest.mark.parametrize(("lang", "label"), [("da", "Emne godkendt"), ("en", "Pitch approved")])
def test_the_console_log_names_the_action_in_the_hosts_language(server: LiveServer, lang: str, label: str) -> None:
    host = server.client(host=True, lang=lang)
    pitch = server.rows(Pitch, Pitch.status == "pending")[0]
    assert host.post(f"/e/demo/host/pitches/{pitch.id}/approve").status_code == 303
    log = host.get("/e/demo/host").text.split('id="audit-list"')[1].split("</ol>")[0]
    first = log.split("</li>")[0]
    assert f'<strong data-action="pitch.approve">{label}</strong>' in first, first
    assert f'<span translate="no" lang="da">{html.escape(pitch.title, quote=False)}</span>' in first, first


@pytest.mark.parametrize(
    ("name", "lang", "said"),
    [
        ("phase", "da", "Afsluttet"),
        ("phase", "en", "Ended"),
        ("pitching", "da", "lukket"),
        ("pitching", "en", "closed"),
        ("swap", "da", r"med samtale #\d+"),
        ("swap", "en", r"with session #\d+"),
        ("delete", "da", r"emne #\d+"),
        ("delete", "en", r"pitch #\d+"),
    ],
)
def test_details_the_code_wrote_in_words_are_in_the_hosts_language(
    server: LiveServer, name: str, lang: str, said: str
) -> None:
    host = server.client(host=True, lang=lang)
    action = prepare(server, host, name)
    assert host.post(action.path, data=action.data).status_code == 303
    first = host.get("/e/demo/host").text.split('id="audit-list"')[1].split("</li>")[0]
    assert re.search(rf"</strong> <span>{said}</span>$", first), first
    assert server.audit()[-1].data  # stored as values, said in words only on the page


def test_what_people_typed_is_kept_apart_from_what_the_code_knows() -> None:
    """A title that reads like the code's words is still a title: details are never parsed, the code's values are
    stored as data."""
    assert audit.describe("pitch.approve", {}) is None
    assert audit.describe("pitch.edit", {"before": "lunch"}) == ("before: %(before)s", {"before": "lunch"})
    assert audit.describe("event.phase", {"phase": "ended"}) == ("Ended", {})
    assert audit.describe("session.swap", {"other": 3}) is None  # values of another version: shown without them


def test_an_edit_s_former_text_is_introduced_in_the_language_and_escaped(server: LiveServer) -> None:
    pitch = server.rows(Pitch, Pitch.status == "pending")[0]
    with server.database.write() as db:
        audit.record(
            db, server.event(), "pitch.edit", subject=f"pitch:{pitch.id}", data={"before": "<b>Ældre & IT</b>"}
        )
    page = server.client(host=True, lang="da").get("/e/demo/host").text
    assert "<span>før: &lt;b&gt;Ældre &amp; IT&lt;/b&gt;</span>" in page


@pytest.mark.parametrize("name", ACTIONS)
def test_action_htmx_gets_the_console(server: LiveServer, host: httpx.Client, name: str) -> None:
    action = prepare(server, host, name)
    response = host.post(action.path, data=action.data, headers=HX)
    assert response.status_code == 200, response.text[:500]
    assert first_id(response.text) == "main"
    assert 'id="audit"' in response.text


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


@pytest.mark.parametrize("name", ["approve", "place", "announce", "room-add"])
def test_action_on_unknown_event_is_404(server: LiveServer, host: httpx.Client, name: str) -> None:
    action = host_actions(server)[name]
    before = server.dump()
    assert host.post(action.path.replace("/e/demo/", "/e/nope/"), data=action.data).status_code == 404
    assert server.dump() == before


# --- moderation ------------------------------------------------------------------------------------------------


def public_pitch_ids(client: httpx.Client) -> set[int]:
    return {p["id"] for p in client.get("/api/events/demo").json()["pitches"]}


def test_approve_makes_a_pitch_visible_and_reject_hides_it(
    server: LiveServer, host: httpx.Client, client: httpx.Client
) -> None:
    motion = server.pitch("motion")
    assert motion.id not in public_pitch_ids(client)
    host.post(f"/e/demo/host/pitches/{motion.id}/approve")
    assert server.get(Pitch, motion.id).status == "approved"
    assert motion.id in public_pitch_ids(client)
    assert html.escape(motion.title) in client.get("/e/demo").text
    host.post(f"/e/demo/host/pitches/{motion.id}/reject")
    assert server.get(Pitch, motion.id).status == "rejected"
    assert motion.id not in public_pitch_ids(client)


def test_approving_an_approved_pitch_changes_nothing(server: LiveServer, host: httpx.Client) -> None:
    stress = server.pitch("stress")
    audit = server.count(AuditEntry)
    assert host.post(f"/e/demo/host/pitches/{stress.id}/approve").status_code == 303
    assert server.get(Pitch, stress.id).status == "approved"
    assert server.count(AuditEntry) == audit


def test_reject_a_placed_pitch_is_409(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, f"/e/demo/host/pitches/{server.pitch('stress').id}/reject", {}, 409, "grid")


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_moderating_a_merged_pitch_is_409(server: LiveServer, host: httpx.Client, verb: str) -> None:
    duplicate = server.pitch("stress-igen")
    host.post(f"/e/demo/host/pitches/{duplicate.id}/merge", data={"into": server.pitch("stress").id})
    refused(server, host, f"/e/demo/host/pitches/{duplicate.id}/{verb}", {}, 409, "merged")


@pytest.mark.parametrize("verb", ["approve", "reject", "edit", "merge"])
@pytest.mark.parametrize("pitch_id", ["999999", "abc"])
def test_moderating_an_unknown_pitch_is_404(server: LiveServer, host: httpx.Client, verb: str, pitch_id: str) -> None:
    data = {"title": "x", "into": str(server.pitch("stress").id)}
    refused(server, host, f"/e/demo/host/pitches/{pitch_id}/{verb}", data, 404)


def test_edit_changes_the_text_and_keeps_the_old_in_the_audit(server: LiveServer, host: httpx.Client) -> None:
    pitch = server.pitch("paedagogik")
    host.post(f"/e/demo/host/pitches/{pitch.id}/edit", data={"title": "Rettet titel", "story": "", "author": ""})
    edited = server.get(Pitch, pitch.id)
    assert (edited.title, edited.story, edited.author) == ("Rettet titel", "", "")
    entry = server.audit()[-1]
    assert (entry.detail, entry.data) == ("Rettet titel", {"before": f"{pitch.title} | {pitch.story} | {pitch.author}"})


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"title": ""}, ["Title"]),
        ({"title": "T" * 81}, ["Title", "80"]),
        ({"title": "ok", "story": "s" * 601}, ["Story"]),
    ],
    ids=["empty", "81", "story-601"],
)
@pytest.mark.parametrize("route", ["type-in", "edit"])
def test_pitch_text_bad_input_is_422(
    server: LiveServer, host: httpx.Client, fields: dict[str, str], words: list[str], route: str
) -> None:
    refused(server, host, host_actions(server)[route].path, fields, 422, *words)


def test_type_in_is_approved_at_once(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    host.post("/e/demo/host/pitches", data={"title": "Papirkort", "story": "Skrevet i hånden"})
    pitch = server.pitch("Papirkort")
    assert (pitch.status, pitch.source) == ("approved", "host")
    assert pitch.id in public_pitch_ids(client)


# --- merge -----------------------------------------------------------------------------------------------------


def test_merge_folds_the_duplicate_into_the_target(server: LiveServer, host: httpx.Client) -> None:
    duplicate, target = server.pitch("stress-igen"), server.pitch("stress")
    host.post(f"/e/demo/host/pitches/{duplicate.id}/merge", data={"into": target.id})
    merged = server.get(Pitch, duplicate.id)
    assert (merged.status, merged.merged_into_id) == ("merged", target.id)
    assert server.get(Pitch, target.id).status == "approved"


def test_merge_carries_interest_over_once_per_person(
    server: LiveServer, host: httpx.Client, client: httpx.Client
) -> None:
    duplicate, target = server.pitch("foreninger"), server.pitch("boligomraader")
    both, only_duplicate = client, server.client()
    for who, pitch in ((both, duplicate), (both, target), (only_duplicate, duplicate)):
        assert who.post(f"/e/demo/pitches/{pitch.id}/interest").status_code == 303
    people_on_target = {i.participant_id for i in server.rows(Interest, Interest.pitch_id == target.id)}
    people_on_duplicate = {i.participant_id for i in server.rows(Interest, Interest.pitch_id == duplicate.id)}
    assert host.post(f"/e/demo/host/pitches/{duplicate.id}/merge", data={"into": target.id}).status_code == 303
    after = [i.participant_id for i in server.rows(Interest, Interest.pitch_id == target.id)]
    assert sorted(after) == sorted(people_on_target | people_on_duplicate)  # each person once
    assert server.interest(duplicate) == 0
    api = {p["id"]: p["interest"] for p in client.get("/api/events/demo").json()["pitches"]}
    assert api[target.id] == len(people_on_target | people_on_duplicate)
    assert duplicate.id not in api


@pytest.mark.parametrize(
    ("into", "words"),
    [
        (None, ["merge into"]),
        ("", ["merge into"]),
        ("self", ["itself"]),
        ("999999", ["no such pitch"]),
        ("abc", ["no such pitch"]),
    ],
    ids=["missing", "empty", "itself", "unknown", "not-a-number"],
)
def test_merge_bad_target_is_422(server: LiveServer, host: httpx.Client, into: str | None, words: list[str]) -> None:
    duplicate = server.pitch("stress-igen")
    data = {} if into is None else {"into": str(duplicate.id) if into == "self" else into}
    refused(server, host, f"/e/demo/host/pitches/{duplicate.id}/merge", data, 422, *words)


@pytest.mark.parametrize("target", ["parkering", "merged"], ids=["into-rejected", "into-merged"])
def test_merge_into_a_pitch_that_is_gone_is_409(server: LiveServer, host: httpx.Client, target: str) -> None:
    if target == "merged":
        host.post(f"/e/demo/host/pitches/{server.pitch('madspild').id}/merge", data={"into": server.pitch("stress").id})
        target = "madspild"
    refused(
        server,
        host,
        f"/e/demo/host/pitches/{server.pitch('stress-igen').id}/merge",
        {"into": str(server.pitch(target).id)},
        409,
    )


def test_merge_a_placed_duplicate_is_409(server: LiveServer, host: httpx.Client) -> None:
    data = {"into": str(server.pitch("unge").id)}
    refused(server, host, f"/e/demo/host/pitches/{server.pitch('stress').id}/merge", data, 409, "grid")


def test_merge_twice_is_409(server: LiveServer, host: httpx.Client) -> None:
    duplicate = server.pitch("stress-igen")
    host.post(f"/e/demo/host/pitches/{duplicate.id}/merge", data={"into": server.pitch("stress").id})
    refused(server, host, f"/e/demo/host/pitches/{duplicate.id}/merge", {"into": str(server.pitch("unge").id)}, 409)


def test_merging_an_approved_pitch_into_a_pending_one_approves_the_target(
    server: LiveServer, host: httpx.Client, client: httpx.Client
) -> None:
    duplicate, target = server.pitch("foreninger"), server.pitch("motion")
    client.post(f"/e/demo/pitches/{duplicate.id}/interest")
    host.post(f"/e/demo/host/pitches/{duplicate.id}/merge", data={"into": target.id})
    assert server.get(Pitch, target.id).status == "approved"
    assert target.id in public_pitch_ids(client)


# --- the grid: place, move, swap, delete -----------------------------------------------------------------------


def place_data(server: LiveServer, pitch: str, room: str, round_number: int) -> dict[str, str]:
    return {
        "pitch_id": str(server.pitch(pitch).id),
        "room_id": str(server.room(room).id),
        "round_id": str(server.round(round_number).id),
    }


def test_place_creates_a_session(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    data = place_data(server, "paedagogik", "Foyeren", 1)
    assert host.post("/e/demo/host/sessions", data=data).status_code == 303
    slot = server.slot(1, "Foyeren")
    assert slot.pitch_id == server.pitch("paedagogik").id
    sessions = client.get("/api/events/demo").json()["sessions"]
    assert {
        "id": slot.id,
        "pitch_id": slot.pitch_id,
        "room_id": slot.room_id,
        "round_id": slot.round_id,
        "present": 0,
    } in sessions
    assert html.escape(server.pitch("paedagogik").title) in client.get("/e/demo/screen").text


def test_place_in_a_taken_cell_is_409(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, "/e/demo/host/sessions", place_data(server, "paedagogik", "Store sal", 1), 409, "taken")


def test_place_the_same_pitch_twice_in_a_round_is_409(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, "/e/demo/host/sessions", place_data(server, "stress", "Foyeren", 1), 409, "already placed")


def test_place_the_same_pitch_in_another_round_is_fine(server: LiveServer, host: httpx.Client) -> None:
    assert host.post("/e/demo/host/sessions", data=place_data(server, "stress", "Foyeren", 2)).status_code == 303


@pytest.mark.parametrize("key", ["motion", "parkering"], ids=["pending", "rejected"])
def test_place_a_pitch_not_approved_is_409(server: LiveServer, host: httpx.Client, key: str) -> None:
    refused(server, host, "/e/demo/host/sessions", place_data(server, key, "Foyeren", 1), 409, "approved")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("room_id", "999999", ["no such room"]),
        ("room_id", "abc", ["Room"]),
        ("room_id", None, ["Room"]),
        ("round_id", "999999", ["no such round"]),
        ("round_id", "", ["Round"]),
        ("pitch_id", "999999", ["no such pitch"]),
        ("pitch_id", None, ["pitch"]),
    ],
    ids=["unknown-room", "room-nan", "room-missing", "unknown-round", "round-empty", "unknown-pitch", "pitch-missing"],
)
def test_place_bad_input_is_422(
    server: LiveServer, host: httpx.Client, field: str, value: str | None, words: list[str]
) -> None:
    data = place_data(server, "paedagogik", "Foyeren", 1)
    if value is None:
        del data[field]
    else:
        data[field] = value
    refused(server, host, "/e/demo/host/sessions", data, 422, *words)


def test_move_within_the_round_keeps_the_people(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    present = server.present(slot)
    data = {"room_id": str(server.room("Foyeren").id), "round_id": str(server.round(1).id)}
    assert host.post(f"/e/demo/host/sessions/{slot.id}/move", data=data).status_code == 303
    moved = server.get(Slot, slot.id)
    assert moved.room_id == server.room("Foyeren").id
    assert server.present(slot) == present


def test_move_to_another_round_checks_the_people_out(server: LiveServer, host: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    data = {"room_id": str(server.room("Foyeren").id), "round_id": str(server.round(2).id)}
    assert host.post(f"/e/demo/host/sessions/{slot.id}/move", data=data).status_code == 303
    assert server.get(Slot, slot.id).round_id == server.round(2).id
    assert server.present(slot) == 0


def test_move_to_a_taken_cell_is_409(server: LiveServer, host: httpx.Client) -> None:
    slot = server.slot(1, "Lokale 1")
    data = {"room_id": str(server.room("Lokale 2").id), "round_id": str(server.round(1).id)}
    refused(server, host, f"/e/demo/host/sessions/{slot.id}/move", data, 409, "taken")


def test_move_into_a_round_where_the_pitch_already_is_409(server: LiveServer, host: httpx.Client) -> None:
    host.post("/e/demo/host/sessions", data=place_data(server, "teknologi", "Lokale 4", 2))
    slot = server.slot(1, "Lokale 1")  # teknologi in round 1
    data = {"room_id": str(server.room("Foyeren").id), "round_id": str(server.round(2).id)}
    refused(server, host, f"/e/demo/host/sessions/{slot.id}/move", data, 409, "already placed")


def test_move_unknown_session_is_404_and_unknown_room_422(server: LiveServer, host: httpx.Client) -> None:
    data = {"room_id": str(server.room("Foyeren").id), "round_id": str(server.round(1).id)}
    refused(server, host, "/e/demo/host/sessions/999999/move", data, 404)
    slot = server.slot(1, "Lokale 1")
    refused(server, host, f"/e/demo/host/sessions/{slot.id}/move", {**data, "room_id": "999999"}, 422, "room")


def test_swap_exchanges_the_pitches_and_people_stay_in_their_room(server: LiveServer, host: httpx.Client) -> None:
    a, b = server.slot(1, "Lokale 1"), server.slot(1, "Lokale 2")
    present = (server.present(a), server.present(b))
    assert host.post(f"/e/demo/host/sessions/{a.id}/swap", data={"other": b.id}).status_code == 303
    assert (server.get(Slot, a.id).pitch_id, server.get(Slot, b.id).pitch_id) == (b.pitch_id, a.pitch_id)
    assert (server.present(a), server.present(b)) == present


def test_swap_across_rounds(server: LiveServer, host: httpx.Client) -> None:
    a, b = server.slot(1, "Lokale 1"), server.slot(3, "Lokale 2")
    assert host.post(f"/e/demo/host/sessions/{a.id}/swap", data={"other": b.id}).status_code == 303
    assert (server.get(Slot, a.id).pitch_id, server.get(Slot, b.id).pitch_id) == (b.pitch_id, a.pitch_id)


@pytest.mark.parametrize(
    ("other", "words"),
    [(None, ["no such session"]), ("", ["no such session"]), ("999999", ["no such session"]), ("self", ["itself"])],
    ids=["missing", "empty", "unknown", "itself"],
)
def test_swap_bad_other_is_422(server: LiveServer, host: httpx.Client, other: str | None, words: list[str]) -> None:
    slot = server.slot(1, "Lokale 1")
    data = {} if other is None else {"other": str(slot.id) if other == "self" else other}
    refused(server, host, f"/e/demo/host/sessions/{slot.id}/swap", data, 422, *words)


def test_swap_that_would_put_a_pitch_twice_in_a_round_is_409(server: LiveServer, host: httpx.Client) -> None:
    host.post("/e/demo/host/sessions", data=place_data(server, "teknologi", "Lokale 4", 2))
    a, b = server.slot(1, "Lokale 2"), server.slot(2, "Lokale 4")  # ensomhed r1 ↔ teknologi r2 (teknologi is in r1)
    refused(server, host, f"/e/demo/host/sessions/{a.id}/swap", {"other": str(b.id)}, 409, "already placed")


def test_swap_unknown_session_is_404(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, "/e/demo/host/sessions/999999/swap", {"other": str(server.slot(1, "Lokale 1").id)}, 404)


def test_delete_removes_the_session_its_people_and_keeps_the_notes(server: LiveServer, host: httpx.Client) -> None:
    slot = server.slot(1, "Store sal")
    notes = server.count(Note, Note.session_id == slot.id)
    assert notes > 0 and server.present(slot) > 0
    total_notes = server.count(Note)
    assert host.post(f"/e/demo/host/sessions/{slot.id}/delete").status_code == 303
    assert server.get(Slot, slot.id) is None
    assert server.count(Presence, Presence.session_id == slot.id) == 0
    assert server.count(Note) == total_notes
    assert server.count(Note, Note.pitch_id == slot.pitch_id, Note.session_id.is_(None)) == notes  # type: ignore[union-attr]


@pytest.mark.parametrize("session_id", ["999999", "abc"])
def test_delete_unknown_session_is_404(server: LiveServer, host: httpx.Client, session_id: str) -> None:
    refused(server, host, f"/e/demo/host/sessions/{session_id}/delete", {}, 404)


# --- announcements, phase, pitching ----------------------------------------------------------------------------


def test_announce_shows_on_phone_and_screen(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    text = "A" * 200
    assert host.post("/e/demo/host/announce", data={"text": text}).status_code == 303
    assert server.rows(Announcement)[-1].text == text
    for path in ("/e/demo", "/e/demo/screen"):
        assert text in client.get(path).text


@pytest.mark.parametrize(
    ("text", "words"),
    [("A" * 201, ["200", "201"]), ("", ["required"]), ("   ", ["required"]), (None, ["required"])],
    ids=["201", "empty", "blank", "missing"],
)
def test_announce_bad_text_is_422(server: LiveServer, host: httpx.Client, text: str | None, words: list[str]) -> None:
    refused(server, host, "/e/demo/host/announce", {} if text is None else {"text": text}, 422, "Text", *words)


@pytest.mark.parametrize("phase", ["setup", "pitching", "running", "ended"])
def test_phase_can_be_set(server: LiveServer, host: httpx.Client, phase: str) -> None:
    assert host.post("/e/demo/host/phase", data={"phase": phase}).status_code == 303
    assert server.event().phase == phase


@pytest.mark.parametrize("phase", ["", "party", None])
def test_phase_bad_value_is_422(server: LiveServer, host: httpx.Client, phase: str | None) -> None:
    refused(server, host, "/e/demo/host/phase", {} if phase is None else {"phase": phase}, 422, "Phase", "setup")


def test_pitching_closes_and_opens(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    host.post("/e/demo/host/pitching", data={"open": "0"})
    assert server.event().pitching_open is False
    assert client.post("/e/demo/pitches", data={"title": "x"}).status_code == 409
    host.post("/e/demo/host/pitching", data={"open": "1"})
    assert server.event().pitching_open is True
    assert client.post("/e/demo/pitches", data={"title": "x"}).status_code == 303


@pytest.mark.parametrize("value", ["", "yes", None])
def test_pitching_bad_value_is_422(server: LiveServer, host: httpx.Client, value: str | None) -> None:
    refused(server, host, "/e/demo/host/pitching", {} if value is None else {"open": value}, 422, "1, 0")


# --- rooms ------------------------------------------------------------------------------------------------------


def test_room_add_edit_remove(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    host.post("/e/demo/host/rooms", data={"name": "Kælderen", "capacity": "8", "location": "Kælder"})
    room = server.room("Kælderen")
    assert (room.capacity, room.location) == (8, "Kælder")
    assert {"id": room.id, "name": "Kælderen", "capacity": 8, "location": "Kælder"} in client.get(
        "/api/events/demo"
    ).json()["rooms"]
    host.post(f"/e/demo/host/rooms/{room.id}", data={"name": "Kælderen", "capacity": "9", "location": ""})
    assert server.get(Room, room.id).capacity == 9
    host.post(f"/e/demo/host/rooms/{room.id}/delete")
    assert server.get(Room, room.id) is None


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name": "Ny", "capacity": "0"}, ["Capacity", "at least 1"]),
        ({"name": "Ny", "capacity": "-5"}, ["Capacity", "at least 1"]),
        ({"name": "Ny", "capacity": "many"}, ["Capacity", "whole number"]),
        ({"name": "Ny", "capacity": ""}, ["Capacity"]),
        ({"name": "Ny"}, ["Capacity"]),
        ({"name": "Ny", "capacity": "100001"}, ["Capacity"]),
        ({"name": "", "capacity": "5"}, ["Name", "required"]),
        ({"name": "N" * 61, "capacity": "5"}, ["Name", "60"]),
        ({"name": "Ny", "capacity": "5", "location": "L" * 121}, ["Location", "120"]),
    ],
    ids=[
        "capacity-0",
        "capacity-negative",
        "capacity-text",
        "capacity-empty",
        "capacity-missing",
        "capacity-huge",
        "name-empty",
        "name-61",
        "location-121",
    ],
)
@pytest.mark.parametrize("route", ["add", "edit"])
def test_room_bad_input_is_422(
    server: LiveServer, host: httpx.Client, fields: dict[str, str], words: list[str], route: str
) -> None:
    path = "/e/demo/host/rooms" if route == "add" else f"/e/demo/host/rooms/{server.room('Lokale 4').id}"
    refused(server, host, path, fields, 422, *words)


def test_room_name_taken_is_409(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, "/e/demo/host/rooms", {"name": "Caféen", "capacity": "5"}, 409, "Caféen")
    path = f"/e/demo/host/rooms/{server.room('Lokale 4').id}"
    refused(server, host, path, {"name": "Caféen", "capacity": "5"}, 409, "Caféen")


def test_remove_a_room_with_sessions_is_409(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, f"/e/demo/host/rooms/{server.room('Caféen').id}/delete", {}, 409, "Caféen")


@pytest.mark.parametrize("suffix", ["", "/delete"], ids=["edit", "remove"])
def test_room_unknown_id_is_404(server: LiveServer, host: httpx.Client, suffix: str) -> None:
    refused(server, host, f"/e/demo/host/rooms/999999{suffix}", {"name": "X", "capacity": "5"}, 404)


def test_room_unknown_id_is_refused_and_changes_nothing(server: LiveServer, host: httpx.Client) -> None:
    for suffix in ("", "/delete"):
        before = server.dump()
        response = host.post(f"/e/demo/host/rooms/999999{suffix}", data={"name": "X", "capacity": "5"})
        assert response.status_code in (404, 422)
        assert server.dump() == before


# --- rounds -----------------------------------------------------------------------------------------------------


def test_round_add_reads_local_times_in_the_event_timezone(
    server: LiveServer, host: httpx.Client, client: httpx.Client
) -> None:
    data = {"label": "Runde 4", "starts": "2030-06-24T21:00", "ends": "2030-06-24T21:40"}
    assert host.post("/e/demo/host/rounds", data=data).status_code == 303
    round_ = server.rows(Round, Round.label == "Runde 4")[0]
    assert round_.starts.isoformat().startswith("2030-06-24T19:00")  # Copenhagen is UTC+2 in summer
    api = next(r for r in client.get("/api/events/demo").json()["rounds"] if r["id"] == round_.id)
    assert api["label"] == "Runde 4"


def test_round_add_with_an_offset(server: LiveServer, host: httpx.Client) -> None:
    data = {"label": "Runde 4", "starts": "2030-06-24T21:00:00+00:00", "ends": "2030-06-24T21:40:00+00:00"}
    assert host.post("/e/demo/host/rounds", data=data).status_code == 303
    assert server.rows(Round, Round.label == "Runde 4")[0].starts.isoformat().startswith("2030-06-24T21:00")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"label": "R", "starts": "2030-06-24T21:00", "ends": "2030-06-24T20:00"}, ["end after"]),
        ({"label": "R", "starts": "2030-06-24T21:00", "ends": "2030-06-24T21:00"}, ["end after"]),
        ({"label": "R", "starts": "tonight", "ends": "2030-06-24T21:00"}, ["Start"]),
        ({"label": "R", "starts": "2030-06-24T21:00"}, ["End"]),
        ({"label": "", "starts": "2030-06-24T20:00", "ends": "2030-06-24T21:00"}, ["Label", "required"]),
        ({"label": "L" * 61, "starts": "2030-06-24T20:00", "ends": "2030-06-24T21:00"}, ["Label", "60"]),
    ],
    ids=["ends-before-start", "ends-at-start", "bad-start", "no-end", "no-label", "label-61"],
)
@pytest.mark.parametrize("route", ["add", "edit"])
def test_round_bad_input_is_422(
    server: LiveServer, host: httpx.Client, fields: dict[str, str], words: list[str], route: str
) -> None:
    path = "/e/demo/host/rounds" if route == "add" else f"/e/demo/host/rounds/{server.round(3).id}"
    refused(server, host, path, fields, 422, *words)


def test_round_label_taken_is_409(server: LiveServer, host: httpx.Client) -> None:
    data = {"label": "Runde 1", "starts": "2030-06-24T20:00", "ends": "2030-06-24T21:00"}
    refused(server, host, "/e/demo/host/rounds", data, 409, "Runde 1")
    refused(server, host, f"/e/demo/host/rounds/{server.round(3).id}", data, 409, "Runde 1")


def test_remove_a_round_with_sessions_is_409(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, f"/e/demo/host/rounds/{server.round(2).id}/delete", {}, 409, "Runde 2")


@pytest.mark.parametrize("suffix", ["", "/delete"], ids=["edit", "remove"])
def test_round_unknown_id_is_404(server: LiveServer, host: httpx.Client, suffix: str) -> None:
    data = {"label": "X", "starts": "2030-06-24T20:00", "ends": "2030-06-24T21:00"}
    refused(server, host, f"/e/demo/host/rounds/999999{suffix}", data, 404)
