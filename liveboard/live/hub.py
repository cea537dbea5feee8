"""The hub: where committed changes of events arrive, after their transaction succeeded.

A small interface so the transport can change (in-process here, Redis between instances in `redis_hub`)
without the domain, the web layer or the channels knowing. `publish` may be called from any thread;
subscribers run on the server's event loop.

Besides changes, a hub reports whether it relays other instances' changes (`on_relay`): the in-process hub
always does; a Redis hub loses the relay while Redis is away, and channels then tell their screens so and
bring them up to date when it returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from liveboard.domain.changes import Change

Subscriber = Callable[[list[Change]], None]
RelayWatcher = Callable[[bool], None]


class Hub:
    """In-process delivery of committed changes to subscribers on the server's event loop."""

    #: What `/healthz` reports as the broadcast backend.
    kind = "memory"

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: list[Subscriber] = []
        self.relay_watchers: list[RelayWatcher] = []
        #: Whether changes committed by other instances reach this one. One process has no others.
        self.relaying = True

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self.loop = None

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    def on_relay(self, watcher: RelayWatcher) -> None:
        self.relay_watchers.append(watcher)

    def publish(self, changes: list[Change]) -> None:
        """Called by `Database.write` after a commit, from whichever thread committed."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self.deliver, changes)

    def deliver(self, changes: list[Change]) -> None:
        for subscriber in self.subscribers:
            subscriber(changes)

    def set_relaying(self, relaying: bool) -> None:
        """On the loop: tell the watchers when the relay is lost or back."""
        if relaying == self.relaying:
            return
        self.relaying = relaying
        for watcher in self.relay_watchers:
            watcher(relaying)


def make_hub(url: str) -> Hub:
    """The hub a broadcast URL names: `memory://` for one process, `redis://…` for several."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        return Hub()
    if scheme in ("redis", "rediss", "unix"):
        from liveboard.live.redis_hub import RedisHub

        return RedisHub(url)
    raise ValueError(f"unknown broadcast URL {url!r}: use memory:// or redis://host:port/db")
