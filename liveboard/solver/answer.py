"""The answer: the proposed cells with their reasons, the pitches left out, the measures, the time it took.

`Answer.to_json()` is exactly the contract's shape; ids come back with the JSON type they had in the
problem. What the contract does not carry — each reason as data (`Cell.why`, for a translated page), why
each pitch was left out, and how the answer was found (`Solver`) — is on the objects, and in
`to_json(details=True)` under extra keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from liveboard.solver.measures import Measures
from liveboard.solver.problem import Id


@dataclass(frozen=True)
class Cell:
    pitch: Id
    room: Id
    round: Id
    #: One line in English, for the contract's `reason`.
    reason: str
    #: The same facts as data (see `reasons.py`).
    why: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Solver:
    """How the answer was found."""

    #: "exact" (the set-partitioning MILP), "heuristic" (annealing and descent), or "trivial" (nothing to decide).
    method: str
    #: Proven optimal: by HiGHS, or because nothing was left to decide.
    optimal: bool
    #: HiGHS's model status for the exact method; for the heuristic, what stopped it.
    status: str
    #: The best lower bound on the score that was proven, when the exact method ran.
    bound: float | None
    seed: int


@dataclass(frozen=True)
class Answer:
    cells: tuple[Cell, ...]
    unplaced: tuple[Id, ...]
    measures: Measures
    seconds: float
    solver: Solver
    #: Why each unplaced pitch is out, by pitch id.
    unplaced_why: Mapping[Id, Mapping[str, Any]] = field(default_factory=dict)

    def to_json(self, *, details: bool = False) -> dict[str, Any]:
        cells: list[dict[str, Any]] = []
        for cell in self.cells:
            item: dict[str, Any] = {"pitch": cell.pitch, "room": cell.room, "round": cell.round, "reason": cell.reason}
            if details:
                item["why"] = dict(cell.why)
            cells.append(item)
        data: dict[str, Any] = {
            "cells": cells,
            "unplaced": list(self.unplaced),
            "measures": self.measures.to_json(),
            "seconds": self.seconds,
        }
        if details:
            data["unplaced_why"] = [{"pitch": pitch, **why} for pitch, why in self.unplaced_why.items()]
            data["solver"] = {
                "method": self.solver.method,
                "optimal": self.solver.optimal,
                "status": self.solver.status,
                "bound": self.solver.bound,
                "seed": self.solver.seed,
            }
        return data
