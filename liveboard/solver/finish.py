"""The last touches, which never raise the score: the tie rules, and pitches nobody marked.

1. An unplaced pitch that someone marked goes into a free cell where it costs nothing (its fans lose as much
   to clashes there as they lose when it stays out): a host wants every pitch on the board that fits.
2. Whole rounds trade contents so that the more wanted rounds come first ("earlier rounds for more wanted
   pitches"): a trade is made when the earlier round holds less interest and the score does not rise, which
   for rounds without pins is always (they have the same rooms and nobody's clashes change).
3. Pitches nobody marked go last: into free cells of the latest rounds, where `rooms.cells` gives them the
   smallest rooms (they change no measure; a host usually wants every approved pitch on the board).

Rooms within a round are `rooms.cells`' business: most wanted into the biggest, which is the other tie rule.
"""

from __future__ import annotations

from collections import Counter

from liveboard.solver.instance import UNPLACED, Instance, Plan
from liveboard.solver.rooms import order, overflow
from liveboard.solver.state import State


def finish(instance: Instance, plan: Plan) -> Plan:
    state = State(instance, plan)
    _place_free_of_cost(state)
    plan = _order_rounds(instance, state.plan)
    state = State(instance, plan)
    _place_unwanted(state)
    return state.plan


def _place_free_of_cost(state: State) -> None:
    instance = state.instance
    for p in instance.movable:
        if instance.interest[p] == 0 or state.plan[p] != UNPLACED:
            continue
        options = [(state.delta_move(p, rnd), rnd) for rnd in range(instance.n_rounds) if state.can_move(p, rnd)]
        if options:
            change, rnd = min(options)
            if change <= 0:
                state.move(p, rnd)


def _order_rounds(instance: Instance, plan: Plan) -> Plan:
    """Trade whole rounds' movable contents while an earlier round holds less interest and nothing gets worse."""
    plan = list(plan)
    contents = [[p for p in instance.movable if plan[p] == rnd] for rnd in range(instance.n_rounds)]
    changed = True
    while changed:
        changed = False
        for a in range(instance.n_rounds):
            for b in range(a + 1, instance.n_rounds):
                if _interest(instance, contents[a]) >= _interest(instance, contents[b]):
                    continue
                if not (_fits(instance, contents[b], a) and _fits(instance, contents[a], b)):
                    continue
                now = _round_cost(instance, contents[a], a) + _round_cost(instance, contents[b], b)
                if _round_cost(instance, contents[b], a) + _round_cost(instance, contents[a], b) > now:
                    continue
                contents[a], contents[b] = contents[b], contents[a]
                changed = True
    for rnd, pitches in enumerate(contents):
        for p in pitches:
            plan[p] = rnd
    return plan


def _interest(instance: Instance, pitches: list[int]) -> int:
    return sum(instance.interest[p] for p in pitches)


def _fits(instance: Instance, pitches: list[int], rnd: int) -> bool:
    return len(pitches) <= len(instance.free_rooms[rnd]) and all(instance.host_allows(p, rnd) for p in pitches)


def _round_cost(instance: Instance, pitches: list[int], rnd: int) -> int:
    """Clashes and overflow of round rnd holding its pins and these movable pitches."""
    pinned = [p for p, (_room, r) in instance.pinned.items() if r == rnd]
    count = Counter(u for p in (*pinned, *pitches) for u in instance.fans[p])
    seats = [instance.capacity[room] for room in instance.free_rooms[rnd]]
    loads = [instance.interest[p] for p in order(instance, pitches)]
    return sum(k - 1 for k in count.values()) + overflow(loads, seats)


def _place_unwanted(state: State) -> None:
    instance = state.instance
    for p in instance.movable:
        if instance.interest[p] or state.plan[p] != UNPLACED:
            continue
        for rnd in reversed(range(instance.n_rounds)):
            if state.can_move(p, rnd):
                state.move(p, rnd)
                break
