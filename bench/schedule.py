"""The schedule assistant against what a host or another tool would do, on generated evenings, by our measures.

    .venv/bin/python bench/schedule.py                      # every instance, 3 timed runs each (~10 min)
    .venv/bin/python bench/schedule.py --only small-1,medium --repeat 5
    .venv/bin/python bench/schedule.py --cs-limit 30 --no-cs-big   # conference-scheduler on the small ones only

Instances (seeded, so every run solves the same ones): three small evenings (10–14 pitches, 3–4 rooms, 3–4
rounds), a medium one (40 pitches × 10 rooms × 4 rounds, 400 participants) and the city-wide one (300 pitches
× 40 rooms × 6 rounds, 2,000 participants). Interest is skewed as on a real evening: popularity falls off as
1/rank^0.9, every participant marks 2–6 pitches, and 60 % of their marks fall in a "cluster" of related topics
that the same people like; a few hosts pitch two or three topics; a few cells are pinned.

Methods, each measured with LiveBoard's measures (`missed`, `overflow`, `unplaced_interest`, `score`):

- `liveboard`: `solve(problem)` as the CLI and the host's page call it (seed 0; it picks its method by size).
- `liveboard heuristic`: the same with the heuristic forced, on the small instances (where `liveboard` is exact).
- `greedy`: the naive greedy, most wanted first into the biggest free room, round by round.
- `conference-scheduler (…)`: PyconUK's package from PyPI with its own model: each pitch an Event with demand =
  its interest, each room × round a Slot with capacity = the room's seats (slots of one round overlap in time),
  two pitches of one host unavailable to each other; solved by `scheduler.solution` with its default solver
  (PuLP's CBC), given a time limit, once per objective function it ships: `efficiency` (Σ demand − capacity) and
  `equity` (the largest overflow). Its model schedules every event exactly once, so it gets the most wanted
  pitches that fit the free cells (the rest stay unplaced, as they would for LiveBoard), and pins are applied
  before: their slots and pitches are left out, and their hosts' pitches made unavailable in their rounds.
- `exact`: `solve(problem, method="exact")`, the set-partitioning MILP to proven optimality, where its patterns
  are few enough to enumerate (`--exact-patterns`); elsewhere the table says why not.

Times are medians over `--repeat` runs (conference-scheduler: `--cs-repeat`), wall clock; the machine's load
average is printed with the table, since other work on a shared machine slows every method alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liveboard.solver import exact, parse, solve  # noqa: E402
from liveboard.solver.greedy import greedy_cells  # noqa: E402
from liveboard.solver.instance import Instance, build  # noqa: E402
from liveboard.solver.measures import Measures, measure  # noqa: E402

#: Popularity of the k-th topic falls off as 1/k^SKEW: a few topics draw most marks, as on the evenings in seeds/.
SKEW = 0.9
#: Share of a participant's marks that fall in their favourite cluster of related topics.
CLUSTER_SHARE = 0.6
#: How many pitches each participant marks, and how often each count occurs.
MARKS, MARK_WEIGHTS = (2, 3, 4, 5, 6), (3, 4, 3, 2, 1)
#: Topics per cluster of related topics, on average.
CLUSTER_SIZE = 6


@dataclass(frozen=True)
class Spec:
    name: str
    pitches: int
    rounds: int
    people: int
    pins: int
    rooms: tuple[int, ...]
    seed: int
    #: Hosts who pitch more than one topic: (how many such hosts, topics each).
    multi_hosts: tuple[tuple[int, int], ...] = ((1, 2),)


def city_rooms() -> tuple[int, ...]:
    """40 rooms of a congress centre: two halls, six big rooms, twelve medium and twenty small."""
    return (400, 250, *(150, 120, 120, 100, 100, 100), *(60,) * 4, *(50,) * 4, *(40,) * 4, *(30,) * 8, *(20,) * 12)


SPECS = (
    Spec("small-1", pitches=10, rounds=3, people=50, pins=1, rooms=(40, 20, 12), seed=11),
    Spec("small-2", pitches=12, rounds=3, people=80, pins=1, rooms=(60, 30, 20, 12), seed=12, multi_hosts=((1, 3),)),
    Spec("small-3", pitches=14, rounds=4, people=120, pins=2, rooms=(80, 40, 25, 15), seed=13),
    Spec(
        "medium",
        pitches=40,
        rounds=4,
        people=400,
        pins=3,
        rooms=(200, 80, 60, 40, 40, 30, 25, 20, 20, 15),
        seed=21,
        multi_hosts=((2, 2), (1, 3)),
    ),
    Spec("city", pitches=300, rounds=6, people=2000, pins=6, rooms=city_rooms(), seed=31, multi_hosts=((8, 2), (3, 3))),
)


def generate(spec: Spec) -> dict[str, Any]:
    """The problem file of an instance: same spec, same file."""
    rng = random.Random(spec.seed)
    n = spec.pitches
    weight = [1.0 / (rank + 1) ** SKEW for rank in range(n)]
    rng.shuffle(weight)
    clusters = max(2, n // CLUSTER_SIZE)
    cluster_of = [rng.randrange(clusters) for _ in range(n)]
    members = [[p for p in range(n) if cluster_of[p] == c] for c in range(clusters)]
    everyone = list(range(n))
    interested: list[list[str]] = [[] for _ in range(n)]
    for u in range(spec.people):
        want = min(n, rng.choices(MARKS, weights=MARK_WEIGHTS)[0])
        cluster = members[rng.randrange(clusters)]
        chosen: set[int] = set()
        while len(chosen) < want:
            pool = cluster if cluster and rng.random() < CLUSTER_SHARE else everyone
            left = [p for p in pool if p not in chosen] or [p for p in everyone if p not in chosen]
            chosen.add(rng.choices(left, weights=[weight[p] for p in left])[0])
        for p in sorted(chosen):
            interested[p].append(f"u{u}")
    hosts = [f"h{p}" for p in range(n)]
    order = list(range(n))
    rng.shuffle(order)
    for count, size in spec.multi_hosts:
        for _ in range(count):
            group = [order.pop() for _ in range(size)]
            for p in group[1:]:
                hosts[p] = hosts[group[0]]
    rooms = [{"id": f"room{i + 1}", "capacity": c} for i, c in enumerate(spec.rooms)]
    rounds = [{"id": f"R{r + 1}"} for r in range(spec.rounds)]
    pitches = [{"id": f"p{p}", "host": hosts[p], "interested": interested[p]} for p in range(n)]
    pinned: list[dict[str, str]] = []
    taken: set[tuple[int, int]] = set()
    busy: set[tuple[str, int]] = set()
    while len(pinned) < spec.pins:
        p, room, rnd = rng.randrange(n), rng.randrange(len(rooms)), rng.randrange(spec.rounds)
        if any(pin["pitch"] == f"p{p}" for pin in pinned) or (room, rnd) in taken or (hosts[p], rnd) in busy:
            continue
        taken.add((room, rnd))
        busy.add((hosts[p], rnd))
        pinned.append({"pitch": f"p{p}", "room": rooms[room]["id"], "round": rounds[rnd]["id"]})
    return {"rooms": rooms, "rounds": rounds, "pitches": pitches, "pinned": pinned}


# --- methods ------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    instance: str
    method: str
    measures: Measures | None
    seconds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None


def timed(run: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return result, times


def run_liveboard(name: str, data: dict[str, Any], repeat: int, method: str = "auto") -> Row:
    answer, times = timed(lambda: solve(parse(data), seed=0, method=method), repeat)
    info = answer.solver
    note = f"{info.method}: {'proven optimal' if info.optimal else info.status}"
    label = "liveboard" if method == "auto" else f"liveboard {method}"
    return Row(name, label, answer.measures, times, note)


def run_greedy(name: str, instance: Instance, repeat: int) -> Row:
    cells, times = timed(lambda: greedy_cells(instance), repeat)
    return Row(name, "greedy", measure(instance, cells), times)


def run_exact(name: str, data: dict[str, Any], instance: Instance, limit: float, patterns: int) -> Row:
    count = exact.pattern_count(instance)
    if count > patterns:
        return Row(name, "exact", None, note=f"not attempted: about {count:.1e} patterns to enumerate")
    answer, times = timed(lambda: solve(parse(data), method="exact", time_limit=limit), 1)
    info = answer.solver
    if info.optimal:
        note = f"proven optimal ({count:,} patterns)"
    else:
        note = f"not proven in {limit:g} s: {info.status}, bound {info.bound}"
    return Row(name, "exact", answer.measures, times, note)


def run_conference_scheduler(name: str, instance: Instance, objective: str, limit: float, repeat: int) -> Row:
    """conference-scheduler's own model and default solver (CBC), with a time limit; measured with our measures."""
    import pulp
    from conference_scheduler import scheduler
    from conference_scheduler.lp_problem import objective_functions
    from conference_scheduler.resources import Event, Slot

    start = datetime(2013, 9, 24, 18, 0)
    pinned_cells = set(instance.pinned.values())
    slots, cells = [], []
    for rnd in range(instance.n_rounds):
        for room in range(len(instance.capacity)):
            if (room, rnd) not in pinned_cells:
                at = start + timedelta(minutes=60 * rnd)
                slots.append(Slot(f"room{room}", at, 45, instance.capacity[room], f"round{rnd}"))
                cells.append((room, rnd))
    chosen = _fitting(instance, len(slots))
    events = [Event(f"pitch{p}", 45, instance.interest[p]) for p in chosen]
    by_host: dict[int, list[Event]] = {}
    for p, event in zip(chosen, events, strict=True):
        if instance.host[p] >= 0:
            by_host.setdefault(instance.host[p], []).append(event)
            event.add_unavailability(
                *(s for s, c in zip(slots, cells, strict=True) if not instance.host_allows(p, c[1]))
            )
    for group in by_host.values():
        for event in group:
            event.add_unavailability(*(other for other in group if other is not event))
    function = getattr(objective_functions, f"{objective}_capacity_demand_difference")

    def run() -> tuple[dict[int, tuple[int, int]] | None, str]:
        try:
            solution = scheduler.solution(
                events, slots, objective_function=function, solver=pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
            )
        except ValueError as error:  # "No valid solution found": infeasible, or nothing found in the time
            return None, str(error)
        placed = dict(instance.pinned)
        for e, s in solution:
            placed[chosen[e]] = cells[s]
        return placed, ""

    (placed, error), times = timed(run, repeat)
    label = f"conference-scheduler ({objective})"
    if placed is None:
        return Row(name, label, None, times, f"no schedule within {limit:g} s: {error}")
    over = " (stopped at its time limit)" if statistics.median(times) >= limit else ""
    return Row(name, label, measure(instance, placed), times, f"CBC, time limit {limit:g} s{over}")


def _fitting(instance: Instance, cells: int) -> list[int]:
    """The most wanted unpinned pitches that the free cells can take, at most one per host per round."""
    chosen: list[int] = []
    per_host: dict[int, int] = {}
    for p in instance.movable:  # most wanted first
        host = instance.host[p]
        rounds = sum(1 for rnd in range(instance.n_rounds) if instance.host_allows(p, rnd))
        if len(chosen) == cells:
            break
        if host >= 0 and per_host.get(host, 0) >= rounds:
            continue
        chosen.append(p)
        if host >= 0:
            per_host[host] = per_host.get(host, 0) + 1
    return chosen


# --- the table ----------------------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    lines = [
        "| instance | method | missed | overflow | unplaced_interest | score | seconds (median) | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        m = row.measures
        figures = [m.missed, m.overflow, m.unplaced_interest, f"**{m.score}**"] if m else ["—"] * 4
        seconds = f"{row.median:.4f}" if row.median is not None else "—"
        lines.append(f"| {row.instance} | {row.method} | {' | '.join(map(str, figures))} | {seconds} | {row.note} |")
    return "\n".join(lines)


def describe(spec: Spec, data: dict[str, Any]) -> str:
    marks = sum(len(p["interested"]) for p in data["pitches"])
    top = max(len(p["interested"]) for p in data["pitches"])
    return (
        f"{spec.name}: {spec.pitches} pitches, {len(spec.rooms)} rooms ({min(spec.rooms)}–{max(spec.rooms)} seats), "
        f"{spec.rounds} rounds = {len(spec.rooms) * spec.rounds} cells, {spec.people} participants, {marks} marks "
        f"(most wanted: {top}), {spec.pins} pinned"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated instance names (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of LiveBoard and the greedy (default 3)")
    parser.add_argument("--cs-repeat", type=int, default=1, help="timed runs of conference-scheduler (default 1)")
    parser.add_argument("--cs-limit", type=float, default=60.0, help="CBC's time limit per run, seconds (default 60)")
    parser.add_argument("--no-cs-big", action="store_true", help="skip conference-scheduler on medium and city")
    parser.add_argument("--exact-limit", type=float, default=60.0, help="time limit of the exact row (default 60)")
    parser.add_argument(
        "--exact-patterns", type=int, default=200_000, help="most patterns the exact row enumerates (default 200,000)"
    )
    parser.add_argument("--out", type=Path, help="JSON with every figure (default /tmp/schedule-DATE.json)")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    specs = [spec for spec in SPECS if wanted is None or spec.name in wanted]
    load_before = os.getloadavg()
    rows: list[Row] = []
    for spec in specs:
        data = generate(spec)
        instance = build(parse(data))
        print(describe(spec, data), flush=True)
        rows.append(run_liveboard(spec.name, data, args.repeat))
        if spec.name.startswith("small"):
            rows.append(run_liveboard(spec.name, data, args.repeat, method="heuristic"))
        rows.append(run_greedy(spec.name, instance, args.repeat))
        if not (args.no_cs_big and not spec.name.startswith("small")):
            for objective in ("efficiency", "equity"):
                rows.append(run_conference_scheduler(spec.name, instance, objective, args.cs_limit, args.cs_repeat))
                print(f"  {rows[-1].method}: {rows[-1].measures}", flush=True)
        rows.append(run_exact(spec.name, data, instance, args.exact_limit, args.exact_patterns))
    load_after = os.getloadavg()
    print()
    print(table(rows))
    print()
    print(
        f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after."
    )
    print(f"command: .venv/bin/python bench/schedule.py {' '.join(sys.argv[1:])}".rstrip())
    out = args.out or Path(f"/tmp/schedule-{datetime.now():%Y%m%d-%H%M%S}.json")
    out.write_text(
        json.dumps(
            {
                "command": sys.argv,
                "load": [load_before, load_after],
                "rows": [
                    {
                        "instance": r.instance,
                        "method": r.method,
                        "measures": r.measures.to_json() if r.measures else None,
                        "seconds": r.seconds,
                        "note": r.note,
                    }
                    for r in rows
                ],
            },
            indent=2,
        )
    )
    print(f"figures: {out}")


if __name__ == "__main__":
    main()
