"""The rules that must hold whatever happens: kept by the database itself, and under concurrent requests.

First straight against the database (the constraints refuse rows that break a rule), then through HTTP with
many participants at once (the rules hold when requests race). Every test runs on SQLite and on PostgreSQL: the
two keep the rules by different means (a database-wide write lock; the event's row lock), and both must hold.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from conftest import LiveServer
from sqlalchemy.exc import IntegrityError

from liveboard.models import Event, Interest, Note, Participant, Pitch, Presence, Room, Round
from liveboard.models import Session as Slot


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> LiveServer:
    """Each test here on both engines (`client` and `host` follow this `server`)."""
    return request.getfixturevalue({"sqlite": "sqlite_server", "postgresql": "pg_server"}[request.param])


# --- constraints in the database -------------------------------------------------------------------------------


def second_presence_in_a_round(server: LiveServer) -> list[Any]:
    seat = server.rows(Presence)[0]
    other = next(s for s in server.rows(Slot, Slot.round_id == seat.round_id) if s.id != seat.session_id)
    return [Presence(participant_id=seat.participant_id, round_id=seat.round_id, session_id=other.id)]


def two_sessions_in_one_cell(server: LiveServer) -> list[Any]:
    taken = server.slot(1, "Store sal")
    return [
        Slot(
            event_id=taken.event_id,
            pitch_id=server.pitch("paedagogik").id,
            room_id=taken.room_id,
            round_id=taken.round_id,
        )
    ]


def second_interest(server: LiveServer) -> list[Any]:
    mark = server.rows(Interest)[0]
    return [Interest(participant_id=mark.participant_id, pitch_id=mark.pitch_id)]


def presence_in_the_wrong_round(server: LiveServer) -> list[Any]:
    person = next(p for p in server.rows(Participant) if not server.rows(Presence, Presence.participant_id == p.id))
    return [Presence(participant_id=person.id, round_id=server.round(2).id, session_id=server.slot(1, "Lokale 1").id)]


def room_without_capacity(server: LiveServer) -> list[Any]:
    return [Room(event_id=server.event().id, name="Skabet", capacity=0)]


def round_ending_before_it_starts(server: LiveServer) -> list[Any]:
    first = server.round(1)
    return [Round(event_id=first.event_id, label="Baglæns", starts=first.ends, ends=first.starts)]


def merged_without_target(server: LiveServer) -> list[Any]:
    return [Pitch(event_id=server.event().id, title="Dublet", status="merged")]


def note_of_unknown_kind(server: LiveServer) -> list[Any]:
    slot = server.slot(1, "Lokale 1")
    return [Note(event_id=slot.event_id, pitch_id=slot.pitch_id, session_id=slot.id, kind="rant", text="x")]


def same_token_twice(server: LiveServer) -> list[Any]:
    person = server.rows(Participant)[0]
    return [Participant(event_id=person.event_id, token=person.token)]


def same_room_name_twice(server: LiveServer) -> list[Any]:
    return [Room(event_id=server.event().id, name="Caféen", capacity=5)]


def presence_in_no_session(server: LiveServer) -> list[Any]:
    person = server.rows(Participant)[-1]
    return [Presence(participant_id=person.id, round_id=server.round(2).id, session_id=999_999)]


BREAKERS: list[Callable[[LiveServer], list[Any]]] = [
    second_presence_in_a_round,
    two_sessions_in_one_cell,
    second_interest,
    presence_in_the_wrong_round,
    room_without_capacity,
    round_ending_before_it_starts,
    merged_without_target,
    note_of_unknown_kind,
    same_token_twice,
    same_room_name_twice,
    presence_in_no_session,
]


@pytest.mark.parametrize("breaker", BREAKERS, ids=[b.__name__ for b in BREAKERS])
def test_the_database_refuses_rows_that_break_a_rule(
    server: LiveServer, breaker: Callable[[LiveServer], list[Any]]
) -> None:
    rows = breaker(server)
    before = server.dump()
    with pytest.raises(IntegrityError), server.database.write() as db:
        for row in rows:
            db.add(row)
        db.flush()
    assert server.dump() == before


def test_a_pitch_cannot_be_merged_into_itself(server: LiveServer) -> None:
    pitch = server.pitch("stress-igen")
    with pytest.raises(IntegrityError), server.database.write() as db:
        row = db.get(Pitch, pitch.id)
        assert row is not None
        row.status, row.merged_into_id = "merged", row.id
        db.add(row)
        db.flush()


def test_an_event_phase_outside_the_list_is_refused(server: LiveServer) -> None:
    with pytest.raises(IntegrityError), server.database.write() as db:
        event = db.get(Event, server.event().id)
        assert event is not None
        event.phase = "party"
        db.add(event)
        db.flush()


def test_the_demo_itself_keeps_every_rule(server: LiveServer) -> None:
    """The data every other test starts from: one presence per person and round, nobody over capacity."""
    seats = server.rows(Presence)
    assert len({(p.participant_id, p.round_id) for p in seats}) == len(seats)
    slots = {s.id: s for s in server.rows(Slot)}
    rooms = {r.id: r for r in server.rows(Room)}
    for slot in slots.values():
        assert server.present(slot) <= rooms[slot.room_id].capacity
    assert all(slots[p.session_id].round_id == p.round_id for p in seats)


# --- concurrency through HTTP ----------------------------------------------------------------------------------


def race(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` for `count` threads released at the same moment; their results, in order."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_twenty_people_moving_between_sessions_at_once(server: LiveServer) -> None:
    sessions = server.rows(Slot, Slot.round_id == server.round(2).id)
    assert len(sessions) >= 3
    clients = [server.client() for _ in range(20)]
    orders = [random.Random(i).sample(sessions, len(sessions)) for i in range(20)]

    def moves(i: int) -> list[int]:
        return [clients[i].post(f"/e/demo/sessions/{slot.id}/join").status_code for slot in orders[i]]

    results = race(20, moves)
    assert all(code == 303 for codes in results for code in codes), results
    round_id = server.round(2).id
    for i, who in enumerate(clients):
        person = server.participant(who)
        assert person is not None
        seats = server.rows(Presence, Presence.participant_id == person.id, Presence.round_id == round_id)
        assert [s.session_id for s in seats] == [orders[i][-1].id]  # exactly one: where they went last
    assert server.count(Presence, Presence.round_id == round_id) == 20
    api = {s["id"]: s["present"] for s in clients[0].get("/api/events/demo").json()["sessions"]}
    for slot in sessions:
        assert api[slot.id] == server.present(slot) == sum(order[-1].id == slot.id for order in orders)


def test_thirty_people_racing_for_five_seats(server: LiveServer, host: httpx.Client) -> None:
    slot, room = server.slot(2, "Lokale 3"), server.room("Lokale 3")
    edit = {"name": room.name, "capacity": "5", "location": room.location}
    assert host.post(f"/e/demo/host/rooms/{room.id}", data=edit).status_code == 303
    assert server.present(slot) == 0
    clients = [server.client() for _ in range(30)]
    codes = race(30, lambda i: clients[i].post(f"/e/demo/sessions/{slot.id}/join").status_code)
    assert sorted(codes) == [303] * 5 + [409] * 25
    assert server.present(slot) == 5
    seated = {server.participant(c).id for c, code in zip(clients, codes, strict=True) if code == 303}  # type: ignore[union-attr]
    assert {p.participant_id for p in server.rows(Presence, Presence.session_id == slot.id)} == seated
    api = next(s for s in host.get("/api/events/demo").json()["sessions"] if s["id"] == slot.id)
    assert api["present"] == 5


def same_person(server: LiveServer, count: int) -> list[httpx.Client]:
    """`count` browsers sharing one participant cookie (one phone, many taps), the participant not yet created."""
    first = server.client()
    first.get("/e/demo")
    value = first.cookies["lb_pid"]
    clients = [server.client() for _ in range(count)]
    for client in clients:
        client.cookies.set("lb_pid", value, domain="127.0.0.1")
    return clients


def test_many_first_taps_of_one_phone_make_one_participant(server: LiveServer) -> None:
    clients = same_person(server, 10)
    people = server.count(Participant)
    pitch = server.pitch("unge")
    codes = race(10, lambda i: clients[i].post(f"/e/demo/pitches/{pitch.id}/interest").status_code)
    assert codes == [303] * 10
    assert server.count(Participant) == people + 1
    person = server.participant(clients[0])
    assert person is not None
    assert server.count(Interest, Interest.participant_id == person.id) == 0  # ten toggles: off again


def test_one_phone_joining_every_session_of_a_round_at_once_ends_in_one(server: LiveServer) -> None:
    sessions = server.rows(Slot, Slot.round_id == server.round(2).id)
    clients = same_person(server, len(sessions) * 3)
    codes = race(
        len(clients), lambda i: clients[i].post(f"/e/demo/sessions/{sessions[i % len(sessions)].id}/join").status_code
    )
    assert set(codes) == {303}
    person = server.participant(clients[0])
    assert person is not None
    assert server.count(Presence, Presence.participant_id == person.id) == 1


def test_two_hosts_placing_into_one_cell_at_once(server: LiveServer, host: httpx.Client) -> None:
    other = server.client(host=True)
    room, round_ = server.room("Foyeren"), server.round(2)
    pitches = [server.pitch("paedagogik"), server.pitch("bureaukrati")]
    hosts = [host, other]
    codes = race(
        2,
        lambda i: (
            hosts[i]
            .post("/e/demo/host/sessions", data={"pitch_id": pitches[i].id, "room_id": room.id, "round_id": round_.id})
            .status_code
        ),
    )
    assert sorted(codes) == [303, 409]
    assert server.count(Slot, Slot.room_id == room.id, Slot.round_id == round_.id) == 1


def test_two_hosts_placing_one_pitch_twice_in_a_round_at_once(server: LiveServer, host: httpx.Client) -> None:
    other = server.client(host=True)
    pitch, round_ = server.pitch("paedagogik"), server.round(2)
    rooms = [server.room("Foyeren"), server.room("Lokale 4")]
    hosts = [host, other]
    codes = race(
        2,
        lambda i: (
            hosts[i]
            .post("/e/demo/host/sessions", data={"pitch_id": pitch.id, "room_id": rooms[i].id, "round_id": round_.id})
            .status_code
        ),
    )
    assert sorted(codes) == [303, 409]
    assert server.count(Slot, Slot.pitch_id == pitch.id, Slot.round_id == round_.id) == 1
