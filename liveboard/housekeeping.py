"""What the server does by itself, on the clock: the retention purge (`domain.retention`), at start and every hour.

The sweep reads what is due once, then purges each event and series in a write of its own through the process's
writer (`Database.writer`), so it queues fairly with the requests' writes and holds no lock for long; a purge is
audited with the actor `audit.RETENTION`. The same sweep runs once from `liveboard purge --expired --yes`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session

from liveboard.db import Database
from liveboard.domain import audit, retention

log = logging.getLogger("liveboard.retention")

#: How often a running server sweeps. A purge is due to the day; an hour keeps it within the day it is due.
EVERY = 3600.0


@dataclass
class Swept:
    """What one sweep purged: the counts of each event and series it changed, by id."""

    events: dict[int, dict[str, int]] = field(default_factory=dict)
    series: dict[int, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, ident: int, counts: dict[str, int] | None) -> None:
        if counts is not None:
            getattr(self, kind)[ident] = counts


Work = tuple[str, int, Callable[[Session], dict[str, int] | None]]


def _due(database: Database, now: datetime, days: int) -> list[Work]:
    """One write per event and series due: ("events" or "series", its id, the write)."""
    with database.read() as db:
        due = retention.sweep(db, now, days)
    works: list[Work] = [
        ("events", i, lambda db, i=i: retention.purge_event(db, i, now, days))  # type: ignore[misc]
        for i in due.events
    ]
    works += [
        ("series", i, lambda db, i=i: retention.forget_members(db, i, now, days))  # type: ignore[misc]
        for i in due.series
    ]
    return works


async def sweep(database: Database, now: datetime, days: int) -> Swept:
    """Purge what is due at `now`, through the writer (a running server)."""
    swept = Swept()
    for kind, ident, work in await asyncio.to_thread(_due, database, now, days):
        counts, _ = await database.writer.run(work, audit.RETENTION)
        swept.add(kind, ident, counts)
    return swept


def sweep_once(database: Database, now: datetime, days: int) -> Swept:
    """Purge what is due at `now`, each in a transaction of its own (the command line, which has no writer)."""
    swept = Swept()
    for kind, ident, work in _due(database, now, days):
        with database.write() as db:
            db.info["actor"] = audit.RETENTION
            swept.add(kind, ident, work(db))
    return swept


async def keep_sweeping(database: Database, days: int, every: float = EVERY) -> None:
    """Sweep now, then every `every` seconds, until cancelled. A sweep that fails (the database away) is logged and
    tried again at the next one: nothing is lost by waiting an hour."""
    while True:
        try:
            swept = await sweep(database, datetime.now(UTC), days)
        except Exception:
            log.exception("the retention purge failed; it runs again in %.0f s", every)
        else:
            if swept.events or swept.series:
                log.info("retention purge: events %s, series %s", swept.events, swept.series)
        await asyncio.sleep(every)
