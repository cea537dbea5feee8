"""Who is where: a participant is in at most one session per round (a database constraint), and a session
takes no more people than its room holds (checked after the event lock, so the count is exact)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from liveboard.domain import attendance, blocking, participants, validate
from liveboard.domain.changes import Versioned, bump_each, lock
from liveboard.domain.errors import N_, Conflict, Denied, DomainError, Invalid, NotFound
from liveboard.models import Event, Participant, Presence, Room, Round, utcnow
from liveboard.models import Session as Slot

# The round start's statements, built once (a statement built per call costs several times its run); they run
# on the transaction's connection, without the ORM's unit of work, once for all the moves of a batch.
_PRESENCE, _SLOT, _ROOM = Presence.__table__, Slot.__table__, Room.__table__  # type: ignore[attr-defined]
_PARTICIPANT = Participant.__table__  # type: ignore[attr-defined]
_MINE, _MY_SLOT = _PRESENCE.alias("mine"), _SLOT.alias("my_slot")
# The sessions asked for, with their rooms and counts.
_CELLS = (
    select(
        _SLOT.c.id,
        _SLOT.c.round_id,
        _SLOT.c.pitch_id,
        _ROOM.c.capacity,
        _ROOM.c.name,
        select(func.count())
        .select_from(_PRESENCE)
        .where(_PRESENCE.c.session_id == _SLOT.c.id)
        .scalar_subquery()
        .label("present"),
    )
    .join(_ROOM, _ROOM.c.id == _SLOT.c.room_id)
    .where(_SLOT.c.id.in_(bindparam("sessions", expanding=True)), _SLOT.c.event_id == bindparam("event"))
)
# The people asking, by their tokens, each with every session they are in (a row per presence).
_PEOPLE = (
    select(
        _PARTICIPANT.c.id,
        _PARTICIPANT.c.token,
        _PARTICIPANT.c.blocked_at,
        _MINE.c.id.label("mine_id"),
        _MINE.c.round_id.label("mine_round"),
        _MINE.c.session_id.label("mine_session"),
        _MY_SLOT.c.pitch_id.label("mine_pitch"),
    )
    .outerjoin(_MINE, _MINE.c.participant_id == _PARTICIPANT.c.id)
    .outerjoin(_MY_SLOT, _MY_SLOT.c.id == _MINE.c.session_id)
    .where(_PARTICIPANT.c.event_id == bindparam("event"), _PARTICIPANT.c.token.in_(bindparam("tokens", expanding=True)))
)
_ENTER = insert(_PRESENCE)
_MOVE = (
    update(_PRESENCE)
    .where(_PRESENCE.c.id == bindparam("presence"))
    .values(session_id=bindparam("session"), since=bindparam("since"))
)
_LEAVE = delete(_PRESENCE).where(_PRESENCE.c.id == bindparam("presence"))


@dataclass(frozen=True)
class Move:
    """One phone's join, or leave (`leaving`), of a session, as the form named it."""

    visitor: participants.Visitor
    session_id: object
    leaving: bool = False


@dataclass
class Moved:
    """What a move came to: the participant's id (None for a phone that has done nothing yet) or the error that
    refused it, and the version its change got (None when it changed nothing)."""

    participant_id: int | None = None
    error: DomainError | None = None
    version: int | None = None


def join(db: Session, event: Versioned, visitor: participants.Visitor, session_id: object) -> int:
    """Check in to a session, and out of any other session of the same round; the participant's id (their row
    is made on their first join)."""
    return _alone(db, event, Move(visitor, session_id))  # type: ignore[return-value]


def leave(db: Session, event: Versioned, visitor: participants.Visitor, session_id: object) -> int | None:
    """Check out of a session; the participant's id, or None for a phone that has done nothing yet. Leaving a
    session one is not in changes nothing."""
    return _alone(db, event, Move(visitor, session_id, leaving=True))


def _alone(db: Session, event: Versioned, move: Move) -> int | None:
    (moved,) = moves(db, event, [move])
    if moved.error is not None:
        raise moved.error
    return moved.participant_id


@dataclass
class _Place:
    """A person's presence in one round: its row (None until written) and the session."""

    row: int | None
    session: int
    pitch: int


@dataclass(eq=False)
class _Person:
    """A phone the moves name: its participant row (None until a join makes it), and its places."""

    id: int | None
    blocked: bool = False
    #: round id → where they are, as the moves so far left it, and as the database has it.
    places: dict[int, _Place] = field(default_factory=dict)
    stored: dict[int, _Place] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)
    visitor: participants.Visitor | None = None


def moves(db: Session, event: Versioned, asked: Sequence[Move]) -> list[Moved]:
    """Joins and leaves of one event, as if made one after another in the order given: what each came to.

    A round start's hot path: hundreds of phones within seconds, and on PostgreSQL every write to an event
    queues for its row lock, so what counts is how long the lock is held. The writer hands the moves waiting
    together here at once (`Writer.together`): a few statements read every session and person they name, the
    rules are checked in order against counts kept here (so each sees the ones before it, as the database
    would), and a few more write the net result for all, whatever their number. A refused move writes nothing,
    so none needs a savepoint."""
    lock(db, event)
    run = db.connection().execute
    numbers = [_session_number(move.session_id) for move in asked]
    wanted = sorted({number for number in numbers if number is not None})
    cells = {row.id: row for row in run(_CELLS, {"sessions": wanted, "event": event.id})} if wanted else {}
    people: dict[str, _Person] = {}
    for row in run(_PEOPLE, {"tokens": sorted({m.visitor.token for m in asked}), "event": event.id}):
        person = people.setdefault(row.token, _Person(row.id, row.blocked_at is not None))
        if row.mine_id is not None:  # one object for both: a move replaces a place, never changes it
            person.stored[row.mine_round] = person.places[row.mine_round] = _Place(
                row.mine_id, row.mine_session, row.mine_pitch
            )
    present = {number: cell.present for number, cell in cells.items()}
    moment = utcnow()
    # Per move: who made it, and what it came to; the attendance rows and the changes, in order.
    outcome: list[tuple[_Person | None, DomainError | None]] = []
    log: list[tuple[_Person, int, int, str]] = []
    changed: list[tuple[int, dict[str, int]]] = []
    for index, (move, number) in enumerate(zip(asked, numbers, strict=True)):
        cell = cells.get(number) if number is not None else None
        person = people.get(move.visitor.token)
        if cell is None:
            outcome.append((person, NotFound(N_("There is no such session."))))
            continue
        place = person.places.get(cell.round_id) if person is not None else None
        if move.leaving:
            if person is not None and place is not None and place.session == number:
                del person.places[cell.round_id]
                person.touched.add(cell.round_id)
                present[number] -= 1
                log.append((person, number, cell.pitch_id, "leave"))
                changed.append((index, {"session_id": number}))
            outcome.append((person, None))
            continue
        if person is not None and person.blocked:
            outcome.append((person, Denied(blocking.BLOCKED)))
            continue
        if place is not None and place.session == number:
            outcome.append((person, None))
            continue
        if present[number] >= cell.capacity:
            outcome.append((person, Conflict(N_("{room} is full. Pick another session."), room=cell.name)))
            continue
        if person is None:
            person = people[move.visitor.token] = _Person(None, visitor=move.visitor)
        ids = {"session_id": number}
        if place is not None:
            if place.session in present:
                present[place.session] -= 1
            log.append((person, place.session, place.pitch, "leave"))
            ids["left_session_id"] = place.session
        person.places[cell.round_id] = _Place(None, number, cell.pitch_id)
        person.touched.add(cell.round_id)
        present[number] += 1
        log.append((person, number, cell.pitch_id, "join"))
        changed.append((index, ids))
        outcome.append((person, None))
    if changed:
        _write(db, event, people.values(), log, moment)
    versions = dict(
        zip((index for index, _ in changed), bump_each(db, event, "presence", [ids for _, ids in changed]), strict=True)
    )
    return [
        Moved(person.id if person is not None else None, error, versions.get(index))
        for index, (person, error) in enumerate(outcome)
    ]


def _write(
    db: Session, event: Versioned, people: Iterable[_Person], log: list[tuple[_Person, int, int, str]], moment: object
) -> None:
    """The net result of the moves: rows for the new participants, each touched presence's one insert, update or
    delete (so the one-per-round constraint never sees a person twice), and the attendance log in order."""
    run = db.connection().execute
    touched = [person for person in people if person.touched]
    new = [person for person in touched if person.id is None]
    if new:
        made = participants.make_many(db, event, [person.visitor for person in new])  # type: ignore[misc]
        for person in new:
            person.id = made[person.visitor.token]  # type: ignore[union-attr]
    enter, move, gone = [], [], []
    for person in touched:
        for round_id in person.touched:
            stored, now = person.stored.get(round_id), person.places.get(round_id)
            if stored is None and now is not None:
                enter.append(
                    {"participant_id": person.id, "round_id": round_id, "session_id": now.session, "since": moment}
                )
            elif stored is not None and now is None:
                gone.append({"presence": stored.row})
            elif stored is not None and now is not None:
                move.append({"presence": stored.row, "session": now.session, "since": moment})
    for statement, rows in ((_LEAVE, gone), (_MOVE, move), (_ENTER, enter)):
        if rows:
            run(statement, rows)
    attendance.append_many(
        db,
        [
            {
                "event_id": event.id,
                "session_id": session,
                "pitch_id": pitch,
                "participant_id": person.id,
                "action": action,
                "at": moment,
            }
            for person, session, pitch, action in log
        ],
    )


def _session_number(session_id: object) -> int | None:
    try:
        return validate.integer(session_id, "id")
    except Invalid:
        return None


def sessions_of(db: Session, event: Event, participant: Participant | None) -> dict[int, int]:
    """round id → session id, for the rounds this participant has checked in to."""
    if participant is None:
        return {}
    rows = db.exec(
        select_rows(Presence.round_id, Presence.session_id)
        .join(Round, col(Round.id) == Presence.round_id)
        .where(Presence.participant_id == participant.id, Round.event_id == event.id)
    )
    return dict(rows.all())
