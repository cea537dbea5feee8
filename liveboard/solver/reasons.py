"""One line of reason per placement, and the same facts as data so the host's page can say them in Danish.

Each reason is a dict of plain values (`why`), and `text(why)` is its English line for the JSON's `reason`:

- `{"kind": "pinned"}` — "pinned by the host";
- `{"kind": "placed", "interested": 48, "room": 3, "room_name": "Store sal", "seats": 300, "over": 0,
  "apart_from": 7, "apart_title": "Ensomhed blandt ældre", "both": 23}` — "48 interested → Store sal (300
  seats); kept apart from Ensomhed blandt ældre: 23 people want both". `apart_from` is the pitch that shares
  the most fans with this one, when it is in another round. When that pitch is in the same round instead,
  the keys are `with`/`with_title`/`both`: "…; same round as X: 4 people want both" (the host should know);
- `{"kind": "no_interest", "room": …, "room_name": …, "seats": …}` — "nobody marked it yet → a free cell in
  A (20 seats)".

Unplaced pitches get one too (not in the contract's JSON, which lists only their ids):
`{"kind": "no_cell", "interested": n}` (no free cell in a round its host is free) or
`{"kind": "costs_more", "interested": n}` (every free cell would lose more wishes than it serves).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from liveboard.solver.instance import Instance

Why = dict[str, Any]


def placed(instance: Instance, cells: Mapping[int, tuple[int, int]]) -> dict[int, Why]:
    """The reason of every placed pitch."""
    problem = instance.problem
    reasons: dict[int, Why] = {}
    for p, (room, rnd) in cells.items():
        if p in instance.pinned:
            reasons[p] = {"kind": "pinned"}
            continue
        seats = instance.capacity[room]
        where = {"room": problem.rooms[room].id, "room_name": problem.rooms[room].shown, "seats": seats}
        n = instance.interest[p]
        if n == 0:
            reasons[p] = {"kind": "no_interest", **where}
            continue
        why: Why = {"kind": "placed", "interested": n, **where, "over": max(0, n - seats)}
        partner = _closest(instance, p, cells)
        if partner is not None:
            q, both = partner
            key = "with" if cells[q][1] == rnd else "apart_from"
            why |= {key: problem.pitches[q].id, f"{key.split('_')[0]}_title": problem.pitches[q].shown, "both": both}
        reasons[p] = why
    return reasons


def unplaced(instance: Instance, cells: Mapping[int, tuple[int, int]]) -> dict[int, Why]:
    """The reason of every pitch left out."""
    used = Counter(rnd for _room, rnd in cells.values())
    hosts = {(instance.host[p], rnd) for p, (_room, rnd) in cells.items() if instance.host[p] >= 0}
    reasons: dict[int, Why] = {}
    for p in range(instance.n_pitches):
        if p in cells:
            continue
        free = any(
            used[rnd] < len(instance.capacity) and (instance.host[p] < 0 or (instance.host[p], rnd) not in hosts)
            for rnd in range(instance.n_rounds)
        )
        reasons[p] = {"kind": "costs_more" if free else "no_cell", "interested": instance.interest[p]}
    return reasons


def _closest(instance: Instance, p: int, cells: Mapping[int, tuple[int, int]]) -> tuple[int, int] | None:
    """The placed pitch that shares the most fans with p (the earliest on a tie), and how many."""
    shared = Counter(q for u in instance.fans[p] for q in instance.wishes[u] if q != p and q in cells)
    if not shared:
        return None
    q, both = min(shared.items(), key=lambda item: (-item[1], item[0]))
    return q, both


def text(why: Mapping[str, Any]) -> str:
    """The English line of a reason."""
    kind = why["kind"]
    if kind == "pinned":
        return "pinned by the host"
    if kind == "no_interest":
        return f"nobody marked it yet → a free cell in {why['room_name']} ({_seats(why['seats'])})"
    if kind == "no_cell":
        return f"no free cell left ({why['interested']} interested)"
    if kind == "costs_more":
        return f"every free cell would lose more wishes than it serves ({why['interested']} interested)"
    line = f"{why['interested']} interested → {why['room_name']} ({_seats(why['seats'])}"
    line += f"; {why['over']} more than seats)" if why["over"] else ")"
    if "apart_from" in why:
        line += f"; kept apart from {why['apart_title']}: {_people(why['both'])} both"
    elif "with" in why:
        line += f"; same round as {why['with_title']}: {_people(why['both'])} both"
    return line


def _seats(n: int) -> str:
    return "1 seat" if n == 1 else f"{n} seats"


def _people(n: int) -> str:
    return "1 person wants" if n == 1 else f"{n} people want"
