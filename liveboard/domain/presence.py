"""Who is where: a participant is in at most one session per round (a database constraint), and a session
takes no more people than its room holds (checked after the event lock, so the count is exact)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from liveboard.domain import attendance, blocking, participants, validate
from liveboard.domain.changes import Versioned, bump, lock, tag
from liveboard.domain.errors import N_, Conflict, Denied, Invalid, NotFound
from liveboard.models import Event, Participant, Presence, Room, Round, utcnow
from liveboard.models import Session as Slot

# The round start's statements, built once (a statement built per call costs several times its run); they run
# on the transaction's connection, without the ORM's unit of work.
_PRESENCE, _SLOT, _ROOM = Presence.__table__, Slot.__table__, Room.__table__  # type: ignore[attr-defined]
_PARTICIPANT = Participant.__table__  # type: ignore[attr-defined]
_MINE, _MY_SLOT = _PRESENCE.alias("mine"), _SLOT.alias("my_slot")
# The session and its room, its count, and the person's place in that round: all a join checks, in one read.
_CELL = (
    select(
        _SLOT.c.round_id,
        _SLOT.c.pitch_id,
        _ROOM.c.capacity,
        _ROOM.c.name,
        select(func.count())
        .select_from(_PRESENCE)
        .where(_PRESENCE.c.session_id == _SLOT.c.id)
        .scalar_subquery()
        .label("present"),
        _PARTICIPANT.c.id.label("participant_id"),
        _PARTICIPANT.c.blocked_at,
        _MINE.c.id.label("mine_id"),
        _MINE.c.session_id.label("mine_session"),
        _MY_SLOT.c.pitch_id.label("mine_pitch"),
    )
    .join(_ROOM, _ROOM.c.id == _SLOT.c.room_id)
    .outerjoin(
        _PARTICIPANT,
        and_(_PARTICIPANT.c.event_id == bindparam("event"), _PARTICIPANT.c.token == bindparam("token")),
    )
    .outerjoin(_MINE, and_(_MINE.c.participant_id == _PARTICIPANT.c.id, _MINE.c.round_id == _SLOT.c.round_id))
    .outerjoin(_MY_SLOT, _MY_SLOT.c.id == _MINE.c.session_id)
    .where(_SLOT.c.id == bindparam("session"), _SLOT.c.event_id == bindparam("event"))
)
_MOVE = (
    update(_PRESENCE)
    .where(_PRESENCE.c.id == bindparam("presence"))
    .values(session_id=bindparam("session"), since=bindparam("since"))
)
_ENTER = insert(_PRESENCE)
_PITCH_OF = select(_SLOT.c.pitch_id).where(_SLOT.c.id == bindparam("session"), _SLOT.c.event_id == bindparam("event"))
_LEAVE = delete(_PRESENCE).where(
    _PRESENCE.c.participant_id == bindparam("participant"), _PRESENCE.c.session_id == bindparam("session")
)


def join(db: Session, event: Versioned, visitor: participants.Visitor, session_id: object) -> int:
    """Check in to a session, and out of any other session of the same round; the participant's id (their row
    is made on their first join).

    The hot path of a round start, when hundreds of phones join within seconds: a handful of plain statements.
    Everything that can refuse is checked before anything is written (the event's lock taken first, so the
    count checked is the count committed), so a refused join leaves nothing to roll back and needs no
    savepoint of its own in the writer's batch."""
    number = _session_number(session_id)
    lock(db, event)
    run = db.connection().execute
    cell = run(_CELL, {"session": number, "event": event.id, "token": visitor.token}).first()
    if cell is None:
        raise NotFound(N_("There is no such session."))
    if cell.blocked_at is not None:
        raise Denied(blocking.BLOCKED)
    if cell.mine_session == number:
        return cell.participant_id
    if cell.present >= cell.capacity:
        raise Conflict(N_("{room} is full. Pick another session."), room=cell.name)
    # Nothing refuses from here on.
    participant_id = cell.participant_id or participants.make(db, event, visitor)
    bump(db, event, "presence", session_id=number)
    moment = utcnow()
    if cell.mine_id is not None:
        tag(db, left_session_id=cell.mine_session)
        run(_MOVE, {"presence": cell.mine_id, "session": number, "since": moment})
        attendance.append(db, event.id, cell.mine_session, cell.mine_pitch, participant_id, "leave", moment)  # type: ignore[arg-type]
    else:
        run(
            _ENTER,
            {"participant_id": participant_id, "round_id": cell.round_id, "session_id": number, "since": moment},
        )
    attendance.append(db, event.id, number, cell.pitch_id, participant_id, "join", moment)  # type: ignore[arg-type]
    return participant_id


def leave(db: Session, event: Versioned, visitor: participants.Visitor, session_id: object) -> int | None:
    """Check out of a session; the participant's id, or None for a phone that has done nothing yet. Like `join`,
    it refuses only before it writes; leaving a session one is not in changes nothing."""
    number = _session_number(session_id)
    lock(db, event)
    run = db.connection().execute
    pitch_id = run(_PITCH_OF, {"session": number, "event": event.id}).scalar()
    if pitch_id is None:
        raise NotFound(N_("There is no such session."))
    participant_id = participants.known(db, event, visitor)
    if participant_id is not None and run(_LEAVE, {"participant": participant_id, "session": number}).rowcount:
        bump(db, event, "presence", session_id=number)
        attendance.append(db, event.id, number, pitch_id, participant_id, "leave", utcnow())  # type: ignore[arg-type]
    return participant_id


def _session_number(session_id: object) -> int:
    try:
        return validate.integer(session_id, "id")
    except Invalid:
        raise NotFound(N_("There is no such session.")) from None


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
