"""The organiser's console of a dialogue series: meetings, the agenda, and the follow-up of every item."""

from __future__ import annotations

routes: list = []
