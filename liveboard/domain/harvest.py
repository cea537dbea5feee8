"""The harvest: what the evening brought, shaped once for the report page and every export.

One read of the board, the notes with their support and themes, and the attendance log, so the page, the
Markdown, the CSV and the JSON never disagree. Notes are ordered the way a reader wants them: highlighted
first, then the most supported, then in the order they were written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from liveboard.domain import attendance, board, notes
from liveboard.domain.attendance import Curve
from liveboard.domain.board import Board, Cell
from liveboard.models import Attendance, Event, Note, Participant, Pitch

#: How many proposals the "most supported" list shows.
TOP_PROPOSALS = 10


@dataclass(frozen=True)
class NoteView:
    note: Note
    support: int
    themes: list[str]

    @property
    def sort_key(self) -> tuple[bool, int, datetime, int]:
        return (not self.note.highlighted, -self.support, self.note.created_at, self.note.id or 0)


@dataclass
class SessionHarvest:
    cell: Cell
    notes: list[NoteView]
    curve: Curve

    def of_kind(self, kind: str) -> list[NoteView]:
        return [view for view in self.notes if view.note.kind == kind]

    @property
    def themes(self) -> list[str]:
        return sorted({theme for view in self.notes for theme in view.themes})


@dataclass(frozen=True)
class Figures:
    participants: int
    pitches: int
    sessions: int
    notes: int
    supports: int
    #: The most people in sessions at one moment, all rooms together, and when.
    peak: int
    peak_at: datetime | None


@dataclass
class Harvest:
    event: Event
    board: Board
    sessions: list[SessionHarvest]
    #: Notes of sessions no longer in the grid (their pitch keeps them).
    unplaced: list[NoteView]
    figures: Figures
    log: list[Attendance]
    by_theme: dict[str, list[NoteView]] = field(default_factory=dict)
    top_proposals: list[NoteView] = field(default_factory=list)

    def session_of(self, view: NoteView) -> SessionHarvest | None:
        return next((s for s in self.sessions if s.cell.session.id == view.note.session_id), None)


def load(db: Session, event: Event, now: datetime, *, include_hidden: bool = False) -> Harvest:
    the_board = board.load(db, event, now)
    listed = notes.of_event(db, event, include_hidden=include_hidden)
    support = notes.support_counts(db, event)
    themes = notes.themes_of(db, [n.id for n in listed])  # type: ignore[misc]
    views = sorted(
        (NoteView(n, support.get(n.id, 0), themes.get(n.id, [])) for n in listed),  # type: ignore[arg-type]
        key=lambda v: v.sort_key,
    )
    log = attendance.log(db, event)
    curves = attendance.curves(log)
    by_session: dict[int, list[NoteView]] = defaultdict(list)
    for view in views:
        by_session[view.note.session_id or 0].append(view)
    sessions = [
        SessionHarvest(cell, by_session.get(cell.session.id, []), curves.get(cell.session.id, Curve([])))  # type: ignore[arg-type]
        for round_ in the_board.rounds
        for cell in the_board.cells_of(round_)
    ]
    placed = {s.cell.session.id for s in sessions}
    unplaced = [v for v in views if v.note.session_id not in placed]
    by_theme: dict[str, list[NoteView]] = defaultdict(list)
    for view in views:
        for theme in view.themes:
            by_theme[theme].append(view)
    proposals = [v for v in views if v.note.kind == "proposal" and v.support]
    proposals.sort(key=lambda v: (-v.support, not v.note.highlighted, v.note.created_at))
    overall = _overall(log)
    figures = Figures(
        participants=_count(db, select(func.count()).select_from(Participant).where(Participant.event_id == event.id)),
        pitches=_count(
            db,
            select(func.count())
            .select_from(Pitch)
            .where(Pitch.event_id == event.id, col(Pitch.status).in_(("approved", "merged"))),
        ),
        sessions=len(sessions),
        notes=sum(1 for v in views if not v.note.hidden),
        supports=sum(v.support for v in views),
        peak=overall.peak,
        peak_at=overall.peak_at,
    )
    return Harvest(
        event=event,
        board=the_board,
        sessions=sessions,
        unplaced=unplaced,
        figures=figures,
        log=log,
        by_theme=dict(sorted(by_theme.items(), key=lambda item: (-len(item[1]), item[0]))),
        top_proposals=proposals[:TOP_PROPOSALS],
    )


def _count(db: Session, query: object) -> int:
    return int(db.exec(query).one())  # type: ignore[call-overload]


def _overall(log: list[Attendance]) -> Curve:
    """Everyone in any session, over the evening: the same log with every session taken as one."""
    together = [
        Attendance(
            event_id=e.event_id,
            session_id=0,
            pitch_id=e.pitch_id,
            participant_id=e.participant_id,
            action=e.action,
            at=e.at,
        )
        for e in log
        if e.session_id is not None
    ]
    return attendance.curves(together).get(0, Curve([]))
