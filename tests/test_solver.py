"""The schedule solver: the contract's rules on random problems (Hypothesis), optimality against brute force on tiny
ones, and the edges a host meets (more pitches than cells, nobody interested, one room, a full grid of pins, one
person pitching three topics, an empty event). Measures are recomputed here from the answer's cells, independently
of liveboard.solver.measures."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveboard.solver import ProblemError, loads, parse, solve
from liveboard.solver.greedy import greedy_cells
from liveboard.solver.instance import build
from liveboard.solver.measures import measure

#: Hypothesis budget per property: small problems, bounded examples, each solve well under the deadline; no example
#: database, so a run leaves nothing in the checkout.
FAST = settings(max_examples=40, deadline=2000, database=None, suppress_health_check=[HealthCheck.too_slow])


# --- problems, drawn ----------------------------------------------------------------------------------------------


@st.composite
def problems(draw: st.DrawFn, *, max_pitches: int = 7, max_rooms: int = 3, max_rounds: int = 3) -> dict[str, Any]:
    """A problem file's JSON: ids mixing strings and integers, tight rooms, shared hosts, valid pins."""
    n_rooms = draw(st.integers(0, max_rooms))
    n_rounds = draw(st.integers(0, max_rounds))
    n_pitches = draw(st.integers(0, max_pitches))
    people = [f"u{i}" if i % 3 else i for i in range(draw(st.integers(0, 9)))]
    rooms = [{"id": f"r{i}" if i % 2 else i, "capacity": draw(st.integers(0, 6))} for i in range(n_rooms)]
    rounds = [{"id": f"R{i}" if i % 2 == 0 else 100 + i} for i in range(n_rounds)]
    hosts = st.sampled_from([None, "", "h1", "h2", 7])
    pitches = [
        {
            "id": f"p{i}" if i % 2 == 0 else i,
            "host": draw(hosts),
            "interested": draw(st.lists(st.sampled_from(people), unique=True)) if people else [],
        }
        for i in range(n_pitches)
    ]
    pinned: list[dict[str, Any]] = []
    if n_rooms and n_rounds and n_pitches:
        for _ in range(draw(st.integers(0, 3))):
            pitch = draw(st.integers(0, n_pitches - 1))
            room, rnd = draw(st.integers(0, n_rooms - 1)), draw(st.integers(0, n_rounds - 1))
            pin = {"pitch": pitches[pitch]["id"], "room": rooms[room]["id"], "round": rounds[rnd]["id"]}
            if _pin_fits(pin, pinned, pitches):
                pinned.append(pin)
    return {"rooms": rooms, "rounds": rounds, "pitches": pitches, "pinned": pinned}


def _pin_fits(pin: dict[str, Any], pinned: list[dict[str, Any]], pitches: list[dict[str, Any]]) -> bool:
    host = {p["id"]: p["host"] for p in pitches}
    for other in pinned:
        if other["pitch"] == pin["pitch"] or (other["room"], other["round"]) == (pin["room"], pin["round"]):
            return False
        if host[pin["pitch"]] and host[other["pitch"]] == host[pin["pitch"]] and other["round"] == pin["round"]:
            return False
    return True


# --- what every answer must satisfy -------------------------------------------------------------------------------


def recount(data: dict[str, Any], cells: list[dict[str, Any]]) -> dict[str, int]:
    """The contract's measures from the answer's cells, computed from scratch."""
    capacity = {room["id"]: room["capacity"] for room in data["rooms"]}
    interested = {pitch["id"]: pitch.get("interested", []) for pitch in data["pitches"]}
    placed = {cell["pitch"] for cell in cells}
    k: Counter[tuple[Any, Any]] = Counter()
    overflow = 0
    for cell in cells:
        people = interested[cell["pitch"]]
        overflow += max(0, len(people) - capacity[cell["room"]])
        k.update((_key(u), _key(cell["round"])) for u in people)
    missed = sum(n - 1 for n in k.values())
    unplaced = sum(len(people) for pitch, people in interested.items() if pitch not in placed)
    return {
        "missed": missed,
        "overflow": overflow,
        "unplaced_interest": unplaced,
        "score": missed + overflow + unplaced,
    }


def _key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)  # "1" and 1 are different ids


def check_rules(data: dict[str, Any], answer: dict[str, Any]) -> None:
    cells = answer["cells"]
    assert set(answer) == {"cells", "unplaced", "measures", "seconds"}
    assert all(set(cell) == {"pitch", "room", "round", "reason"} for cell in cells)
    rooms = [_key(r["id"]) for r in data["rooms"]]
    rounds = [_key(r["id"]) for r in data["rounds"]]
    pitches = {_key(p["id"]): p for p in data["pitches"]}
    for cell in cells:
        assert _key(cell["room"]) in rooms and _key(cell["round"]) in rounds and _key(cell["pitch"]) in pitches
        assert isinstance(cell["reason"], str) and cell["reason"] and "\n" not in cell["reason"]
    used = Counter((_key(c["room"]), _key(c["round"])) for c in cells)
    assert max(used.values(), default=1) == 1, "a cell holds two pitches"
    placed = Counter(_key(c["pitch"]) for c in cells)
    assert max(placed.values(), default=1) == 1, "a pitch is placed twice"
    assert sorted([*placed, *map(_key, answer["unplaced"])]) == sorted(pitches), "every pitch placed or unplaced"
    host = {pitch: p.get("host") for pitch, p in pitches.items()}
    hosts = Counter((_key(host[_key(c["pitch"])]), _key(c["round"])) for c in cells if host[_key(c["pitch"])])
    assert max(hosts.values(), default=1) == 1, "one host twice in a round"
    as_given = {(_key(c["pitch"]), _key(c["room"]), _key(c["round"])) for c in cells}
    for pin in data["pinned"]:
        assert (_key(pin["pitch"]), _key(pin["room"]), _key(pin["round"])) in as_given, f"pin moved: {pin}"
    assert answer["measures"] == recount(data, cells)
    assert isinstance(answer["seconds"], float) and answer["seconds"] >= 0


@FAST
@given(problems())
def test_rules_hold_and_measures_add_up(data: dict[str, Any]) -> None:
    check_rules(data, solve(parse(data), time_limit=5).to_json())


@FAST
@given(problems(max_pitches=9, max_rooms=3, max_rounds=3), st.integers(0, 3))
def test_heuristic_keeps_the_rules_and_never_loses_to_the_greedy(data: dict[str, Any], seed: int) -> None:
    problem = parse(data)
    answer = solve(problem, seed=seed, method="heuristic", time_limit=5)
    check_rules(data, answer.to_json())
    instance = build(problem)
    assert answer.measures.score <= measure(instance, greedy_cells(instance)).score


@settings(FAST, max_examples=60)
@given(problems(max_pitches=4, max_rooms=2, max_rounds=2))
def test_exact_equals_brute_force_on_tiny_problems(data: dict[str, Any]) -> None:
    answer = solve(parse(data), method="exact", time_limit=5)
    assert answer.solver.optimal
    assert answer.measures.score == brute_force(data)


def brute_force(data: dict[str, Any]) -> int:
    """The least score over every assignment of each unpinned pitch to a cell or to nowhere, rules kept."""
    cells = [(room["id"], rnd["id"]) for room in data["rooms"] for rnd in data["rounds"]]
    pinned = {pin["pitch"]: {**pin} for pin in data["pinned"]}
    free = [p for p in data["pitches"] if p["id"] not in pinned]
    host = {p["id"]: p.get("host") for p in data["pitches"]}
    best = None
    for choice in itertools.product([None, *cells], repeat=len(free)):
        chosen = [c for c in choice if c is not None]
        grid = [(pin["room"], pin["round"]) for pin in pinned.values()] + chosen
        if len(set(map(lambda c: (_key(c[0]), _key(c[1])), grid))) < len(grid):
            continue
        placed = [{"pitch": pid, "room": pin["room"], "round": pin["round"]} for pid, pin in pinned.items()]
        placed += [{"pitch": p["id"], "room": c[0], "round": c[1]} for p, c in zip(free, choice, strict=True) if c]
        hosts = [(host[c["pitch"]], _key(c["round"])) for c in placed if host[c["pitch"]]]
        if len(set(hosts)) < len(hosts):
            continue
        score = recount(data, placed)["score"]
        best = score if best is None else min(best, score)
    assert best is not None
    return best


@settings(FAST, max_examples=15, deadline=4000)
@given(problems(max_pitches=8), st.integers(0, 1000))
def test_same_seed_same_answer(data: dict[str, Any], seed: int) -> None:
    first = solve(parse(data), seed=seed, method="heuristic").to_json()
    second = solve(parse(data), seed=seed, method="heuristic").to_json()
    first.pop("seconds"), second.pop("seconds")
    assert first == second


# --- the edges ----------------------------------------------------------------------------------------------------


def grid(rooms: list[int], rounds: int, pitches: list[dict[str, Any]], pinned: list[dict[str, Any]] | None = None):
    return {
        "rooms": [{"id": f"room{i}", "capacity": c} for i, c in enumerate(rooms)],
        "rounds": [{"id": f"R{i + 1}"} for i in range(rounds)],
        "pitches": pitches,
        "pinned": pinned or [],
    }


def test_more_pitches_than_cells_leaves_the_least_wanted_out() -> None:
    pitches = [{"id": f"p{i}", "interested": [f"u{i}.{j}" for j in range(i + 1)]} for i in range(6)]
    data = grid([50, 50], 2, pitches)
    answer = solve(parse(data)).to_json()
    check_rules(data, answer)
    assert len(answer["cells"]) == 4
    assert sorted(answer["unplaced"]) == ["p0", "p1"]  # 1 and 2 interested: the least wanted stay out


def test_no_interest_at_all_fills_the_grid_at_no_cost() -> None:
    data = grid([30, 10], 2, [{"id": f"p{i}", "host": f"h{i}"} for i in range(3)])
    answer = solve(parse(data))
    check_rules(data, answer.to_json())
    assert answer.measures.score == 0
    assert len(answer.cells) == 3 and not answer.unplaced
    assert all(cell.why["kind"] == "no_interest" for cell in answer.cells)
    # nobody's wishes at stake: the smallest rooms of the latest rounds first
    assert {(cell.room, cell.round) for cell in answer.cells} == {("room1", "R2"), ("room0", "R2"), ("room1", "R1")}


def test_one_room_keeps_wishes_apart_over_the_rounds() -> None:
    pitches = [
        {"id": "a", "interested": ["u1", "u2", "u3"]},
        {"id": "b", "interested": ["u1", "u2"]},
        {"id": "c", "interested": ["u3"]},
    ]
    data = grid([2], 3, pitches)
    answer = solve(parse(data))
    check_rules(data, answer.to_json())
    assert answer.measures.missed == 0
    assert answer.measures.overflow == 1  # a has 3 interested and the only room 2 seats
    assert answer.cells[0].pitch == "a"  # the most wanted in the first round


def test_every_cell_pinned_moves_nothing() -> None:
    pitches = [{"id": f"p{i}", "interested": ["u1", "u2"][: i % 3]} for i in range(5)]
    pinned = [
        {"pitch": "p0", "room": "room0", "round": "R1"},
        {"pitch": "p1", "room": "room1", "round": "R1"},
        {"pitch": "p2", "room": "room0", "round": "R2"},
        {"pitch": "p3", "room": "room1", "round": "R2"},
    ]
    data = grid([10, 10], 2, pitches, pinned)
    answer = solve(parse(data))
    check_rules(data, answer.to_json())
    assert answer.unplaced == ("p4",)
    assert all(cell.reason == "pinned by the host" for cell in answer.cells)


def test_one_person_pitching_three_topics_never_twice_in_a_round() -> None:
    pitches = [{"id": f"t{i}", "host": "Karen", "interested": [f"u{j}" for j in range(10 - i)]} for i in range(3)]
    pitches.append({"id": "other", "host": "Ole", "interested": ["u1"]})
    data = grid([40, 40, 40], 2, pitches)
    for method in ("exact", "heuristic"):
        answer = solve(parse(data), method=method)
        check_rules(data, answer.to_json())
        assert answer.unplaced == ("t2",), method  # two rounds: one of Karen's three must stay out, the least wanted
        assert answer.unplaced_why["t2"]["kind"] in ("no_cell", "costs_more")


@pytest.mark.parametrize(
    "data",
    [
        grid([], 3, [{"id": "p", "interested": ["u"]}]),
        grid([10], 0, [{"id": "p", "interested": ["u"]}]),
        grid([10, 20], 2, []),
        {"rooms": [], "rounds": [], "pitches": []},
    ],
    ids=["no rooms", "no rounds", "no pitches", "nothing"],
)
def test_an_empty_event_answers_an_empty_grid(data: dict[str, Any]) -> None:
    answer = solve(parse(data))
    check_rules({**data, "pinned": data.get("pinned", [])}, answer.to_json())
    assert not answer.cells
    assert answer.solver.optimal


def test_ids_keep_their_json_type() -> None:
    data = {
        "rooms": [{"id": 1, "capacity": 5}, {"id": "1", "capacity": 5}],
        "rounds": [{"id": 7}],
        "pitches": [{"id": 3, "interested": [1, "1"]}, {"id": "3", "interested": ["1"]}],
    }
    answer = solve(parse(data)).to_json()
    check_rules({**data, "pinned": []}, answer)
    assert {(type(c["pitch"]), type(c["room"]), type(c["round"])) for c in answer["cells"]} <= {
        (int, int, int),
        (str, str, int),
        (int, str, int),
        (str, int, int),
    }
    assert answer["measures"]["missed"] == 1  # participant "1" marked both, and there is one round


def test_reasons_say_room_and_who_was_kept_apart() -> None:
    people = [f"u{i}" for i in range(48)]
    data = {
        "rooms": [{"id": 1, "capacity": 300, "name": "Store sal"}, {"id": 2, "capacity": 20}],
        "rounds": [{"id": "R1"}, {"id": "R2"}],
        "pitches": [
            {"id": 7, "title": "Ensomhed blandt ældre", "interested": people[:30]},
            {"id": 8, "interested": people},
        ],
    }
    answer = solve(parse(data))
    by_pitch = {cell.pitch: cell for cell in answer.cells}
    assert (
        by_pitch[8].reason
        == "48 interested → Store sal (300 seats); kept apart from Ensomhed blandt ældre: 30 people want both"
    )
    assert by_pitch[8].why == {
        "kind": "placed",
        "interested": 48,
        "room": 1,
        "room_name": "Store sal",
        "seats": 300,
        "over": 0,
        "apart_from": 7,
        "apart_title": "Ensomhed blandt ældre",
        "both": 30,
    }
    assert by_pitch[8].round == "R1" and by_pitch[7].round == "R2"  # the more wanted first


# --- problem files that are refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff{}", "not UTF-8: byte 0xff at offset 0"),
        (b"{", "not JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        (b"[]", "the problem: must be an object, not a list"),
        (b'{"rooms": [], "rounds": []}', 'the problem: missing key "pitches"'),
        (b'{"rooms": {}, "rounds": [], "pitches": []}', "rooms: must be a list, not an object"),
        (b'{"rooms": [{"id": "A"}], "rounds": [], "pitches": []}', 'rooms[0]: missing key "capacity"'),
        (
            b'{"rooms": [{"id": "A", "capacity": 2.5}], "rounds": [], "pitches": []}',
            "rooms[0].capacity: must be a whole",
        ),
        (
            b'{"rooms": [{"id": "A", "capacity": -1}], "rounds": [], "pitches": []}',
            "rooms[0].capacity: must not be neg",
        ),
        (
            b'{"rooms": [], "rounds": [{"id": null}], "pitches": []}',
            "rounds[0].id: must be a string or an integer, not null",
        ),
        (
            b'{"rooms": [], "rounds": [], "pitches": [{"id": 1}, {"id": 2}, {"id": 3},'
            b' {"id": 4, "interested": ["a", "b", 1.5]}]}',
            "pitches[3].interested[2]: must be a string or an integer, not the number 1.5",
        ),
        (
            b'{"rooms": [], "rounds": [], "pitches": [{"id": 1, "intrested": []}]}',
            'pitches[0]: unknown key "intrested"',
        ),
        (
            b'{"rooms": [], "rounds": [], "pitches": [{"id": 1, "interested": ["a", "a"]}]}',
            'interested[1]: "a" is already',
        ),
        (
            b'{"rooms": [], "rounds": [], "pitches": [{"id": 1}, {"id": 1}]}',
            "pitches[1].id: 1 is already the id of pitches[0]",
        ),
        (b'{"rooms": [], "rounds": [], "pitches": [], "rooms": []}', 'the key "rooms" appears twice'),
        (
            b'{"rooms": [{"id": "A", "capacity": 1}], "rounds": [{"id": 1}], "pitches": [{"id": 1}],'
            b' "pinned": [{"pitch": 1, "room": "B", "round": 1}]}',
            'pinned[0]: room "B" is not one of the rooms',
        ),
        (
            b'{"rooms": [{"id": "A", "capacity": 1}], "rounds": [{"id": 1}], "pitches": [{"id": 1}],'
            b' "pinned": [{"pitch": "1", "room": "A", "round": 1}]}',
            'pinned[0]: pitch "1" is not one of the pitches',
        ),
        (
            b'{"rooms": [{"id": "A", "capacity": 1}, {"id": "B", "capacity": 1}], "rounds": [{"id": 1}],'
            b' "pitches": [{"id": 1}], "pinned": [{"pitch": 1, "room": "A", "round": 1},'
            b' {"pitch": 1, "room": "B", "round": 1}]}',
            "pinned[1]: pitch 1 is already pinned at pinned[0]",
        ),
        (
            b'{"rooms": [{"id": "A", "capacity": 1}], "rounds": [{"id": 1}], "pitches": [{"id": 1}, {"id": 2}],'
            b' "pinned": [{"pitch": 1, "room": "A", "round": 1}, {"pitch": 2, "room": "A", "round": 1}]}',
            'pinned[1]: room "A" in round 1 already holds pinned[0]',
        ),
        (
            b'{"rooms": [{"id": "A", "capacity": 1}, {"id": "B", "capacity": 1}], "rounds": [{"id": 1}],'
            b' "pitches": [{"id": 1, "host": "h"}, {"id": 2, "host": "h"}],'
            b' "pinned": [{"pitch": 1, "room": "A", "round": 1}, {"pitch": 2, "room": "B", "round": 1}]}',
            'pinned[1]: host "h" already has pinned[0] in round 1',
        ),
        (
            b'{"rooms": [], "rounds": [], "pitches": [{"id": true}]}',
            "pitches[0].id: must be a string or an integer, not true",
        ),
        (b'{"rooms": [], "rounds": [], "pitches": [{"id": NaN}]}', "not JSON: NaN is not a number JSON allows"),
    ],
)
def test_bad_problems_are_refused_with_where_and_what(raw: bytes, message: str) -> None:
    with pytest.raises(ProblemError) as refused:
        loads(raw)
    assert message in str(refused.value)


def test_a_byte_order_mark_is_fine() -> None:
    assert loads(b'\xef\xbb\xbf{"rooms": [], "rounds": [], "pitches": []}').pitches == ()
