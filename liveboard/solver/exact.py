"""The exact method: a set-partitioning MILP over whole rounds, solved by HiGHS, with its proof (or its gap).

The score splits by round. Given which pitches share round r, that round's clashes (Σ_u max(0, k(u, r) − 1),
pins included) and its overflow (the sorted fit of `rooms.py`, which is the best one) are fixed; what is not
in any round counts as unplaced. So a *pattern* — a set of pitches for one round, no two of one host, no more
than its free rooms — has a cost of its own, and the problem is to pick at most one pattern per round so that
no pitch is used twice:

    minimise   Σ_(S, r) y[S, r] · (cost_r(S) − Σ_{p ∈ S} interest(p))  + Σ_p interest(p) + the pins' own cost
    subject to Σ_{S ∋ p} y[S, r] ≤ 1            each pitch at most once
               Σ_S y[S, r] ≤ 1                  each round at most one pattern (none: the round is empty)

Rounds that hold no pin are interchangeable, so they share one set of patterns with Σ_S y[S] ≤ their number:
no symmetry is left for the solver to wade through.

Why not the compact model with x[pitch, room, round] and m[u, r] ≥ Σ_{p ∈ W(u)} Σ x − 1? Its LP relaxation
spreads every pitch evenly over the rounds, where nobody has two wishes in one round, so its bound is close
to useless: on 14 pitches HiGHS needed seconds of strong branching to close it, and on the medium benchmark
(40 pitches) the bound was 238 after 60 s against plans scoring about 360. The set-partitioning bound is
tight in practice (small instances close at the root or after a few nodes), at the price of enumerating the
patterns; so the exact method is used where there are at most `MAX_PATTERNS` of them: every event up to about
14 pitches, and more with few rooms per round. Above that the heuristic works alone.

Pitches nobody marked are left out: they change no measure, and `finish.py` puts them in free cells.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from math import comb

import numpy as np
from highspy import _core as highs

from liveboard.solver.instance import Instance, Plan

#: The most patterns (summed over classes of rounds) `solve` enumerates by itself: 16,383 is every non-empty
#: subset of 14 pitches. Enumerating that many takes about 0.05 s; HiGHS closes a whole relaxation in less, and
#: needed 1–4 s (busy machine) where it had to branch on 12,000–31,000.
MAX_PATTERNS = 20_000
#: The most patterns enumerated even when the exact method is asked for by name (memory: ~100 bytes each).
MAX_FORCED_PATTERNS = 1_000_000
#: The objective is a whole number, so an incumbent within less than 1 of the bound is optimal.
ABS_GAP = 1.0 - 1e-6
#: A relaxation's value this close to 0 or 1 counts as whole (HiGHS's own integrality tolerance).
INTEGRAL = 1e-6


@dataclass(frozen=True)
class Result:
    """What HiGHS found: a plan (None when none in time), whether it is proven optimal, and the bound."""

    plan: Plan | None
    optimal: bool
    status: str
    #: The plan's score, and the best lower bound proven (equal when optimal).
    score: int | None
    bound: float | None
    patterns: int

    @property
    def gap(self) -> float | None:
        if self.score is None or self.bound is None:
            return None
        return max(0.0, self.score - self.bound)


@dataclass
class _Class:
    """Rounds that share their patterns: one round holding pins, or all the rounds without any."""

    rounds: list[int]
    eligible: list[int]
    patterns: list[tuple[int, ...]] = field(default_factory=list)
    #: Per pattern, its clashes and overflow minus the interest it places: its column's cost.
    costs: list[int] = field(default_factory=list)


def pattern_count(instance: Instance) -> int:
    """An upper bound on the patterns the model would have (hosts ignored): what decides whether it is tried."""
    return sum(_count(len(c.eligible), len(instance.free_rooms[c.rounds[0]])) for c in _classes(instance))


def _count(n: int, most: int) -> int:
    return sum(comb(n, k) for k in range(1, min(n, most) + 1))


def solve(instance: Instance, start: Plan | None, *, seed: int, time_limit: float) -> Result:
    """The optimal plan, or the best HiGHS has when the time limit strikes (None when it has none)."""
    began = time.perf_counter()
    classes = _classes(instance)
    for group in classes:
        _enumerate(instance, group)
    order = [p for p in instance.movable if instance.interest[p]]
    constant = sum(instance.interest[p] for p in order) + _pinned_cost(instance)
    columns = [(c, i) for c, group in enumerate(classes) for i in range(len(group.patterns))]
    if not columns:
        return Result(instance.start_plan(), True, "Optimal", constant, float(constant), 0)

    solver = _silent_highs()
    solver.setOptionValue("time_limit", max(0.01, time_limit - (time.perf_counter() - began)))
    solver.setOptionValue("mip_rel_gap", 0.0)
    solver.setOptionValue("mip_abs_gap", ABS_GAP)
    solver.setOptionValue("random_seed", seed % 2_147_483_647)
    solver.setOptionValue("threads", 1)  # the model is small; a thread pool costs more than it gives here
    # Presolve hunts dominated columns pairwise: seconds on 10,000 patterns, for a model that needs none of it.
    solver.setOptionValue("presolve", "off")
    solver.passModel(_lp(classes, order))

    # The relaxation first: for set partitioning it is often whole already, and then it is the proof.
    solver.run()
    values = solver.getSolution().col_value
    if solver.getModelStatus() == highs.HighsModelStatus.kOptimal and all(
        v < INTEGRAL or v > 1 - INTEGRAL for v in values
    ):
        score = round(solver.getInfo().objective_function_value + constant)
        plan = _plan(instance, classes, columns, values)
        return Result(plan, True, "Optimal (the LP relaxation is whole)", score, float(score), len(columns))

    n = len(columns)
    solver.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highs.HighsVarType.kInteger))
    if start is not None:
        values = _start_values(classes, columns, start)
        if values is not None:
            solution = highs.HighsSolution()
            solution.col_value = values
            solver.setSolution(solution)
    solver.run()
    status = solver.getModelStatus()
    info = solver.getInfo()
    plan: Plan | None = None
    score = None
    if info.primal_solution_status == highs.kSolutionStatusFeasible:
        plan = _plan(instance, classes, columns, solver.getSolution().col_value)
        score = round(info.objective_function_value + constant)
    bound = info.mip_dual_bound + constant if np.isfinite(info.mip_dual_bound) else None
    return Result(
        plan=plan,
        optimal=status == highs.HighsModelStatus.kOptimal,
        status=solver.modelStatusToString(status),
        score=score,
        bound=bound,
        patterns=len(columns),
    )


def _plan(instance: Instance, classes: list[_Class], columns: list[tuple[int, int]], values: list[float]) -> Plan:
    """The plan of chosen patterns; a class's patterns go to its rounds in order."""
    plan = instance.start_plan()
    free_rounds = [list(group.rounds) for group in classes]
    for column, value in enumerate(values):
        if value > 0.5:
            c, i = columns[column]
            rnd = free_rounds[c].pop(0)
            for p in classes[c].patterns[i]:
                plan[p] = rnd
    return plan


def _silent_highs() -> highs._Highs:
    """A HiGHS that prints nothing. highspy's `Highs()` installs its callback bridge in its constructor, which
    logs HiGHS's banner to stdout (from C++, fd 1) before any option can be set (ERGO-Code/HiGHS#1702);
    `liveboard schedule` must print the answer alone there. The binding's base class is the same solver
    without that bridge, so output is switched off before HiGHS says anything."""
    solver = highs._Highs()
    solver.setOptionValue("output_flag", False)
    return solver


def _classes(instance: Instance) -> list[_Class]:
    """Each round with a pin is a class of its own; all rounds without one form one class. Eligible pitches are
    listed most wanted first, so every pattern lists its pitches in the order the rooms take them."""
    pinned_rounds = sorted({rnd for _room, rnd in instance.pinned.values()})
    free = [rnd for rnd in range(instance.n_rounds) if rnd not in pinned_rounds]
    wanted = [p for p in instance.movable if instance.interest[p]]  # most wanted first
    classes = [_Class([rnd], [p for p in wanted if instance.host_allows(p, rnd)]) for rnd in pinned_rounds]
    if free:
        classes.append(_Class(free, wanted))
    return [c for c in classes if instance.free_rooms[c.rounds[0]]]


def _enumerate(instance: Instance, group: _Class) -> None:
    """Every non-empty pattern of the class with its cost: clashes (pins of the round included) plus overflow.

    A set of participants is an integer used as a bit set, so "how many of p's fans already have a wish in this
    pattern" is one AND and a popcount. Pitches come most wanted first, so the k-th pitch of a pattern gets the
    k-th biggest room and its overflow is known when it is added."""
    rnd = group.rounds[0]
    seats = [instance.capacity[room] for room in instance.free_rooms[rnd]]
    fans = [sum(1 << u for u in who) for who in instance.fans]
    pinned = 0
    for p, (_room, r) in instance.pinned.items():
        if r == rnd:
            pinned |= fans[p]
    eligible, interest, host = group.eligible, instance.interest, instance.host
    patterns, costs = group.patterns, group.costs
    chosen: list[int] = []
    hosts: set[int] = set()

    def extend(start: int, covered: int, cost: int) -> None:
        k = len(chosen)
        for i in range(start, len(eligible)):
            p = eligible[i]
            h = host[p]
            if h >= 0 and h in hosts:
                continue
            mine = fans[p]
            added = (mine & covered).bit_count() + max(0, interest[p] - seats[k]) - interest[p]
            chosen.append(p)
            patterns.append(tuple(chosen))
            costs.append(cost + added)
            if k + 1 < len(seats):
                if h >= 0:
                    hosts.add(h)
                extend(i + 1, covered | mine, cost + added)
                if h >= 0:
                    hosts.discard(h)
            chosen.pop()

    extend(0, pinned, 0)


def _pinned_cost(instance: Instance) -> int:
    """What the pins cost whatever the rest does: their own overflow, and clashes among pinned pitches."""
    cost = sum(max(0, instance.interest[p] - instance.capacity[room]) for p, (room, _r) in instance.pinned.items())
    per: dict[tuple[int, int], int] = {}
    for p, (_room, rnd) in instance.pinned.items():
        for u in instance.fans[p]:
            per[(u, rnd)] = per.get((u, rnd), 0) + 1
    return cost + sum(k - 1 for k in per.values())


def _lp(classes: list[_Class], order: list[int]) -> highs.HighsLp:
    """Columns in class order, one per pattern; rows: each pitch once, then each class's number of rounds."""
    pitch_row = {p: i for i, p in enumerate(order)}
    starts, index = [0], []
    for c, group in enumerate(classes):
        class_row = len(order) + c
        for pattern in group.patterns:
            index += [pitch_row[p] for p in pattern]
            index.append(class_row)
            starts.append(len(index))
    lp = highs.HighsLp()
    lp.num_col_ = len(starts) - 1
    lp.num_row_ = len(order) + len(classes)
    lp.col_cost_ = np.array([cost for group in classes for cost in group.costs], dtype=np.float64)
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = np.ones(lp.num_col_)
    lp.row_lower_ = np.full(lp.num_row_, -np.inf)
    lp.row_upper_ = np.array([1.0] * len(order) + [float(len(c.rounds)) for c in classes])
    lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(len(index))
    return lp


def _start_values(classes: list[_Class], columns: list[tuple[int, int]], plan: Plan) -> list[float] | None:
    """The plan as column values (a MIP start); None when one of its rounds is not a pattern of the model."""
    where = {(c, classes[c].patterns[i]): column for column, (c, i) in enumerate(columns)}
    values = [0.0] * len(columns)
    for c, group in enumerate(classes):
        for rnd in group.rounds:
            pattern = tuple(p for p in group.eligible if plan[p] == rnd)
            if not pattern:
                continue
            column = where.get((c, pattern))
            if column is None:
                return None
            values[column] = 1.0
    return values
