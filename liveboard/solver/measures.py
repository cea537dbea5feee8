"""The contract's measures of a grid, each counting one person's wish that the grid does not serve.

With k(u, r) the number of pitches in round r that participant u marked:

- `missed` = Σ over u and r of max(0, k(u, r) − 1): wishes that clash with another wish in the same round;
- `overflow` = Σ over placed pitches of max(0, |interested| − the room's seats);
- `unplaced_interest` = Σ over pitches not in the grid of |interested|;
- `score` = their sum; lower is better.

Computed from the cells alone, so the answer's figures are checked against what it actually proposes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from liveboard.solver.instance import Instance


@dataclass(frozen=True)
class Measures:
    missed: int
    overflow: int
    unplaced_interest: int

    @property
    def score(self) -> int:
        return self.missed + self.overflow + self.unplaced_interest

    def to_json(self) -> dict[str, int]:
        return {
            "missed": self.missed,
            "overflow": self.overflow,
            "unplaced_interest": self.unplaced_interest,
            "score": self.score,
        }


def measure(instance: Instance, cells: Mapping[int, tuple[int, int]]) -> Measures:
    """The measures of placed pitches `cells` (pitch -> (room, round)); every other pitch is unplaced."""
    per_person_round: Counter[tuple[int, int]] = Counter()
    overflow = unplaced = 0
    for p, who in enumerate(instance.fans):
        cell = cells.get(p)
        if cell is None:
            unplaced += len(who)
            continue
        room, rnd = cell
        overflow += max(0, len(who) - instance.capacity[room])
        per_person_round.update((u, rnd) for u in who)
    missed = sum(k - 1 for k in per_person_round.values())
    return Measures(missed=missed, overflow=overflow, unplaced_interest=unplaced)
