"""A dialogue series for its participants: the coming meeting's agenda, proposing and supporting friction
points, and what became of them."""

from __future__ import annotations

routes: list = []
