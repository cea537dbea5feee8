"""Where the exact method is not fast: a greedy construction, then simulated annealing over rounds, then descent.

1. *Construction.* The most wanted pitch first, each into the round where it costs least now (what it serves
   minus what it overflows or makes clash), earliest round on a tie; left out when every round would cost more
   than leaving it out. The search starts from this or from the naive greedy, whichever scores better, so it
   is never worse than the greedy.
2. *Annealing.* A move takes a random pitch to a random other round or out of the grid; into a full round
   it becomes a swap with a random pitch there (with the pitch of the same host, when the host rule is what
   blocks it), so a wanted pitch can also replace one in the grid. Moves that do not worsen the score are
   taken, worse ones with probability exp(−Δ/T), T cooling geometrically to `T_END`.
   `state.State` judges a move in O(1) plus O(log rooms) for the two rounds' overflow, so the 100,000 moves
   of the city-wide evening take about a second.
3. *Descent.* From the best plan seen, every single move and every swap that lowers the score, until none
   does, so the answer is a local optimum of both neighbourhoods.

Deterministic for a given seed: the amount of work is a number of moves, not a time. The time limit only
stops a search that would overrun it (on a much slower machine), and then the answer depends on the clock.
"""

from __future__ import annotations

import math
import random
import time

from liveboard.solver.instance import UNPLACED, Instance, Plan
from liveboard.solver.state import State

#: Annealing moves per movable pitch: on the benchmark's medium evening, ten times more moved the score by ~1 %.
MOVES_PER_PITCH = 1500
#: ... and never more than this (about 1.4 s of CPU on the benchmark's busy machine, under 1 s on a quiet one),
#: so the city-wide evening (300 pitches) stays under its 2 s target.
MAX_MOVES = 100_000
#: Starting temperature with the full `MOVES_PER_PITCH`: a move that loses three wishes is taken one time in three.
#: With fewer moves per pitch there is less time to cool, and starting cooler did better (down to `T_COOL`).
T_HOT = 3.0
T_COOL = 1.0
#: Final temperature: by the end, a move that loses one wish is taken about once in 20,000.
T_END = 0.1
#: How often (in moves) the clock is read: reading it costs more than a move.
CLOCK_EVERY = 1024


def construct(instance: Instance) -> Plan:
    """Most wanted first, each into the round where it costs least now; out of the grid when nothing is cheaper."""
    state = State(instance, instance.start_plan())
    for p in instance.movable:
        if instance.interest[p] == 0:
            continue  # placed at the end, in cells nobody else wants (finish.py)
        best, where = 1, UNPLACED
        for rnd in range(instance.n_rounds):
            if state.can_move(p, rnd):
                change = state.delta_move(p, rnd)
                if change < best:
                    best, where = change, rnd
        if where != UNPLACED:
            state.move(p, where)
    return state.plan


def search(instance: Instance, start: Plan, *, seed: int, deadline: float) -> Plan:
    """A plan no worse than `start`: annealing from it, then descent from the best plan seen."""
    pool = [p for p in instance.movable if instance.interest[p] > 0]
    if not pool or instance.n_rounds == 0:
        return list(start)
    state = State(instance, start)
    best_plan = anneal(state, pool, seed=seed, deadline=deadline)
    state = State(instance, best_plan)
    descend(state, pool, deadline=deadline)
    return state.plan


def anneal(state: State, pool: list[int], *, seed: int, deadline: float) -> Plan:
    """Simulated annealing from the state's plan; returns the best plan seen."""
    draw = random.Random(seed).random  # int(draw() * n) is a fair index, and far cheaper than randrange
    rounds = state.instance.n_rounds
    plan, members, hosted, host = state.plan, state.members, state.hosted, state.instance.host
    room = [len(seats) - 1 for seats in state.seats]
    moves = min(MAX_MOVES, MOVES_PER_PITCH * len(pool))
    temperature = T_COOL + (T_HOT - T_COOL) * moves / (MOVES_PER_PITCH * len(pool))
    cool = (T_END / temperature) ** (1.0 / moves)
    best, best_plan = state.score, list(plan)
    score, size, log = best, len(pool), math.log
    for i in range(moves):
        if i % CLOCK_EVERY == 0 and time.perf_counter() > deadline:
            break
        temperature *= cool
        p = pool[int(draw() * size)]
        b = int(draw() * rounds) - 1  # one of the other rounds, or out of the grid
        if b >= plan[p]:
            b += 1
        # Taken when change <= limit: the same as change <= 0 or draw() < exp(-change / temperature), but known
        # before the move is judged, so a move that is surely worse is dropped before its rooms are worked out.
        limit = -temperature * log(1.0 - draw())
        if b == UNPLACED:
            change = state.delta_move(p, b, limit)
            if change <= limit:
                state.move(p, b)
                score += change
        else:
            h = host[p]
            blocked = h >= 0 and h in hosted[b]
            there = members[b]
            if not blocked and len(there) < room[b]:
                change = state.delta_move(p, b, limit)
                if change <= limit:
                    state.move(p, b)
                    score += change
            elif there:
                if blocked:
                    q = next((o for o in there if host[o] == h), -1)  # the pitch of the same host, if movable
                    if q < 0:
                        continue
                else:
                    q = there[int(draw() * len(there))]
                if not state.can_swap(p, q):
                    continue
                change = state.delta_swap(p, q, limit)
                if change <= limit:
                    state.swap(p, q)
                    score += change
        if score < best:
            best, best_plan = score, list(plan)
    return best_plan


def descend(state: State, pool: list[int], *, deadline: float) -> None:
    """Take every improving single move and swap until none is left (or the time is up)."""
    rounds = range(state.instance.n_rounds)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for p in pool:
            for b in (UNPLACED, *rounds):
                if b != state.plan[p] and state.can_move(p, b) and state.delta_move(p, b, 0) < 0:
                    state.move(p, b)
                    improved = True
        for i, p in enumerate(pool):
            for q in pool[i + 1 :]:
                if state.plan[p] != state.plan[q] and state.can_swap(p, q) and state.delta_swap(p, q, 0) < 0:
                    state.swap(p, q)
                    improved = True
            if time.perf_counter() > deadline:
                return
