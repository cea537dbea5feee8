"""The schedule assistant's solver: places pitches in rooms and rounds from who marked what. No HTTP, no database.

    from liveboard.solver import loads, solve
    answer = solve(loads(path.read_bytes()), seed=0, time_limit=10)
    print(answer.to_json())

`solve` keeps the contract's rules (a cell holds one pitch, a pitch is placed once, pins stay, one host per
round) and minimises its score, missed + overflow + unplaced_interest. It picks the method by size: the exact
set-partitioning MILP (`exact.py`) where its patterns are few enough to enumerate, which covers every event
of up to about 14 pitches; otherwise annealing and descent (`heuristic.py`). Both start from the better of a
greedy construction and the naive greedy, so the answer is never worse than the naive greedy. docs/scheduling.md
explains the model.
"""

from __future__ import annotations

import time

from liveboard.solver import heuristic, reasons
from liveboard.solver import rooms as room_fit
from liveboard.solver.answer import Answer, Cell, Solver
from liveboard.solver.finish import finish
from liveboard.solver.greedy import greedy_cells
from liveboard.solver.instance import UNPLACED, Instance, Plan, build
from liveboard.solver.measures import Measures, measure
from liveboard.solver.problem import Id, Pin, Pitch, Problem, ProblemError, Room, Round, loads, parse, validate
from liveboard.solver.state import State

__all__ = [
    "METHODS",
    "TIME_LIMIT",
    "Answer",
    "Cell",
    "Id",
    "Measures",
    "Pin",
    "Pitch",
    "Problem",
    "ProblemError",
    "Room",
    "Round",
    "Solver",
    "loads",
    "parse",
    "solve",
]

#: Seconds a solve may take by default. A host waits for it in the browser; the exact method proves small events
#: in well under a second, and the heuristic's work is sized to finish the city-wide evening in about one.
TIME_LIMIT = 10.0

#: The share of the time limit the exact method may take when it is chosen; the rest is for annealing, should it
#: not prove its plan optimal in time (then its incumbent is often no better than the heuristic's).
EXACT_SHARE = 0.7

#: The methods `solve` can be told to use instead of choosing by size (the benchmark and the tests do).
METHODS = ("auto", "exact", "heuristic")


def solve(problem: Problem, *, seed: int = 0, time_limit: float = TIME_LIMIT, method: str = "auto") -> Answer:
    """The best grid found for `problem` within `time_limit` seconds; the same answer for the same seed.

    `method="auto"` picks the exact MILP when its patterns are few enough (`exact.MAX_PATTERNS`), else the
    heuristic; "exact" or "heuristic" forces one (the exact method refuses past `exact.MAX_FORCED_PATTERNS`).
    Raises `ProblemError` for a problem that breaks the rules among its own parts (see `problem.validate`)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    # numpy and HiGHS (about 18 MB) load with the first solve, not with every server that never proposes a grid.
    from liveboard.solver import exact

    began = time.perf_counter()
    deadline = began + time_limit
    validate(problem)
    instance = build(problem)
    plan = _start(instance)
    wanted = [p for p in instance.movable if instance.interest[p]]
    if not wanted or instance.n_rounds == 0 or not any(instance.free_rooms):
        solver = Solver("trivial", True, "nothing to decide", None, seed)
    elif method == "exact" or (method == "auto" and exact.pattern_count(instance) <= exact.MAX_PATTERNS):
        if exact.pattern_count(instance) > exact.MAX_FORCED_PATTERNS:
            raise ValueError(f"the exact method would enumerate about {exact.pattern_count(instance):.1e} patterns")
        plan, solver = _exact(instance, plan, seed=seed, deadline=deadline)
    else:
        plan = heuristic.search(instance, plan, seed=seed, deadline=deadline)
        stopped = "time limit reached" if time.perf_counter() > deadline else "local optimum"
        solver = Solver("heuristic", False, stopped, None, seed)
    return _answer(instance, finish(instance, plan), solver, began)


def _start(instance: Instance) -> Plan:
    """The better of the greedy construction and the naive greedy: the floor every method improves on. Pitches
    nobody marked are left out of both (they cost nothing either way); `finish` places them last."""
    built = heuristic.construct(instance)
    naive = instance.start_plan()
    for p, (_room, rnd) in greedy_cells(instance).items():
        if instance.interest[p]:
            naive[p] = rnd
    return min((built, naive), key=lambda plan: State(instance, plan).score)


def _exact(instance: Instance, start: Plan, *, seed: int, deadline: float) -> tuple[Plan, Solver]:
    """Descent for a quick incumbent, then the MILP from it with `EXACT_SHARE` of the time left; when it has not
    proven its plan optimal by then, annealing from the better of the two with the rest."""
    from liveboard.solver import exact

    state = State(instance, start)
    wanted = [p for p in instance.movable if instance.interest[p]]
    heuristic.descend(state, wanted, deadline=deadline)
    left = deadline - time.perf_counter()
    result = exact.solve(instance, state.plan, seed=seed, time_limit=EXACT_SHARE * left)
    plan = state.plan
    if result.plan is not None and State(instance, result.plan).score <= state.score:
        plan = result.plan
    if not result.optimal:
        plan = heuristic.search(instance, plan, seed=seed, deadline=deadline)
    return plan, Solver("exact", result.optimal, result.status, result.bound, seed)


def _answer(instance: Instance, plan: Plan, solver: Solver, began: float) -> Answer:
    problem = instance.problem
    cells = room_fit.cells(instance, plan)
    why = reasons.placed(instance, cells)
    out = reasons.unplaced(instance, cells)
    placed = sorted(cells.items(), key=lambda item: (item[1][1], item[1][0]))
    return Answer(
        cells=tuple(
            Cell(
                pitch=problem.pitches[p].id,
                room=problem.rooms[room].id,
                round=problem.rounds[rnd].id,
                reason=reasons.text(why[p]),
                why=why[p],
            )
            for p, (room, rnd) in placed
        ),
        unplaced=tuple(problem.pitches[p].id for p in range(instance.n_pitches) if plan[p] == UNPLACED),
        measures=measure(instance, cells),
        seconds=round(time.perf_counter() - began, 3),
        solver=solver,
        unplaced_why={problem.pitches[p].id: why for p, why in out.items()},
    )
