"""The hub: where committed changes of events arrive, after their transaction succeeded.

A small interface so the transport can change (in-process here, Redis between instances) without the domain,
the web layer or the channels knowing. `publish` may be called from any thread; subscribers run on the
server's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from liveboard.domain.changes import Change

Subscriber = Callable[[list[Change]], None]


class Hub:
    """In-process delivery of committed changes to subscribers on the server's event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: list[Subscriber] = []

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self.loop = None

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    def publish(self, changes: list[Change]) -> None:
        """Called by `Database.write` after a commit, from whichever thread committed."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self.deliver, changes)

    def deliver(self, changes: list[Change]) -> None:
        for subscriber in self.subscribers:
            subscriber(changes)
