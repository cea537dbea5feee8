"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from liveboard import migrate
from liveboard.db import Database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file of its own: the real engine setup (WAL, BEGIN IMMEDIATE), not an in-memory stand-in."""
    db = Database(f"sqlite:///{tmp_path}/t.db")
    migrate.upgrade(db.engine)
    yield db
    db.dispose()
