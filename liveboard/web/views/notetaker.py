"""A session's note-taker page: opened with a link that carries a key for that session only."""

from __future__ import annotations

routes: list = []
