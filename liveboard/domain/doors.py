"""Each room's door: what runs there now, next and later (for the room's own page and its printed poster), and when
a host last opened the door posters for printing.

A room's programme is read from the board, so the room's page, the door sign and the phone never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from liveboard.domain.board import Board, Cell
from liveboard.models import Event, Room


@dataclass(frozen=True)
class RoomProgramme:
    """A room's sessions as someone at its door needs them: the one running now, else the next one, and the rest."""

    room: Room
    now: Cell | None
    next: Cell | None
    #: The sessions after the one shown, in time order.
    later: list[Cell]

    @property
    def shown(self) -> Cell | None:
        """The session the room's page is about: the one running now, else the next one there."""
        return self.now or self.next


def programme(board: Board, room: Room) -> RoomProgramme:
    """The room's programme at the board's moment. "Next" is the room's next session, which need not be in the
    event's next round: a room left empty in round 2 still shows its session of round 3."""
    cells = board.cells_in(room)
    current = board.clock.current
    now_cell = next((c for c in cells if current is not None and c.round.id == current.id), None)
    coming = [c for c in cells if c.round.starts > board.now]
    if now_cell is None and coming:
        return RoomProgramme(room, None, coming[0], coming[1:])
    return RoomProgramme(room, now_cell, None, coming)


def record_posters_printed(db: Session, event: Event, now: datetime) -> None:
    """A host opened the door posters: the console's checklist can tick them off.

    One column, written without `changes.bump`: when posters were printed is not part of the live board, so no
    phone or screen needs a frame for it, and the event's version (what clients catch up by) stays as it is."""
    db.exec(update(Event).where(Event.id == event.id).values(posters_printed_at=now))  # type: ignore[call-overload]
