"""The JSON of the contract (`liveboard/web/views/api.py`): the live snapshot and the health check."""

from __future__ import annotations

import itertools
from datetime import datetime

import httpx
import pytest
from conftest import LiveServer, host_actions

from liveboard.models import Pitch, Room, Round
from liveboard.models import Session as Slot

KEYS = {"slug", "title", "version", "starts", "timezone", "rooms", "rounds", "pitches", "sessions"}
ROOM_KEYS = {"id", "name", "capacity", "location"}
ROUND_KEYS = {"id", "label", "starts", "ends"}
PITCH_KEYS = {"id", "title", "story", "author", "status", "interest"}
SESSION_KEYS = {"id", "pitch_id", "room_id", "round_id", "present"}


def snapshot(who: httpx.Client) -> dict:
    response = who.get("/api/events/demo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_snapshot_has_the_contract_keys(server: LiveServer, client: httpx.Client) -> None:
    data = snapshot(client)
    assert set(data) >= KEYS
    assert (data["slug"], data["title"]) == ("demo", server.event().title)
    assert (datetime.fromisoformat(data["starts"]), data["timezone"]) == (server.event().starts, "Europe/Copenhagen")
    assert isinstance(data["version"], int)
    for key, sub_keys in (
        ("rooms", ROOM_KEYS),
        ("rounds", ROUND_KEYS),
        ("pitches", PITCH_KEYS),
        ("sessions", SESSION_KEYS),
    ):
        assert data[key], key
        for item in data[key]:
            assert sub_keys <= set(item), (key, item)


def test_snapshot_matches_the_database(server: LiveServer, client: httpx.Client) -> None:
    data = snapshot(client)
    assert data["version"] == server.version()
    rooms = {r.id: r for r in server.rows(Room)}
    assert {r["id"]: (r["name"], r["capacity"], r["location"]) for r in data["rooms"]} == {
        i: (r.name, r.capacity, r.location) for i, r in rooms.items()
    }
    rounds = {r.id: r for r in server.rows(Round)}
    for item in data["rounds"]:
        starts, ends = datetime.fromisoformat(item["starts"]), datetime.fromisoformat(item["ends"])
        assert starts.tzinfo is not None and ends.tzinfo is not None  # ISO 8601 with an offset
        assert (starts, ends) == (rounds[item["id"]].starts, rounds[item["id"]].ends)
    assert {s["id"]: (s["pitch_id"], s["room_id"], s["round_id"]) for s in data["sessions"]} == {
        s.id: (s.pitch_id, s.room_id, s.round_id) for s in server.rows(Slot)
    }


def test_present_is_the_exact_count(server: LiveServer, client: httpx.Client) -> None:
    other = server.client()
    client.post(f"/e/demo/sessions/{server.slot(1, 'Lokale 1').id}/join")
    other.post(f"/e/demo/sessions/{server.slot(1, 'Lokale 2').id}/join")
    other.post(f"/e/demo/sessions/{server.slot(2, 'Lokale 3').id}/join")
    for session in snapshot(client)["sessions"]:
        assert session["present"] == server.present(session["id"])


def test_interest_is_the_exact_count(server: LiveServer, client: httpx.Client) -> None:
    client.post(f"/e/demo/pitches/{server.pitch('unge').id}/interest")
    for pitch in snapshot(client)["pitches"]:
        assert pitch["interest"] == server.interest(pitch["id"])


def test_pitches_are_only_approved_without_a_host_session(server: LiveServer, client: httpx.Client) -> None:
    shown = {p["id"] for p in snapshot(client)["pitches"]}
    assert shown == {p.id for p in server.rows(Pitch, Pitch.status == "approved")}
    assert {p["status"] for p in snapshot(client)["pitches"]} == {"approved"}


def test_a_host_sees_pending_pitches_too(server: LiveServer, host: httpx.Client) -> None:
    pitches = snapshot(host)["pitches"]
    assert server.pitch("motion").id in {p["id"] for p in pitches}
    assert {"pending", "approved"} <= {p["status"] for p in pitches}


def test_a_forged_host_cookie_sees_only_approved(server: LiveServer) -> None:
    stranger = server.client()
    stranger.cookies.set("lb_host", "host.forged.signature", domain="127.0.0.1")
    assert {p["status"] for p in snapshot(stranger)["pitches"]} == {"approved"}


def test_a_new_pitch_is_hidden_until_approved(server: LiveServer, client: httpx.Client, host: httpx.Client) -> None:
    client.post("/e/demo/pitches", data={"title": "Grønne tage"})
    pitch = server.pitch("Grønne tage")
    assert pitch.id not in {p["id"] for p in snapshot(client)["pitches"]}
    host.post(f"/e/demo/host/pitches/{pitch.id}/approve")
    shown = next(p for p in snapshot(client)["pitches"] if p["id"] == pitch.id)
    assert (shown["title"], shown["status"], shown["interest"]) == ("Grønne tage", "approved", 0)


PARTICIPANT_STEPS = ["pitch", "interest-on", "interest-off", "join", "move", "leave", "note"]


def test_version_rises_with_every_change(server: LiveServer, client: httpx.Client, host: httpx.Client) -> None:
    a, b = server.slot(1, "Lokale 1"), server.slot(1, "Lokale 2")
    pitch = server.pitch("unge")
    steps = [
        ("/e/demo/pitches", {"title": "Endnu en idé"}),
        (f"/e/demo/pitches/{pitch.id}/interest", {}),
        (f"/e/demo/pitches/{pitch.id}/interest", {}),
        (f"/e/demo/sessions/{a.id}/join", {}),
        (f"/e/demo/sessions/{b.id}/join", {}),
        (f"/e/demo/sessions/{b.id}/notes", {"kind": "idea", "text": "Godt"}),
        (f"/e/demo/sessions/{b.id}/leave", {}),
    ]
    seen = [snapshot(client)["version"]]
    for path, data in steps:
        assert client.post(path, data=data).status_code == 303, path
        seen.append(snapshot(client)["version"])
    actions = host_actions(server)
    for name in ("type-in", "approve", "place", "announce", "phase", "pitching", "room-add", "round-add"):
        assert host.post(actions[name].path, data=actions[name].data).status_code == 303, name
        seen.append(snapshot(client)["version"])
    assert all(later > earlier for earlier, later in itertools.pairwise(seen)), seen


def test_a_refused_change_does_not_raise_the_version(server: LiveServer, client: httpx.Client) -> None:
    version = snapshot(client)["version"]
    assert client.post("/e/demo/pitches", data={"title": ""}).status_code == 422
    assert client.post(f"/e/demo/sessions/{server.slot(1, 'Caféen').id}/join").status_code == 409
    assert snapshot(client)["version"] == version


def test_snapshot_is_not_cached(client: httpx.Client) -> None:
    assert "no-store" in client.get("/api/events/demo").headers["cache-control"]


@pytest.mark.parametrize("slug", ["nope", "DEMO-not", "x" * 70])
def test_unknown_event_is_404_json(client: httpx.Client, slug: str) -> None:
    response = client.get(f"/api/events/{slug}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "error" in response.json()


def test_healthz(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status"] == "ok"
