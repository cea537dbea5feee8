"""Which room each pitch of a round gets: the most wanted into the biggest free room, and so on down.

Given the pitches of a round, this is the best room fit there is: the overflow Σ max(0, interest − seats) is
a convex function of interest − seats, so pairing both lists in the same order minimises it (an exchange
argument: two pitches in crossed order never overflow less than the same two uncrossed). It is also the
contract's tie rule, "bigger rooms for bigger interest". So the methods decide rounds only, and rooms follow.
Pitches nobody marked take the smallest rooms left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from liveboard.solver.instance import UNPLACED, Instance, Plan


def overflow(loads: Sequence[int], seats: Sequence[int]) -> int:
    """Overflow of interests (biggest first) in rooms (biggest first), paired in order."""
    return sum(n - c for n, c in zip(loads, seats, strict=False) if n > c)


def order(instance: Instance, pitches: Iterable[int]) -> list[int]:
    """Pitches most wanted first; equal interest in the problem's order."""
    return sorted(pitches, key=lambda p: (-instance.interest[p], p))


def cells(instance: Instance, plan: Plan) -> dict[int, tuple[int, int]]:
    """Every placed pitch's (room, round): pins as pinned, the rest by interest into the round's free rooms."""
    placed: dict[int, tuple[int, int]] = dict(instance.pinned)
    by_round: list[list[int]] = [[] for _ in range(instance.n_rounds)]
    for p, rnd in enumerate(plan):
        if rnd != UNPLACED and p not in instance.pinned:
            by_round[rnd].append(p)
    for rnd, pitches in enumerate(by_round):
        free = list(instance.free_rooms[rnd])
        if len(pitches) > len(free):
            raise ValueError(f"round {rnd}: {len(pitches)} pitches for {len(free)} free rooms")
        wanted = order(instance, (p for p in pitches if instance.interest[p]))
        for p, room in zip(wanted, free, strict=False):
            placed[p] = (room, rnd)
        # Pitches nobody marked take the smallest rooms, so the big ones stay free for the host's own changes.
        unwanted = sorted(p for p in pitches if not instance.interest[p])
        for p, room in zip(unwanted, reversed(free[len(wanted) :]), strict=False):
            placed[p] = (room, rnd)
    return placed
