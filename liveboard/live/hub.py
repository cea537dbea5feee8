"""The hub: where committed changes of events arrive, after their transaction succeeded.

A small interface so the transport can change (in-process now, Redis between instances later) without the
domain or the web layer knowing. Listeners run on the event loop; `publish` may be called from any thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from liveboard.domain.changes import Change

Subscriber = Callable[[list[Change]], Awaitable[None]]


class Hub:
    """In-process fan-out of committed changes to subscribers on the server's event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: list[Subscriber] = []
        #: The newest version seen per event id; the live layer compares it with what clients have.
        self.versions: dict[int, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    def publish(self, changes: list[Change]) -> None:
        """Called by `Database.write` after a commit, from whichever thread committed."""
        for change in changes:
            if change.version > self.versions.get(change.event_id, -1):
                self.versions[change.event_id] = change.version
        if self.loop is None or not self.subscribers:
            return
        self.loop.call_soon_threadsafe(self._deliver, changes)

    def _deliver(self, changes: list[Change]) -> None:
        for subscriber in self.subscribers:
            task = asyncio.ensure_future(subscriber(changes))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
