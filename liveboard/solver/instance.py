"""The problem as small integers, shared by every method: pitch, room, round and participant are list indices.

The methods never look at ids. They work on a *plan*: one round index per pitch (`UNPLACED` for none), since
which room a pitch gets within its round follows from the round's contents alone (`rooms.py`). Pinned
pitches are in the plan at their pinned round and never move.
"""

from __future__ import annotations

from dataclasses import dataclass

from liveboard.solver.problem import Id, Problem

#: The round of a pitch that is not in the grid.
UNPLACED = -1

#: A plan: the round of every pitch, by pitch index, or UNPLACED.
Plan = list[int]


@dataclass(frozen=True, eq=False)
class Instance:
    problem: Problem
    n_rounds: int
    #: Per room, its seats.
    capacity: tuple[int, ...]
    #: Per pitch, how many marked it.
    interest: tuple[int, ...]
    #: Per pitch, the participants (indices) who marked it.
    fans: tuple[tuple[int, ...], ...]
    #: Per participant, the pitches they marked.
    wishes: tuple[tuple[int, ...], ...]
    #: Per pitch, its host's index, or -1 when it has none.
    host: tuple[int, ...]
    #: Pinned pitches: pitch -> (room, round).
    pinned: dict[int, tuple[int, int]]
    #: Per round, the rooms not pinned in it: biggest first, ties in the problem's order.
    free_rooms: tuple[tuple[int, ...], ...]
    #: Per round, the hosts that have a pinned pitch in it.
    pinned_hosts: tuple[frozenset[int], ...]
    #: The pitches that are not pinned: most wanted first, ties in the problem's order.
    movable: tuple[int, ...]
    #: Per pitch p, {q: the participants who marked both p and q}; about Σ_u |wishes(u)|² entries in all.
    shared: tuple[dict[int, list[int]], ...]

    @property
    def n_pitches(self) -> int:
        return len(self.interest)

    @property
    def n_people(self) -> int:
        return len(self.wishes)

    def start_plan(self) -> Plan:
        """Only the pins placed."""
        plan = [UNPLACED] * self.n_pitches
        for pitch, (_room, rnd) in self.pinned.items():
            plan[pitch] = rnd
        return plan

    def host_allows(self, pitch: int, rnd: int) -> bool:
        """No pinned pitch of this pitch's host is in that round (other movable pitches are the plan's business)."""
        host = self.host[pitch]
        return host < 0 or host not in self.pinned_hosts[rnd]


def build(problem: Problem) -> Instance:
    """Index a validated problem."""
    rooms, rounds, pitches = problem.room_index(), problem.round_index(), problem.pitch_index()
    people: dict[Id, int] = {}
    fans: list[tuple[int, ...]] = []
    for pitch in problem.pitches:
        fans.append(tuple(people.setdefault(person, len(people)) for person in pitch.interested))
    wishes: list[list[int]] = [[] for _ in people]
    for p, who in enumerate(fans):
        for u in who:
            wishes[u].append(p)
    hosts: dict[Id, int] = {}
    host = tuple(-1 if pitch.host is None else hosts.setdefault(pitch.host, len(hosts)) for pitch in problem.pitches)
    pinned = {pitches[pin.pitch]: (rooms[pin.room], rounds[pin.round]) for pin in problem.pinned}
    taken = {cell for cell in pinned.values()}
    capacity = tuple(room.capacity for room in problem.rooms)
    by_size = sorted(range(len(capacity)), key=lambda r: (-capacity[r], r))
    free_rooms = tuple(tuple(r for r in by_size if (r, rnd) not in taken) for rnd in range(len(problem.rounds)))
    pinned_hosts = tuple(
        frozenset(host[p] for p, (_room, r) in pinned.items() if r == rnd and host[p] >= 0)
        for rnd in range(len(problem.rounds))
    )
    interest = tuple(len(who) for who in fans)
    movable = tuple(sorted((p for p in range(len(fans)) if p not in pinned), key=lambda p: (-interest[p], p)))
    shared: list[dict[int, list[int]]] = [{} for _ in fans]
    for u, wished in enumerate(wishes):
        for p in wished:
            row = shared[p]
            for q in wished:
                if q != p:
                    row.setdefault(q, []).append(u)
    return Instance(
        problem=problem,
        n_rounds=len(problem.rounds),
        capacity=capacity,
        interest=interest,
        fans=tuple(fans),
        wishes=tuple(tuple(w) for w in wishes),
        host=host,
        pinned=pinned,
        free_rooms=free_rooms,
        pinned_hosts=pinned_hosts,
        movable=movable,
        shared=tuple(shared),
    )
