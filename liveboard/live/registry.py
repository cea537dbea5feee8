"""All live channels of this process: one per topic (an event, or a dialogue series) that has connected clients.

Channels are keyed by `Change.topic`, `(scope, id)`: `("event", 7)` or `("series", 2)`."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value

from liveboard.config import RETENTION_DAYS
from liveboard.db import Database
from liveboard.domain import audit, board, retention
from liveboard.domain.board import Board
from liveboard.domain.changes import Change
from liveboard.live import series as series_live
from liveboard.live.channel import Channel, Client
from liveboard.memory import Crowds
from liveboard.models import Event, Presence

Topic = tuple[str, int]

# A round start's flushes run these instead of `board.load`, built once. The count is `events.presence_counts`'s,
# for the named sessions only.
_PRESENCE, _EVENT = Presence.__table__, Event.__table__  # type: ignore[attr-defined]
_VERSION = select(_EVENT.c.version).where(_EVENT.c.id == bindparam("event"))
_COUNTS = (
    select(_PRESENCE.c.session_id, func.count())
    .where(_PRESENCE.c.session_id.in_(bindparam("sessions", expanding=True)))
    .group_by(_PRESENCE.c.session_id)
)


class Live:
    def __init__(self, database: Database, retention_days: int = RETENTION_DAYS) -> None:
        self.database = database
        #: `LIVEBOARD_RETENTION_DAYS`, for what the host console says of the event's personal data.
        self.retention_days = retention_days
        self.channels: dict[Topic, Channel] = {}
        self.relaying = True
        #: What a crowd of sockets left behind is collected once it has left (`memory.Crowds`).
        self.crowds = Crowds()

    def load(self, event_id: int, views: frozenset[str] = frozenset()) -> Board:
        """One consistent read of everything any view shows (SQLite: one read transaction)."""
        with self.database.read() as db:
            event = db.get(Event, event_id)
            assert event is not None
            the_board = board.load(db, event, now(), all_pitches=True)
            the_board.audit = audit.entries(db, event, limit=30)
            the_board.privacy = retention.status(db, event, the_board.rounds, self.retention_days)
            return the_board

    def recount(self, event_id: int, last: Board, session_ids: set[int]) -> Board:
        """`last` as it is after changes that only moved the headcounts of `session_ids`: those counts and the
        event's version, in one read of two small statements instead of the whole board (`Channel.recount`)."""
        touched = {s for s in session_ids if s in last.by_session}
        # The version first, as `load` reads it: the counts are then at least as new as the version they go out with.
        with self.database.read() as db:
            run = db.connection().execute
            version = run(_VERSION, {"event": event_id}).scalar_one()
            counts = {row[0]: row[1] for row in run(_COUNTS, {"sessions": sorted(touched)})} if touched else {}
        # The event row is the last read's own, detached: its version is set as loaded, not as an edit.
        set_committed_value(last.event, "version", version)
        cells = {
            key: dataclasses.replace(cell, present=counts.get(cell.session.id, 0))
            if cell.session.id in touched
            else cell
            for key, cell in last.cells.items()
        }
        board = dataclasses.replace(last, cells=cells)
        board.by_session = {cell.session.id: cell for cell in cells.values()}  # type: ignore[misc]
        return board

    def load_series(self, series_id: int, views: frozenset[str] = frozenset()) -> series_live.SeriesBoard:
        """One consistent read of a series' current meeting, for all its views; with the organiser's console's
        (every meeting and item, with their histories) only while a console is connected."""
        with self.database.read() as db:
            return series_live.load(db, series_id, now(), console="host" in views)

    def changed(self, changes: list[Change]) -> None:
        by_topic: dict[Topic, list[Change]] = defaultdict(list)
        for change in changes:
            by_topic[change.topic].append(change)
        for topic, topic_changes in by_topic.items():
            channel = self.channels.get(topic)
            if channel is not None:
                channel.changed(topic_changes)

    def relay(self, relaying: bool) -> None:
        """From the hub: other instances' changes stopped reaching us, or reach us again."""
        self.relaying = relaying
        for channel in self.channels.values():
            channel.relay(relaying)

    def connect(self, topic: Topic | int, client: Client) -> Channel:
        """Join a client to its topic's channel (a bare id is an event's)."""
        if isinstance(topic, int):
            topic = ("event", topic)
        channel = self.channels.get(topic)
        if channel is None:
            channel = self.channels[topic] = self._channel(topic)
            if not self.relaying:
                channel.relay(False)
        channel.join(client)
        self.crowds.joined()
        return channel

    def _channel(self, topic: Topic) -> Channel:
        scope, topic_id = topic
        if scope == "series":
            return Channel(topic_id, self.load_series, now, series_live.render, series_live.facts, scope="series")
        if scope != "event":
            raise ValueError(f"unknown scope {scope!r}")
        return Channel(topic_id, self.load, now, recount=self.recount)

    def disconnect(self, channel: Channel, client: Client) -> None:
        channel.leave(client)
        self.crowds.left()
        if channel.empty() and self.channels.get(channel.topic) is channel:
            channel.close()
            del self.channels[channel.topic]

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.channels.clear()
        self.crowds.close()


def now() -> datetime:
    return datetime.now(UTC)
