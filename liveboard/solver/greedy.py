"""The naive greedy a host does by hand: the most wanted pitch into the biggest free room, round by round.

It is the floor LiveBoard must never fall below (the search starts from it when it is the better start),
and the benchmark's first comparison. It looks at room fit and the host rule only; who wants what together
it does not see, which is exactly what makes it cheap and what makes it lose people's wishes.
"""

from __future__ import annotations

from liveboard.solver.instance import Instance


def greedy_cells(instance: Instance) -> dict[int, tuple[int, int]]:
    """Pitch -> (room, round): free cells taken round by round, biggest room first, each by the most wanted pitch
    whose host is not already in that round."""
    cells = dict(instance.pinned)
    waiting = list(instance.movable)  # most wanted first
    for rnd, rooms in enumerate(instance.free_rooms):
        busy = set(instance.pinned_hosts[rnd])
        for room in rooms:
            for i, p in enumerate(waiting):
                host = instance.host[p]
                if host < 0 or host not in busy:
                    cells[p] = (room, rnd)
                    if host >= 0:
                        busy.add(host)
                    del waiting[i]
                    break
            else:
                break  # nobody left who may go in this round
    return cells
