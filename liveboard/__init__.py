"""LiveBoard: the live part of citizen dialogue."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

#: The repository root: templates/ and static/ live beside the package, not inside it.
ROOT = Path(__file__).resolve().parent.parent
