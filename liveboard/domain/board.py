"""The board: one read of an event's rooms, rounds, sessions, pitches and counts, shaped for every view.

Phone, wall screen, door sign, host console and report all start from this, so they never disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from liveboard.domain import announcements, blocking, events, pitches
from liveboard.models import Announcement, AuditEntry, Event, Interest, Note, Pitch, Presence, Room, Round, Support
from liveboard.models import Session as Slot

if TYPE_CHECKING:
    from liveboard.domain import retention

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
    #: What the host console says of the event's personal data (`retention.status`); None for other views.
    privacy: retention.Status | None = None
    #: The newest shown notes of each session running now, newest first: what the door signs show.
    latest_notes: dict[int, list[LatestNote]] = field(default_factory=dict)
    #: The participants hosts have blocked; loaded only with `all_pitches` (for the host console).
    blocked: list[blocking.Blocked] = field(default_factory=list)

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
        return _whereabouts(self.clock, self.by_session, mine)

    def current_cell(self, mine: dict[int, int]) -> Cell | None:
        """The session a participant is in now, the one their notes go to."""
        return _current_cell(self.clock, self.by_session, mine)

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


def _whereabouts(clock: events.Clock, by_session: dict[int, Cell], mine: dict[int, int]) -> Cell | None:
    for round_ in (clock.current, clock.next):
        if round_ is not None and round_.id in mine:
            return by_session.get(mine[round_.id])
    return None


def _current_cell(clock: events.Clock, by_session: dict[int, Cell], mine: dict[int, int]) -> Cell | None:
    current = clock.current
    return by_session.get(mine.get(current.id, -1)) if current is not None else None  # type: ignore[arg-type]


@dataclass
class Evening:
    """One person's evening: where they go now, their sessions and their interest, read without the board.

    It answers a join or leave while hundreds of others join too (the board's counts follow over the live
    socket, rendered once for everyone), so it is read with a few statements built once, and it answers
    `is_current` as the board does: the same fragments render from either."""

    event: Any
    clock: events.Clock
    mine: dict[int, int]
    interested: set[int]
    where: Cell | None
    here: Cell | None

    def is_current(self, round_: Round) -> bool:
        return self.clock.current is not None and self.clock.current.id == round_.id


_E, _RD, _PR = Event.__table__, Round.__table__, Presence.__table__  # type: ignore[attr-defined]
_SL, _RM, _PI, _IN = Slot.__table__, Room.__table__, Pitch.__table__, Interest.__table__  # type: ignore[attr-defined]
_HERE = _PR.alias("here")  # everyone in a session, counted beside the person's own presence
# The event with its rounds (for the clock), and the person's sessions with what the fragment says of them.
_EVENING_EVENT = (
    select(
        _E.c.slug,
        _E.c.title,
        _E.c.language,
        _E.c.timezone,
        _RD.c.id,
        _RD.c.event_id,
        _RD.c.label,
        _RD.c.starts,
        _RD.c.ends,
    )
    .outerjoin(_RD, _RD.c.event_id == _E.c.id)
    .where(_E.c.id == bindparam("event"))
    .order_by(_RD.c.starts, _RD.c.id)
)
_EVENING_MINE = (
    select(
        _PR.c.participant_id,
        _PR.c.round_id,
        _PR.c.session_id,
        _SL.c.event_id,
        _SL.c.room_id,
        _SL.c.pitch_id,
        _PI.c.title,
        _RM.c.name,
        _RM.c.location,
        _RM.c.capacity,
        select(func.count()).select_from(_HERE).where(_HERE.c.session_id == _SL.c.id).scalar_subquery(),
    )
    .join(_SL, _SL.c.id == _PR.c.session_id)
    .join(_PI, _PI.c.id == _SL.c.pitch_id)
    .join(_RM, _RM.c.id == _SL.c.room_id)
    .where(_PR.c.participant_id.in_(bindparam("people", expanding=True)), _SL.c.event_id == bindparam("event"))
)
_EVENING_INTEREST = (
    select(_IN.c.participant_id, _IN.c.pitch_id)
    .join(_PI, _PI.c.id == _IN.c.pitch_id)
    .where(_IN.c.participant_id.in_(bindparam("people", expanding=True)), _PI.c.event_id == bindparam("event"))
)


def evenings(db: Session, event_id: int, people: list[int | None], now: datetime) -> dict[int | None, Evening]:
    """`Board.whereabouts` and `current_cell` for each of `people` (None: a phone that has done nothing yet), with
    their marks: what their phones' "where do I go now" shows, from their own sessions in the round running now and
    the next. Three statements for all: a round start's batch of joins answers each phone with its own."""
    run = db.connection().execute
    # Rows, not model instances: what the fragments read of them (a slug, a label, a title) they read alike,
    # and making a few dozen ORM objects would cost more than the statements.
    rows = run(_EVENING_EVENT, {"event": event_id}).all()
    head = rows[0]
    event = SimpleNamespace(
        id=event_id, slug=head.slug, title=head.title, language=head.language, timezone=head.timezone
    )
    rounds = [row for row in rows if row.id is not None]
    clock = events.clock(rounds, now)  # type: ignore[arg-type]
    by_round = {r.id: r for r in rounds}
    mine: dict[int | None, dict[int, int]] = {person: {} for person in people}
    interested: dict[int | None, set[int]] = {person: set() for person in people}
    by_session: dict[int, Cell] = {}
    known = sorted({person for person in people if person is not None})
    if known:
        key = {"people": known, "event": event_id}
        for row in run(_EVENING_MINE, key):
            person, round_id, slot_id, slot_event, room_id, pitch_id, title, name, location, capacity, present = row
            mine[person][round_id] = slot_id
            if slot_id not in by_session:
                by_session[slot_id] = Cell(
                    SimpleNamespace(
                        id=slot_id, event_id=slot_event, round_id=round_id, room_id=room_id, pitch_id=pitch_id
                    ),  # type: ignore[arg-type]
                    SimpleNamespace(id=room_id, name=name, location=location, capacity=capacity),  # type: ignore[arg-type]
                    by_round[round_id],
                    SimpleNamespace(id=pitch_id, title=title),  # type: ignore[arg-type]
                    present,
                )
        for person, pitch_id in run(_EVENING_INTEREST, key):
            interested[person].add(pitch_id)
    return {
        person: Evening(
            event,
            clock,
            mine[person],
            interested[person],
            _whereabouts(clock, by_session, mine[person]),
            _current_cell(clock, by_session, mine[person]),
        )
        for person in people
    }


def load(db: Session, event: Event, now: datetime, *, all_pitches: bool = False) -> Board:
    rooms = events.rooms(db, event)
    rounds = events.rounds(db, event)
    everything = pitches.all_pitches(db, event)
    shown = everything if all_pitches else [p for p in everything if p.status == "approved"]
    withheld = blocking.blocked_ids(db, event) if all_pitches else set()
    if withheld:  # a blocked participant's pitches waiting for moderation leave the queue until unblocked
        shown = [p for p in shown if not (p.status == "pending" and p.participant_id in withheld)]
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
    if withheld:
        board.blocked = blocking.blocked(db, event)
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
            blocking.shown_by(Note.participant_id, event.id),  # type: ignore[arg-type]
        )
        .subquery()
    )
    note = aliased(Note, ranked)
    rows = db.exec(select(note, ranked.c.support).where(ranked.c.rank <= DOOR_NOTES).order_by(ranked.c.rank))  # type: ignore[call-overload]
    found: dict[int, list[LatestNote]] = {}
    for row, count in rows.all():
        found.setdefault(row.session_id, []).append(LatestNote(row, count))
    return found
