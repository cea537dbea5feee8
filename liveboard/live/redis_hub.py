"""The hub between instances: committed changes go out on a Redis channel per event and come in from all.

Each instance delivers its own changes to its own channels at once (no round trip, and they keep flowing
while Redis is away) and publishes them on `liveboard:event:{id}`. Every instance subscribes to the pattern
and hands other instances' changes to its channels, which read the database and render for their own
clients: a message is a few ids, never HTML, so rendering happens once per instance, next to its clients.

Redis holds nothing: a message says only "event 7 changed, version 31, these sessions", and the database
says what that means. So losing messages loses nothing that a re-read cannot restore. When the subscription
breaks, the hub reports the relay lost; channels show that on every screen, and when the subscription is
back they re-read and send whatever changed meanwhile. Changes that could not be published wait in a
bounded outbox and go out when Redis is back; past its bound they collapse into one "resync" per event.

redis-py's own retries are off: a reconnect hidden inside the client would resubscribe without anyone
knowing that messages were missed in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from liveboard.domain.changes import Change
from liveboard.live.hub import Hub

log = logging.getLogger("liveboard.live.redis")

#: Channels are `liveboard:event:{id}` and `liveboard:series:{id}`.
PREFIX = "liveboard:event:"
PATTERN = "liveboard:*"
SCOPES = ("event", "series")
#: Reconnect delays: quick at first, so a restarted Redis is noticed within a fraction of a second.
RETRY_FIRST = 0.1
RETRY_MAX = 2.0
#: With no message for this long, Redis is pinged, so a silent network loss is noticed too.
IDLE_PING = 5.0
PING_TIMEOUT = 2.0
#: Changes waiting to be published while Redis is away; past this they become one resync per event.
OUTBOX_MAX = 10_000
#: The longest a shutdown waits for the Redis tasks and connections.
STOP_TIMEOUT = 2.0
#: A change that means "read everything again" (see `live.elements.Dirty`).
RESYNC = "resync"


def channel_name(scope: str, topic_id: int) -> str:
    return f"liveboard:{scope}:{topic_id}"


class RedisHub(Hub):
    kind = "redis"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        #: Marks this instance's messages, which it has already delivered to itself.
        self.origin = secrets.token_hex(8)
        self.relaying = False
        self._redis: Redis | None = None
        self._outbox: list[Change] = []
        self._resync: set[tuple[str, int, str]] = set()
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await super().start()
        self._redis = Redis.from_url(
            self.url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=2,
            socket_keepalive=True,
        )
        self._wake = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._subscribe(), name="liveboard-redis-subscribe"),
            asyncio.create_task(self._send(), name="liveboard-redis-publish"),
        ]

    async def stop(self) -> None:
        """Bounded: an instance shutting down while Redis is unreachable must still stop."""
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), STOP_TIMEOUT)
        self._tasks = []
        if self._redis is not None:
            with contextlib.suppress(TimeoutError, RedisError, OSError):
                await asyncio.wait_for(self._redis.aclose(), STOP_TIMEOUT)
            self._redis = None
        await super().stop()

    # --- out ------------------------------------------------------------------------------------------------

    def publish(self, changes: list[Change]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._committed, changes)

    def _committed(self, changes: list[Change]) -> None:
        self.deliver(changes)
        self._outbox.extend(changes)
        if len(self._outbox) > OUTBOX_MAX:
            self._resync.update((c.scope, c.event_id, c.slug) for c in self._outbox)
            self._outbox.clear()
        if self._wake is not None:
            self._wake.set()

    async def _send(self) -> None:
        assert self._wake is not None and self._redis is not None
        delay = RETRY_FIRST
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox or self._resync:
                changes, self._outbox = self._outbox, []
                resync, self._resync = self._resync, set()
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for channel, payload in self._messages(changes, resync):
                            pipe.publish(channel, payload)
                        await pipe.execute()
                    if delay > RETRY_FIRST:
                        log.info("published to Redis again")
                    delay = RETRY_FIRST
                except (RedisError, OSError) as error:
                    # Keep them for when Redis is back; the others re-read then anyway, so order is moot.
                    if delay == RETRY_FIRST:
                        log.warning("publishing to Redis failed (%s); retrying until it works", error)
                    self._outbox[:0] = changes
                    self._resync |= resync
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX)

    def _messages(self, changes: list[Change], resync: set[tuple[str, int, str]]) -> list[tuple[str, str]]:
        by_topic: dict[tuple[str, int], list[list[Any]]] = {}
        for c in changes:
            by_topic.setdefault(c.topic, []).append([c.slug, c.version, c.kind, c.ids])
        for scope, topic_id, slug in resync:
            by_topic.setdefault((scope, topic_id), []).append([slug, 0, RESYNC, {}])
        return [
            (
                channel_name(scope, topic_id),
                json.dumps({"origin": self.origin, "changes": items}, separators=(",", ":")),
            )
            for (scope, topic_id), items in by_topic.items()
        ]

    # --- in -------------------------------------------------------------------------------------------------

    async def _subscribe(self) -> None:
        assert self._redis is not None
        delay = RETRY_FIRST
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                # Pooled connections from before an outage are dead; without retries, each would fail once.
                await self._redis.connection_pool.disconnect()
                await pubsub.psubscribe(PATTERN)
                # Subscribed before saying so: what others commit from now on reaches us, and what they
                # committed before is re-read by the channels.
                self.set_relaying(True)
                log.info("relaying live changes through Redis")
                delay = RETRY_FIRST
                await self._listen(pubsub)
            except (RedisError, OSError) as error:
                if self.relaying:
                    log.warning("lost Redis (%s): live updates from other instances are interrupted", error)
            finally:
                self.set_relaying(False)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    async def _listen(self, pubsub: Any) -> None:
        assert self._redis is not None
        idle = 0.0
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is None:
                idle += 1.0
                if idle >= IDLE_PING:
                    idle = 0.0
                    await asyncio.wait_for(self._redis.ping(), PING_TIMEOUT)
                continue
            idle = 0.0
            self._receive(message)

    def _receive(self, message: dict[str, Any]) -> None:
        if message.get("type") != "pmessage":
            return
        try:
            data = json.loads(message["data"])
            if data["origin"] == self.origin:
                return
            _, scope, topic_id = message["channel"].decode().split(":")
            if scope not in SCOPES:
                raise ValueError(f"unknown scope {scope!r}")
            changes = [
                Change(int(topic_id), str(slug), int(version), str(kind), dict(ids), scope)
                for slug, version, kind, ids in data["changes"]
            ]
        except (ValueError, KeyError, TypeError, IndexError) as error:
            log.warning("ignored a malformed message on %r: %s", message.get("channel"), error)
            return
        self.deliver(changes)
