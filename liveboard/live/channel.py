"""One event's (or dialogue series') live channel: its clients, and the frames that keep them at the current version.

Changes arrive from the hub and only mark the channel dirty. A flush, at most one per `TICK`, reads the
event once, renders the changed elements once per view and language, keeps only those whose HTML differs
from what was last sent, encodes that frame once and writes the same bytes to every client of that view. A
burst of joins at a round start so becomes at most one frame per client per tick, carrying the latest counts.

Clients that connect (or reconnect) are served in the next flush, from the same read as everyone else: what
they missed from the recent frames when their version is recent enough, else their whole live regions.

A flush whose changes only moved headcounts (a round start: hundreds of joins, nothing else) does not read the
event again: the last read with the touched sessions' counts and the version read anew (`recount`) is the event as
it is now, since nothing else changed since, and the same renderers make the same elements from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liveboard import metrics
from liveboard.domain.board import Board
from liveboard.domain.changes import Change
from liveboard.live.elements import Dirty, Element, render
from liveboard.live.wire import Wire, encode

log = logging.getLogger("liveboard.live")

#: The longest a change waits for others to join it in one frame.
TICK = 0.1
#: Unsent bytes above which a client is skipped (marked stale) instead of written to.
HIGH_WATER = 64 * 1024
#: A stale client gets one fresh state once its backlog falls below this.
LOW_WATER = 8 * 1024
#: A client stuck above the high-water mark this long is disconnected.
STUCK_SECONDS = 30.0
#: How often skipped clients are looked at when nothing else happens.
STALE_CHECK = 0.5
#: Frames kept per view and language for clients that reconnect.
HISTORY = 200
#: A flush that failed (the database is away) is tried again after this long, with what it did not send.
RETRY = 1.0
#: Change kinds after which the last read, recounted, is the current state (see `Channel`, `recount`).
RECOUNTABLE = frozenset({"presence"})

Key = tuple[str, str]  # (view, language)


@dataclass(eq=False)
class Client:
    wire: Wire
    view: str
    lang: str
    #: The version the client has shown; None while it waits for its first frame.
    version: int | None
    pending: bool = True
    stale_since: float | None = None


@dataclass
class Stream:
    """What one view in one language was last sent, and the recent frames, for catching clients up."""

    sent: dict[str, str] = field(default_factory=dict)
    history: deque[tuple[int, dict[str, str]]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    #: Clients at this version or later can be caught up from `history`.
    base: int = 0


#: A view's elements for a change (or all of them, for `None`), in one language: `elements.render`'s shape.
Renderer = Callable[..., list[Element]]


def event_facts(board: Board) -> tuple[int, list[datetime]]:
    """What a channel needs to know of what it read: the version, and the moments its screens move on by
    themselves (round starts and ends)."""
    return board.event.version, sorted({moment for r in board.rounds for moment in (r.starts, r.ends)})


class Channel:
    """Generic over what it shows: `load` reads it (an event's board by default), `renderer` turns it into
    elements, and `facts` says its version and clock moments. `topic` is the `Change.topic` it listens to.

    `load(id, views)` is told which views have clients in this flush, so a read that only one view needs (the
    series organiser's console) is made only while that view is connected.

    `recount(id, last, session_ids)`, when given, is what a flush of `RECOUNTABLE` changes reads instead: `last`
    (what the previous flush read) with those sessions' headcounts and the version read again."""

    def __init__(
        self,
        event_id: int,
        load: Callable[[int, frozenset[str]], Any],
        now: Callable[[], datetime],
        renderer: Renderer = render,
        facts: Callable[[Any], tuple[int, list[datetime]]] = event_facts,
        scope: str = "event",
        recount: Callable[[int, Any, set[int]], Any] | None = None,
    ) -> None:
        self.event_id = event_id
        self.topic = (scope, event_id)
        self._flush_meter = metrics.flush_meter(scope)
        #: Frames and bytes of catch-ups written in the current view's delivery (see `flush`).
        self._caught_up = [0, 0]
        self._load = load
        self._now = now
        self._renderer = renderer
        self._facts = facts
        self._recount = recount
        #: What the last flush read (or recounted), for `recount`. Touched only in `_render`, one flush at a time.
        self._last: Any = None
        self.clients: dict[Key, set[Client]] = {}
        self.streams: dict[Key, Stream] = {}
        self.dirty = Dirty()
        self.version = 0
        self._flush_handle: asyncio.TimerHandle | None = None
        self._flushing = False
        self._last_flush = 0.0
        self._clock: asyncio.TimerHandle | None = None
        self._boundaries: list[datetime] = []
        self._task: asyncio.Task[None] | None = None
        #: Whether other instances' changes reach this one (see `hub`); shown on every view when not.
        self.relaying = True
        #: The version from which changes may have been missed while the relay was lost.
        self.missed_from: int | None = None
        self._retry = False

    # --- membership --------------------------------------------------------------------------------------

    def join(self, client: Client) -> None:
        self.clients.setdefault((client.view, client.lang), set()).add(client)
        self.schedule()

    def leave(self, client: Client) -> None:
        group = self.clients.get((client.view, client.lang))
        if group is not None:
            group.discard(client)
            if not group:
                del self.clients[(client.view, client.lang)]
                self.streams.pop((client.view, client.lang), None)

    def empty(self) -> bool:
        return not self.clients

    # --- changes -----------------------------------------------------------------------------------------

    def changed(self, changes: list[Change]) -> None:
        for change in changes:
            self.dirty.add(change)
        self.schedule()

    def relay(self, relaying: bool) -> None:
        """The relay between instances was lost or is back. Back, whatever was missed is read again."""
        self.relaying = relaying
        if not relaying:
            if self.missed_from is None:
                self.missed_from = self.version
        elif self.missed_from is not None:
            self.dirty.resync(self.missed_from)
            self.missed_from = None
        self.dirty.relay()
        self.schedule()

    def tick_clock(self) -> None:
        """A round starts or ends: the current round moves on every screen, with no change in the database."""
        self._clock = None
        self.dirty.clock()
        self.schedule()

    def schedule(self) -> None:
        """Flush now when the channel was quiet, else at the end of the current tick."""
        if self._flush_handle is not None or self._flushing:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_flush + (RETRY if self._retry else TICK) - loop.time())
        self._flush_handle = loop.call_later(delay, self._start_flush)

    def _start_flush(self) -> None:
        self._flush_handle = None
        self._flushing = True
        task = asyncio.ensure_future(self.flush())
        task.add_done_callback(self._flush_done)
        self._task = task

    def _flush_done(self, task: asyncio.Task[None]) -> None:
        self._flushing = False
        self._last_flush = asyncio.get_running_loop().time()
        error = None if task.cancelled() else task.exception()
        if error is not None and not self._retry:
            log.error("live flush failed for %s %s; retrying every %.0f s", *self.topic, RETRY, exc_info=error)
        self._retry = error is not None
        clients = [c for group in self.clients.values() for c in group]
        if self.dirty or any(c.pending for c in clients):
            self.schedule()
        elif any(c.stale_since is not None for c in clients):
            # Look again soon even if nothing changes: a skipped client that drained gets its fresh state,
            # one that stays stuck is dropped.
            asyncio.get_running_loop().call_later(STALE_CHECK, self.schedule)

    # --- the flush ---------------------------------------------------------------------------------------

    async def flush(self) -> None:
        dirty, self.dirty = self.dirty, Dirty()
        keys = list(self.clients)
        if not keys:
            return
        started = time.perf_counter()
        catching_up = {key for key in keys if any(self._needs_whole(c, key) for c in self.clients.get(key, ()))}
        if not dirty and not catching_up and self.version:
            # Only new sockets that the kept frames catch up (a hall reopening them): nothing to read or render.
            rendered: tuple[int, dict[Key, list[Element]], dict[Key, list[Element]]] = (self.version, {}, {})
        else:
            try:
                rendered = await asyncio.to_thread(self._render, keys, dirty, catching_up)
            except Exception:
                # The database is away (or restarting): keep what was to be sent for the next try.
                dirty.merge(self.dirty)
                self.dirty = dirty
                raise
        board_version, changed, full = rendered
        self.version = board_version
        self._arm_clock()
        for key in keys:
            clients = self.clients.get(key)
            if not clients:
                continue
            stream = self.streams.setdefault(key, Stream(base=board_version))
            frame = self._frame(stream, changed.get(key, []), board_version)
            # Counted per view, not per client: a client adds 1 when it got the shared frame; catch-ups, rarer,
            # are added up in `_caught_up`.
            self._caught_up = [0, 0]
            shared = 0
            for client in list(clients):
                shared += self._deliver(client, stream, frame, full.get(key), board_version)
            frames, size = self._caught_up
            if shared and frame is not None:
                frames, size = frames + shared, size + shared * len(frame[0])
            if frames:
                metrics.live_meter(self.topic[0], key[0]).sent(frames, size)
        self._flush_meter.observe(time.perf_counter() - started)

    def _needs_whole(self, client: Client, key: Key) -> bool:
        """Whether `client` needs its whole regions rendered in this flush: new (or drained after being skipped)
        and not to be caught up from the kept frames. When a hall reloads, each page comes a few versions behind
        and its socket is caught up from the history: rendering and reading everything for each of them would
        cost a whole read per flush (bench/overload.py). A guess that fails costs one flush: `_catch_up` then
        finds no frames, and the client waits for the next flush, which renders its regions."""
        if not _catching_up(client):
            return False
        stream, known = self.streams.get(key), client.version
        if client.stale_since is not None or stream is None or known is None or not self.relaying:
            return True
        return not stream.base <= known <= self.version

    def _render(
        self, keys: list[Key], dirty: Dirty, catching_up: set[Key]
    ) -> tuple[int, dict[Key, list[Element]], dict[Key, list[Element]]]:
        """In a worker thread: one read of the event, each view and language rendered once."""
        board = self._read(keys, dirty, catching_up)
        version, self._boundaries = self._facts(board)
        relaying = self.relaying
        render = self._renderer
        if dirty.resync_from is not None and dirty.resync_from != version:
            # Changes were missed: everything, compared with what was sent, so only what differs goes out.
            changed = {key: render(key[0], key[1], board, None, relaying=relaying) for key in keys}
        elif dirty:
            changed = {key: render(key[0], key[1], board, dirty, relaying=relaying) for key in keys}
        else:
            changed = {}
        full = {key: render(key[0], key[1], board, None, relaying=relaying) for key in catching_up}
        if "clock" in dirty.kinds:
            # Nothing in the database changed, so versions cannot tell who saw this frame: catching up
            # from the history would miss it. Those who reconnect get their whole regions instead.
            for stream in self.streams.values():
                stream.history.clear()
                stream.base = version + 1
        return version, changed, full

    def _read(self, keys: list[Key], dirty: Dirty, catching_up: set[Key]) -> Any:
        """The whole read, or the last one recounted when only headcounts moved since. Clients that catch up
        get a whole read: their regions are rendered from it, and a new client is a good moment to read afresh."""
        last, self._last = self._last, None  # a read that fails leaves nothing stale behind for the next
        if (
            self._recount is not None
            and last is not None
            and dirty.kinds <= RECOUNTABLE
            and dirty.sessions
            and dirty.resync_from is None
            and not catching_up
        ):
            board = self._recount(self.event_id, last, dirty.sessions)
        else:
            board = self._load(self.event_id, frozenset(view for view, _ in keys))
        self._last = board
        return board

    def _frame(self, stream: Stream, elements: list[Element], version: int) -> tuple[bytes, str] | None:
        """The frame for everyone of one view: only elements whose HTML differs from what was sent last."""
        parts: dict[str, str] = {}
        if any(element.region for element in elements):
            # What clients show inside a region is now what the region says, not what was sent before.
            stream.sent.clear()
        for element in elements:
            if stream.sent.get(element.id) == element.html:
                continue
            stream.sent[element.id] = element.html
            parts[element.id] = _oob(element)
        if not parts:
            return None
        if len(stream.history) == stream.history.maxlen:
            stream.base = stream.history[0][0]
        stream.history.append((version, parts))
        text = _version_tag(version) + "".join(parts.values())
        return encode(text), text

    def _deliver(
        self, client: Client, stream: Stream, frame: tuple[bytes, str] | None, full: list[Element] | None, version: int
    ) -> int:
        """Write what `client` needs now. 1 when that was the view's shared frame, for `flush` to count."""
        wire = client.wire
        if wire.closed():
            self.leave(client)
            return 0
        backlog = wire.backlog()
        if client.stale_since is not None:
            if backlog > LOW_WATER:
                if time.monotonic() - client.stale_since > STUCK_SECONDS:
                    wire.abort()
                    self.leave(client)
                    metrics.live_meter(self.topic[0], client.view).dropped.inc()
                return 0
            # Drained: one fresh state, from what it last had, instead of the frames it skipped.
            client.stale_since = None
            client.pending = True
        if client.pending:
            text = self._catch_up(client, stream, full, version)
            if text is None:
                return 0  # it needs its whole regions: the next flush renders them (see _flush_done)
            client.pending = False
            client.version = version
            if not text:
                return 0
            encoded = encode(text)
            wire.write(encoded, text)
            self._caught_up[0] += 1
            self._caught_up[1] += len(encoded)
            return 0
        if frame is None:
            return 0
        if backlog > HIGH_WATER:
            client.stale_since = time.monotonic()
            metrics.live_meter(self.topic[0], client.view).stale.inc()
            return 0
        wire.write(*frame)
        client.version = version
        return 1

    def _catch_up(self, client: Client, stream: Stream, full: list[Element] | None, version: int) -> str | None:
        """What a (re)connecting client needs: the frames it missed when they are all still kept, else its
        whole live regions. While the relay is lost, the history may lack other instances' changes, and the
        client must be told that anyway: whole regions then."""
        known = client.version
        if known is not None and self.relaying and stream.base <= known <= version:
            missed: dict[str, str] = {}
            for frame_version, parts in stream.history:
                if frame_version > known:
                    for element_id, html in parts.items():
                        # Latest last: a count sent after a board redraw must come after the board.
                        missed.pop(element_id, None)
                        missed[element_id] = html
            return _version_tag(version) + "".join(missed.values()) if missed else ""
        if full is None:
            return None
        return _version_tag(version) + "".join(_oob(e) for e in full)

    # --- the clock ---------------------------------------------------------------------------------------

    def _arm_clock(self) -> None:
        """Wake up at the next round start or end, so screens move on without a change in the database."""
        if self._clock is not None:
            self._clock.cancel()
            self._clock = None
        now = self._now()
        upcoming = [t for t in self._boundaries if t > now]
        if upcoming:
            delay = (min(upcoming) - now).total_seconds() + 0.05
            self._clock = asyncio.get_running_loop().call_later(min(delay, 3600), self.tick_clock)

    def close(self) -> None:
        for handle in (self._flush_handle, self._clock):
            if handle is not None:
                handle.cancel()


def _catching_up(client: Client) -> bool:
    """Whether a client will need its whole regions in this flush: new, or stale and drained at last."""
    return client.pending or (client.stale_since is not None and client.wire.backlog() <= LOW_WATER)


def _version_tag(version: int) -> str:
    return f'<i id="lb-v" hidden data-v="{version}" hx-swap-oob="true"></i>'


def _oob(element: Element) -> str:
    """An element as an out-of-band swap. A list item is removed wherever it is, then appended to its list:
    one shape for a new item and an edited one, since the server cannot know which of them a page holds."""
    if element.container is None:
        return element.html
    removal = f'<i id="{element.id}" hx-swap-oob="delete"></i>'
    if not element.html:
        return removal
    return f'{removal}<div hx-swap-oob="beforeend:#{element.container}">{element.html}</div>'
