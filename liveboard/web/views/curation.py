"""The hosts' harvest desk: hide, edit, highlight, merge and tag the evening's notes."""

from __future__ import annotations

routes: list = []
