"""The public log of the dialogue series: what became of what people raised, per series and across them."""

from __future__ import annotations

routes: list = []
