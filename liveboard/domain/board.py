"""The board: one read of an event's rooms, rounds, sessions, pitches and counts, shaped for every view.

Phone, wall screen, door sign, host console and report all start from this, so they never disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from liveboard.domain import announcements, events, pitches
from liveboard.models import Announcement, AuditEntry, Event, Note, Pitch, Room, Round, Support
from liveboard.models import Session as Slot

#: How many notes a door sign shows of the session in its room: the latest, few enough to read from afar.
DOOR_NOTES = 4


@dataclass(frozen=True)
class Cell:
    session: Slot
    room: Room
    round: Round
    pitch: Pitch
    present: int

    @property
    def full(self) -> bool:
        return self.present >= self.room.capacity

    @property
    def free(self) -> int:
        return max(self.room.capacity - self.present, 0)


@dataclass(frozen=True)
class LatestNote:
    """A note as a door sign shows it: shared by every screen, so nothing in it is personal."""

    note: Note
    support: int


@dataclass
class Board:
    event: Event
    rooms: list[Room]
    rounds: list[Round]
    pitches: list[Pitch]
    interest: dict[int, int]
    cells: dict[tuple[int, int], Cell]
    announcement: Announcement | None
    clock: events.Clock
    now: datetime
    by_session: dict[int, Cell] = field(default_factory=dict)
    #: The latest host actions; loaded only for the host console.
    audit: list[AuditEntry] = field(default_factory=list)
    #: The newest shown notes of each session running now, newest first: what the door signs show.
    latest_notes: dict[int, list[LatestNote]] = field(default_factory=dict)

    def cell(self, room: Room, round_: Round) -> Cell | None:
        return self.cells.get((room.id, round_.id))  # type: ignore[arg-type]

    def cells_of(self, round_: Round) -> list[Cell]:
        return [c for room in self.rooms if (c := self.cells.get((room.id, round_.id))) is not None]  # type: ignore[arg-type]

    def cells_in(self, room: Room) -> list[Cell]:
        return [c for round_ in self.rounds if (c := self.cells.get((room.id, round_.id))) is not None]  # type: ignore[arg-type]

    def is_current(self, round_: Round) -> bool:
        return self.clock.current is not None and self.clock.current.id == round_.id

    def whereabouts(self, mine: dict[int, int]) -> Cell | None:
        """Where a participant should be: their session in the round running now, or else in the next one."""
        for round_ in (self.clock.current, self.clock.next):
            if round_ is not None and round_.id in mine:
                return self.by_session.get(mine[round_.id])
        return None

    def current_cell(self, mine: dict[int, int]) -> Cell | None:
        """The session a participant is in now, the one their notes go to."""
        current = self.clock.current
        return self.by_session.get(mine.get(current.id, -1)) if current is not None else None  # type: ignore[arg-type]

    @property
    def signature(self) -> str:
        """Changes when the programme's shape does (who is where, when, which round runs), not with counts:
        pages use it to know when a personal or per-room region must be fetched again."""
        shape = (
            tuple(sorted((k, c.session.id, c.pitch.id, c.pitch.title) for k, c in self.cells.items())),
            tuple((r.id, r.name, r.capacity, r.location) for r in self.rooms),
            tuple((r.id, r.label, r.starts, r.ends) for r in self.rounds),
            self.clock.current.id if self.clock.current else None,
            self.clock.next.id if self.clock.next else None,
        )
        return hashlib.sha1(repr(shape).encode()).hexdigest()[:12]

    @property
    def focus(self) -> Round | None:
        """The round people should look at: the one running, else the next, else the last."""
        return self.clock.current or self.clock.next or (self.rounds[-1] if self.rounds else None)


def load(db: Session, event: Event, now: datetime, *, all_pitches: bool = False) -> Board:
    rooms = events.rooms(db, event)
    rounds = events.rounds(db, event)
    everything = pitches.all_pitches(db, event)
    shown = everything if all_pitches else [p for p in everything if p.status == "approved"]
    by_id = {p.id: p for p in everything}
    room_by_id = {r.id: r for r in rooms}
    round_by_id = {r.id: r for r in rounds}
    present = events.presence_counts(db, event)
    cells: dict[tuple[int, int], Cell] = {}
    for slot in events.sessions(db, event):
        cell = Cell(
            slot, room_by_id[slot.room_id], round_by_id[slot.round_id], by_id[slot.pitch_id], present.get(slot.id, 0)
        )  # type: ignore[arg-type]
        cells[(slot.room_id, slot.round_id)] = cell
    board = Board(
        event=event,
        rooms=rooms,
        rounds=rounds,
        pitches=shown,
        interest=events.interest_counts(db, event),
        cells=cells,
        announcement=announcements.latest(db, event),
        clock=events.clock(rounds, now),
        now=now,
    )
    board.by_session = {c.session.id: c for c in cells.values()}  # type: ignore[misc]
    current = board.clock.current
    if current is not None:
        board.latest_notes = latest_notes(db, event, [c.session.id for c in board.cells_of(current)])  # type: ignore[misc]
    return board


def latest_notes(db: Session, event: Event, session_ids: list[int]) -> dict[int, list[LatestNote]]:
    """The newest few shown notes of each session, with their support, in one query.

    Every live flush and page load reads the board, so this asks only for the sessions running now and only
    for the few notes a door sign shows of each, however many the evening collects."""
    if not session_ids:
        return {}
    support = (
        select(func.count())
        .select_from(Support)
        .where(Support.note_id == Note.id)
        .correlate(Note)
        .scalar_subquery()
        .label("support")
    )
    rank = (
        func.row_number()
        .over(partition_by=Note.session_id, order_by=(col(Note.created_at).desc(), col(Note.id).desc()))
        .label("rank")
    )
    ranked = (
        select(Note, support, rank)
        .where(
            Note.event_id == event.id,
            col(Note.session_id).in_(session_ids),
            col(Note.hidden).is_(False),
            col(Note.merged_into_id).is_(None),
        )
        .subquery()
    )
    note = aliased(Note, ranked)
    rows = db.exec(select(note, ranked.c.support).where(ranked.c.rank <= DOOR_NOTES).order_by(ranked.c.rank))  # type: ignore[call-overload]
    found: dict[int, list[LatestNote]] = {}
    for row, count in rows.all():
        found.setdefault(row.session_id, []).append(LatestNote(row, count))
    return found
