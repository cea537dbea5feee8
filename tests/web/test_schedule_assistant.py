"""The schedule assistant on the host's side (`liveboard/web/views/schedule.py`, `liveboard/domain/proposals.py`):
a proposal made from the demo, its page and JSON, applying all of it or the ticked cells, and what is refused."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import ExitStack

import httpx
import pytest
from conftest import HX, LiveServer, errors
from markupsafe import escape

from liveboard.models import AuditEntry, Event, Interest, Note, Participant, Pitch, ScheduleProposal
from liveboard.models import Session as Slot
from tests.live.test_websocket import watch

PROPOSE = "/e/demo/host/schedule/proposals"


def propose(host: httpx.Client, mode: str | None = "fill") -> int:
    response = host.post(PROPOSE, data={} if mode is None else {"mode": mode})
    assert response.status_code == 303, response.text[:300]
    found = re.fullmatch(r"/e/demo/host/schedule/proposals/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def grid(server: LiveServer) -> set[tuple[int, int, int]]:
    return {(s.pitch_id, s.room_id, s.round_id) for s in server.rows(Slot)}


def answer(host: httpx.Client, proposal: int) -> dict:
    response = host.get(f"{PROPOSE}/{proposal}.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


# --- proposing -------------------------------------------------------------------------------------------------


def test_a_proposal_changes_nothing_yet_and_keeps_every_rule(server: LiveServer, host: httpx.Client) -> None:
    before, version = grid(server), server.version()
    proposal = propose(host)
    assert (grid(server), server.version()) == (before, version)
    data = answer(host, proposal)
    assert set(data) >= {"id", "version", "cells", "unplaced", "measures", "seconds"}
    assert (data["id"], data["version"]) == (proposal, version)
    cells = [(c["pitch"], c["room"], c["round"]) for c in data["cells"]]
    assert len({(room, rnd) for _p, room, rnd in cells}) == len(cells)  # a cell holds one pitch
    assert len({p for p, _room, _rnd in cells}) == len(cells)  # a pitch is placed once
    assert all(c["reason"] for c in data["cells"])
    assert before <= set(cells) | {s for s in before if s[0] not in {p for p, _r, _d in cells}}
    m = data["measures"]
    assert m["score"] == m["missed"] + m["overflow"] + m["unplaced_interest"]
    entry = server.audit()[-1]
    assert (entry.action, entry.actor, entry.data["proposal"]) == ("schedule.propose", "admin", proposal)


def test_fill_keeps_every_placed_session(server: LiveServer, host: httpx.Client) -> None:
    before = grid(server)
    data = answer(host, propose(host, None))  # no mode: fill, the default
    assert before <= {(c["pitch"], c["room"], c["round"]) for c in data["cells"]}


@pytest.mark.parametrize("mode", ["", "refill", "FILL", "fill "])
def test_a_bad_mode_is_422_and_stores_nothing(server: LiveServer, host: httpx.Client, mode: str) -> None:
    before = server.dump()
    response = host.post(PROPOSE, data={"mode": mode}, headers=HX)
    if mode == "":
        assert response.status_code == 303  # an empty choice means the default, as a form without the field
        return
    assert response.status_code == 422
    assert "Mode" in errors(response.text) and "fill, replan" in errors(response.text)
    assert server.dump() == before


def test_the_page_shows_the_grid_now_and_proposed_with_reasons_in_danish(server: LiveServer) -> None:
    host = server.client(host=True, lang="da")
    page = host.get(f"{PROPOSE}/{propose(host)}").text
    assert "<h1>" in page and "Forslag til program" in page
    assert "Programmet nu" in page and "Forslaget" in page
    assert re.search(r"\d+ (person|personer) har to af (sine|deres) ønsker i samme runde", page)
    assert re.search(r"→ [^<]+, \d+ pladser?", page)  # "48 er interesserede → Store sal, 300 pladser"
    assert 'name="cell"' in page
    assert page.count('class="cell-new"') == len(re.findall(r'name="cell" value="\d+:\d+:\d+"', page))


# --- applying --------------------------------------------------------------------------------------------------


def test_apply_all_puts_the_proposal_in_the_grid_as_one_change(server: LiveServer, host: httpx.Client) -> None:
    proposal = propose(host)
    cells = {(c["pitch"], c["room"], c["round"]) for c in answer(host, proposal)["cells"]}
    version = server.version()
    response = host.post(f"{PROPOSE}/{proposal}/apply")
    assert response.status_code == 303
    assert grid(server) == cells
    assert server.version() == version + 1  # one change
    entry = server.audit()[-1]
    assert (entry.action, entry.actor, entry.data["all"]) == ("schedule.apply", "admin", True)
    assert server.get(ScheduleProposal, proposal).applied_at is not None
    assert "Applied at" in host.get(f"{PROPOSE}/{proposal}").text
    again = host.post(f"{PROPOSE}/{proposal}/apply", headers=HX)
    assert again.status_code == 409 and "Propose again" in errors(again.text)


def test_ticked_cells_change_only_those(server: LiveServer, host: httpx.Client) -> None:
    before = grid(server)
    proposal = propose(host)
    offered = sorted(set((c["pitch"], c["room"], c["round"]) for c in answer(host, proposal)["cells"]) - before)
    assert len(offered) >= 2, offered
    ticked = offered[:2]
    response = host.post(f"{PROPOSE}/{proposal}/apply", data={"cell": [":".join(map(str, c)) for c in ticked]})
    assert response.status_code == 303
    assert grid(server) == before | set(ticked)
    assert server.audit()[-1].data == {**server.audit()[-1].data, "cells": 2, "all": False}


@pytest.mark.parametrize("cell", ["x", "1:2", "1:2:3:4", "a:b:c", "999999:1:1"])
def test_a_bad_cell_is_422_and_changes_nothing(server: LiveServer, host: httpx.Client, cell: str) -> None:
    proposal = propose(host)
    before = server.dump()
    response = host.post(f"{PROPOSE}/{proposal}/apply", data={"cell": cell}, headers=HX)
    assert response.status_code == 422
    assert "Cell" in errors(response.text)
    assert server.dump() == before


def test_a_proposal_made_before_the_grid_changed_is_refused(server: LiveServer, host: httpx.Client) -> None:
    proposal = propose(host)
    session = server.rows(Slot)[-1]
    assert host.post(f"/e/demo/host/sessions/{session.id}/delete").status_code == 303
    before = server.dump()
    response = host.post(f"{PROPOSE}/{proposal}/apply", headers=HX)
    assert response.status_code == 409
    assert "The grid has changed since this proposal was made. Propose again." in errors(response.text)
    assert server.dump() == before
    assert "Propose again" in host.get(f"{PROPOSE}/{proposal}").text


def test_new_interest_alone_does_not_refuse_it(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    proposal = propose(host)
    pitch = server.rows(Pitch, Pitch.status == "approved")[0]
    client.get("/e/demo")
    assert client.post(f"/e/demo/pitches/{pitch.id}/interest").status_code == 303
    assert host.post(f"{PROPOSE}/{proposal}/apply").status_code == 303


def test_replan_keeps_started_rounds_and_sessions_with_people(server: LiveServer, host: httpx.Client) -> None:
    first = server.round(1)
    kept = {(s.pitch_id, s.room_id, s.round_id) for s in server.rows(Slot) if s.round_id == first.id}
    later = server.slot(2, "Store sal")
    someone = server.client()
    assert someone.post(f"/e/demo/sessions/{later.id}/join").status_code == 303
    kept.add((later.pitch_id, later.room_id, later.round_id))
    proposal = propose(host, "replan")
    cells = {(c["pitch"], c["room"], c["round"]) for c in answer(host, proposal)["cells"]}
    assert kept <= cells
    assert host.post(f"{PROPOSE}/{proposal}/apply").status_code == 303
    assert kept <= grid(server)
    assert server.present(later) == 1  # nobody was moved out of a session they are in
    rounds = Counter((s.pitch_id, s.round_id) for s in server.rows(Slot))
    assert max(rounds.values()) == 1  # a pitch once per round


def test_a_moved_session_keeps_its_notes_and_note_taker_link(server: LiveServer, host: httpx.Client) -> None:
    later = server.slot(3, "Store sal")
    assert host.post(f"/e/demo/host/sessions/{later.id}/note-key").status_code == 303
    key = server.get(Slot, later.id).note_key
    with server.database.write() as db:
        db.add(Note(event_id=later.event_id, pitch_id=later.pitch_id, session_id=later.id, kind="idea", text="Før"))
    proposal = propose(host, "replan")
    assert host.post(f"{PROPOSE}/{proposal}/apply").status_code == 303
    now = server.rows(Slot, Slot.pitch_id == later.pitch_id)
    if now:  # the pitch is still in the grid: its session, wherever it is, has the link and the note
        assert now[0].note_key == key
        assert server.rows(Note, Note.text == "Før")[0].session_id == now[0].id
    else:
        assert server.rows(Note, Note.text == "Før")[0].pitch_id == later.pitch_id  # the note stays with the pitch


# --- who may, and which proposal -------------------------------------------------------------------------------


def test_without_a_host_session(server: LiveServer, host: httpx.Client) -> None:
    proposal = propose(host)
    stranger = server.client()
    before = server.dump()
    assert stranger.post(PROPOSE, data={"mode": "fill"}).status_code == 401
    assert stranger.post(f"{PROPOSE}/{proposal}/apply").status_code == 401
    assert stranger.get(f"{PROPOSE}/{proposal}").status_code == 303
    assert stranger.get(f"{PROPOSE}/{proposal}.json", headers=HX).status_code == 401
    assert server.dump() == before


def test_a_host_who_is_no_organiser_may(server: LiveServer) -> None:
    server.add_account("mette", "host")
    mette = server.client(account="mette")
    proposal = propose(mette)
    assert mette.post(f"{PROPOSE}/{proposal}/apply").status_code == 303
    assert server.audit()[-1].actor == "mette"


def test_a_proposal_of_another_event_is_not_found(server: LiveServer, host: httpx.Client) -> None:
    made = host.post(
        "/host/events",
        data={"slug": "anden", "title": "Anden aften", "starts": "2031-05-01T18:00", "language": "da"},
    )
    assert made.status_code == 303
    proposal = propose(host)
    before = server.dump()
    base = f"/e/anden/host/schedule/proposals/{proposal}"
    assert host.get(base).status_code == 404
    assert host.get(f"{base}.json").status_code == 404
    assert host.post(f"{base}/apply").status_code == 404
    assert host.get(f"{PROPOSE}/999999").status_code == 404
    assert host.get(f"{PROPOSE}/nope").status_code == 404
    assert server.dump() == before


def test_an_event_with_nothing_to_place(server: LiveServer, host: httpx.Client) -> None:
    made = host.post(
        "/host/events", data={"slug": "tom", "title": "Tom aften", "starts": "2031-05-01T18:00", "language": "da"}
    )
    assert made.status_code == 303
    response = host.post("/e/tom/host/schedule/proposals", data={"mode": "fill"})
    assert response.status_code == 303
    data = host.get(response.headers["location"] + ".json").json()
    assert (data["cells"], data["unplaced"], data["measures"]["score"]) == ([], [], 0)
    page = host.get(response.headers["location"]).text
    assert "changes nothing" in page


def test_the_participants_list_is_untouched(server: LiveServer, host: httpx.Client) -> None:
    people, interest = server.count(Participant), server.count(Interest)
    host.post(f"{PROPOSE}/{propose(host)}/apply")
    assert (server.count(Participant), server.count(Interest)) == (people, interest)
    assert server.count(AuditEntry, AuditEntry.action == "schedule.apply") == 1
    assert server.rows(Event)[0].version == server.version()


# --- live ------------------------------------------------------------------------------------------------------


def test_applying_reaches_every_screen_and_phone_within_a_second(server: LiveServer, host: httpx.Client) -> None:
    proposal = propose(host)
    before = grid(server)
    new = [c for c in answer(host, proposal)["cells"] if (c["pitch"], c["room"], c["round"]) not in before]
    assert new
    title = str(escape(server.get(Pitch, new[0]["pitch"]).title))
    with ExitStack() as stack:
        screen, phone = watch(stack, server, "screen", v=server.version()), watch(stack, server, "phone")
        server.wait_live(2)
        assert host.post(f"{PROPOSE}/{proposal}/apply").status_code == 303
        for client in (screen, phone):
            frame = client.until(r'id="(grid|board)"', seconds=1.0)
            assert title in frame
