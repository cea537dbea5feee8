"""All live channels of this process: one per event that has connected clients."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from liveboard.db import Database
from liveboard.domain import audit, board
from liveboard.domain.board import Board
from liveboard.domain.changes import Change
from liveboard.live.channel import Channel, Client
from liveboard.models import Event


class Live:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.channels: dict[int, Channel] = {}
        self.relaying = True

    def load(self, event_id: int) -> Board:
        """One consistent read of everything any view shows (SQLite: one read transaction)."""
        with self.database.read() as db:
            event = db.get(Event, event_id)
            assert event is not None
            the_board = board.load(db, event, now(), all_pitches=True)
            the_board.audit = audit.entries(db, event, limit=30)
            return the_board

    def changed(self, changes: list[Change]) -> None:
        by_event: dict[int, list[Change]] = defaultdict(list)
        for change in changes:
            if change.scope == "event":
                by_event[change.event_id].append(change)
        for event_id, event_changes in by_event.items():
            channel = self.channels.get(event_id)
            if channel is not None:
                channel.changed(event_changes)

    def relay(self, relaying: bool) -> None:
        """From the hub: other instances' changes stopped reaching us, or reach us again."""
        self.relaying = relaying
        for channel in self.channels.values():
            channel.relay(relaying)

    def connect(self, event_id: int, client: Client) -> Channel:
        channel = self.channels.get(event_id)
        if channel is None:
            channel = self.channels[event_id] = Channel(event_id, self.load, now)
            if not self.relaying:
                channel.relay(False)
        channel.join(client)
        return channel

    def disconnect(self, channel: Channel, client: Client) -> None:
        channel.leave(client)
        if channel.empty() and self.channels.get(channel.event_id) is channel:
            channel.close()
            del self.channels[channel.event_id]

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.channels.clear()


def now() -> datetime:
    return datetime.now(UTC)
