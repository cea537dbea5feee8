"""The schedule assistant in an event: a proposal for the grid, made from the database, kept, and applied.

A proposal is made in three steps so that nobody waits on the event's lock while the solver thinks: one read
turns the event into the solver's problem (`problem_of`), the solver runs outside any transaction, and one short
write keeps the answer with the grid's fingerprint (`keep`). Applying it is one transaction that takes the
event's lock (`changes.bump`), refuses a proposal made before the grid changed (sessions, rooms, rounds: the
fingerprint) but not one made before new interest came in, and moves the grid to the proposal, or to the cells a
host ticked, as one audited change that every screen shows.

What the solver is told, by mode:
- `fill` keeps every placed session (pinned) and fills empty cells;
- `replan` keeps the sessions of rounds that have started or that have anyone present, and plans the rest again.
Rounds that are over take no part: their pitches have been held, so their interest is served.

Who pitched what (the solver's `host`, never two in a round) is the participant whose phone sent the pitch; for a
pitch typed in from a paper card, the author's name as typed (folded), when there is one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from liveboard import solver
from liveboard.domain import audit, events, validate
from liveboard.domain.changes import bump
from liveboard.domain.errors import N_, Conflict, Invalid, NotFound
from liveboard.models import Event, Interest, Note, Pitch, Room, Round, ScheduleProposal
from liveboard.models import Session as Slot
from liveboard.solver.instance import build
from liveboard.solver.measures import measure

if TYPE_CHECKING:
    from liveboard.db import Database

MODES = ("fill", "replan")
#: A pseudo pitch holding a cell that a pitch placed twice already takes: the solver places a pitch once.
TAKEN = "taken:"


@dataclass
class EventProblem:
    """The solver's problem for an event, and what it was made from."""

    problem: solver.Problem
    #: The grid's fingerprint when it was read (see `fingerprint`).
    grid: str
    version: int
    #: Sessions kept as they are (their cells are pinned).
    kept: set[int] = field(default_factory=set)


def fingerprint(rooms: list[Room], rounds: list[Round], sessions: list[Slot]) -> str:
    """What a proposal depends on, as a hash: which session is where, the rooms' capacities and the rounds' times.
    New interest is not in it: a proposal stays good when people mark more pitches."""
    parts = [f"room {r.id} {r.capacity}" for r in sorted(rooms, key=lambda r: r.id or 0)]
    parts += [
        f"round {r.id} {r.starts.isoformat()} {r.ends.isoformat()}" for r in sorted(rounds, key=lambda r: r.id or 0)
    ]
    parts += [
        f"session {s.id} {s.pitch_id} {s.room_id} {s.round_id}" for s in sorted(sessions, key=lambda s: s.id or 0)
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def current_grid(db: Session, event: Event) -> str:
    return fingerprint(events.rooms(db, event), events.rounds(db, event), events.sessions(db, event))


def mode_of(value: object) -> str:
    return validate.choice(value if value not in (None, "") else "fill", "mode", MODES)


def _host_of(pitch: Pitch) -> str | None:
    if pitch.participant_id is not None:
        return f"participant:{pitch.participant_id}"
    name = " ".join(pitch.author.split()).casefold()
    return f"name:{name}" if name else None


def problem_of(db: Session, event: Event, mode: str, now: datetime) -> EventProblem:
    """The event as the solver's problem, read in one transaction."""
    mode = mode_of(mode)
    rooms, all_rounds, sessions = events.rooms(db, event), events.rounds(db, event), events.sessions(db, event)
    grid = fingerprint(rooms, all_rounds, sessions)
    rounds = [r for r in all_rounds if r.ends > now]
    open_rounds = {r.id for r in rounds}
    present = events.presence_counts(db, event)
    held = {s.pitch_id for s in sessions if s.round_id not in open_rounds}
    approved = [
        p
        for p in db.exec(select(Pitch).where(Pitch.event_id == event.id, Pitch.status == "approved").order_by(Pitch.id))
    ]
    started = {r.id for r in rounds if r.starts <= now}
    kept = [
        s
        for s in sessions
        if s.round_id in open_rounds and (mode == "fill" or s.round_id in started or present.get(s.id, 0) > 0)  # type: ignore[operator]
    ]
    fans: dict[int, list[int]] = defaultdict(list)
    for participant_id, pitch_id in db.exec(
        select(Interest.participant_id, Interest.pitch_id)
        .join(Pitch, col(Pitch.id) == Interest.pitch_id)
        .where(Pitch.event_id == event.id)
        .order_by(Interest.pitch_id, Interest.participant_id)
    ):
        fans[pitch_id].append(participant_id)
    by_id = {p.id: p for p in approved}
    pitches: list[solver.Pitch] = []
    pins: list[solver.Pin] = []
    pinned_pitch: set[int] = set()
    hosts_in_round: set[tuple[str, int]] = set()
    for slot in sorted(kept, key=lambda s: (s.round_id, s.room_id)):
        pitch = by_id.get(slot.pitch_id)
        host = _host_of(pitch) if pitch is not None else None
        if host is not None and (host, slot.round_id) in hosts_in_round:
            host = None  # a host placed two of one person's pitches in a round: kept as they are, not refused
        if host is not None:
            hosts_in_round.add((host, slot.round_id))
        if pitch is None or slot.pitch_id in pinned_pitch:
            # A cell the solver must leave as it is: a pitch placed twice, or one no longer approved.
            ident: solver.Id = f"{TAKEN}{slot.id}"
            pitches.append(solver.Pitch(ident, None, tuple(fans.get(slot.pitch_id, ())), title=_title(pitch)))
        else:
            ident = slot.pitch_id
            pinned_pitch.add(slot.pitch_id)
            pitches.append(solver.Pitch(ident, host, tuple(fans.get(slot.pitch_id, ())), title=pitch.title))
        pins.append(solver.Pin(ident, slot.room_id, slot.round_id))
    for pitch in approved:
        if pitch.id in pinned_pitch or pitch.id in held:
            continue
        pitches.append(solver.Pitch(pitch.id, _host_of(pitch), tuple(fans.get(pitch.id, ())), title=pitch.title))  # type: ignore[arg-type]
    problem = solver.Problem(
        rooms=tuple(solver.Room(r.id, r.capacity, r.name) for r in rooms),  # type: ignore[arg-type]
        rounds=tuple(solver.Round(r.id, r.label) for r in rounds),  # type: ignore[arg-type]
        pitches=tuple(pitches),
        pinned=tuple(pins),
    )
    return EventProblem(problem, grid, event.version, {s.id for s in kept})  # type: ignore[misc]


def _title(pitch: Pitch | None) -> str | None:
    return pitch.title if pitch is not None else None


def keep(
    db: Session, event: Event, made: EventProblem, answer: solver.Answer, mode: str, *, by: str, now: datetime
) -> ScheduleProposal:
    """The answer kept as a proposal: nothing in the event changes (its version stays)."""
    data = answer.to_json(details=True)
    data["kept"] = sorted(made.kept)
    proposal = ScheduleProposal(
        event_id=event.id, mode=mode, made_at=now, made_by=by, version=made.version, grid=made.grid, answer=data
    )  # type: ignore[arg-type]
    db.add(proposal)
    db.flush()
    audit.record(
        db,
        event,
        "schedule.propose",
        subject=f"proposal:{proposal.id}",
        data={"mode": mode, "score": answer.measures.score, "proposal": proposal.id},
    )
    return proposal


def get(db: Session, event: Event, proposal_id: object) -> ScheduleProposal:
    try:
        number = validate.integer(proposal_id, "id")
    except Invalid:
        number = None
    found = db.get(ScheduleProposal, number) if number is not None else None
    if found is None or found.event_id != event.id:
        raise NotFound(N_("There is no such proposal in this event."))
    return found


def as_json(proposal: ScheduleProposal) -> dict[str, Any]:
    """The contract's answer, with the proposal's id and the event version it was made at."""
    answer = proposal.answer
    cells = [{k: c[k] for k in ("pitch", "room", "round", "reason")} for c in answer["cells"] if _real(c["pitch"])]
    return {
        "id": proposal.id,
        "version": proposal.version,
        "mode": proposal.mode,
        "cells": cells,
        "unplaced": [p for p in answer["unplaced"] if _real(p)],
        "measures": answer["measures"],
        "seconds": answer["seconds"],
    }


def _real(pitch: object) -> bool:
    return not (isinstance(pitch, str) and pitch.startswith(TAKEN))


# --- applying --------------------------------------------------------------------------------------------------

Cell = tuple[int, int, int]  # (pitch, room, round)


def changes(proposal: ScheduleProposal, sessions: list[Slot]) -> list[Cell]:
    """The proposal's cells that are not in the grid as it is."""
    there = {(s.pitch_id, s.room_id, s.round_id) for s in sessions}
    proposed = [(c["pitch"], c["room"], c["round"]) for c in proposal.answer["cells"] if _real(c["pitch"])]
    return [cell for cell in proposed if cell not in there]


def parse_cells(values: list[str], offered: list[Cell]) -> list[Cell]:
    """The ticked cells (`pitch_id:room_id:round_id`), each one the proposal offers; bad input is 422."""
    chosen: list[Cell] = []
    for value in values:
        parts = value.split(":")
        try:
            cell = tuple(int(part) for part in parts)
        except ValueError:
            cell = ()
        if len(cell) != 3:
            raise Invalid(N_("{field} must be pitch:room:round, like 12:3:1."), field="cell")
        if cell not in offered:
            raise Invalid(
                N_("{field} {cell} is not one this proposal offers: propose again."), field="cell", cell=value
            )
        if cell not in chosen:
            chosen.append(cell)  # type: ignore[arg-type]
    if not chosen:
        raise Invalid(N_("Tick at least one cell, or apply all of it."), field="cell")
    return chosen


def apply(db: Session, event: Event, proposal: ScheduleProposal, cells: list[str] | None, now: datetime) -> int:
    """Put the proposal (or the ticked `cells`) in the grid as one change; the number of cells that changed.

    A session the proposal moves keeps its note-taker link and its notes: it is taken out and put in again in
    its new cell. Apply all makes the grid the proposal's: sessions the proposal left out are taken out. Ticked
    cells change only what they touch, and a session they would push out must have its new place ticked too."""
    bump(db, event, "schedule")
    if current_grid(db, event) != proposal.grid:
        raise Conflict(N_("The grid has changed since this proposal was made. Propose again."))
    sessions = events.sessions(db, event)
    offered = changes(proposal, sessions)
    everything = cells is None
    chosen = offered if everything else parse_cells(cells, offered)  # type: ignore[arg-type]
    kept = set(proposal.answer.get("kept", []))
    at = {(s.room_id, s.round_id): s for s in sessions}
    placed_at = {c["pitch"]: (c["room"], c["round"]) for c in proposal.answer["cells"] if _real(c["pitch"])}
    chosen_pitches = {pitch for pitch, _room, _round in chosen}
    out: dict[int, Slot] = {}
    for pitch, room, round_id in chosen:
        occupant = at.get((room, round_id))
        if occupant is not None and occupant.pitch_id != pitch:
            out[occupant.id] = occupant  # type: ignore[index]
    for s in sessions:
        leaving = s.id not in kept and (
            s.pitch_id in chosen_pitches or (everything and placed_at.get(s.pitch_id) != (s.room_id, s.round_id))
        )
        if leaving:
            out[s.id] = s  # type: ignore[index]
    _check_leaving(db, event, list(out.values()), kept, chosen_pitches, placed_at, now)
    pitches = {p.id: p for p in db.exec(select(Pitch).where(col(Pitch.id).in_(chosen_pitches)))}
    for pitch, _room, _round in chosen:
        found = pitches.get(pitch)
        if found is None or found.status != "approved":
            title = found.title if found is not None else f"#{pitch}"
            raise Conflict(N_("«{title}» is no longer approved. Propose again."), title=title)
    notes_of = {s.id: list(db.exec(select(Note.id).where(Note.session_id == s.id))) for s in out.values()}
    moved: dict[int, Slot] = {}
    for slot in out.values():
        moved.setdefault(slot.pitch_id, slot)
        db.delete(slot)
    db.flush()
    for pitch, room, round_id in chosen:
        new = Slot(event_id=event.id, pitch_id=pitch, room_id=room, round_id=round_id)  # type: ignore[arg-type]
        old = moved.pop(pitch, None)
        if old is not None:
            new.note_key = old.note_key
        db.add(new)
        db.flush()
        if old is not None and notes_of[old.id]:
            db.exec(update(Note).where(col(Note.id).in_(notes_of[old.id])).values(session_id=new.id))  # type: ignore[call-overload]
    proposal.applied_at, proposal.applied_by = now, db.info.get("actor") or audit.SYSTEM
    db.add(proposal)
    audit.record(
        db,
        event,
        "schedule.apply",
        subject=f"proposal:{proposal.id}",
        data={"proposal": proposal.id, "cells": len(chosen), "removed": len(moved), "all": everything},
    )
    return len(chosen)


def _check_leaving(
    db: Session,
    event: Event,
    leaving: list[Slot],
    kept: set[int],
    chosen_pitches: set[int],
    placed_at: dict[Any, tuple[Any, Any]],
    now: datetime,
) -> None:
    """A session may leave its cell only if nobody is in it, its round has not started, and the proposal puts its
    pitch somewhere that is applied too (or nowhere at all)."""
    rounds = {r.id: r for r in events.rounds(db, event)}
    present = events.presence_counts(db, event)
    for slot in leaving:
        title = db.get(Pitch, slot.pitch_id).title  # type: ignore[union-attr]
        if slot.id in kept or present.get(slot.id, 0) or rounds[slot.round_id].starts <= now:
            raise Conflict(N_("People are in «{title}» now, or its round has started. Propose again."), title=title)
        if slot.pitch_id in placed_at and slot.pitch_id not in chosen_pitches:
            raise Conflict(N_("«{title}» would lose its place: tick its new place too, or apply all."), title=title)


# --- making one, and showing it ---------------------------------------------------------------------------------


def make(
    database: Database,
    slug: str,
    mode: str,
    *,
    by: str,
    now: datetime,
    seed: int = 0,
    time_limit: float = solver.TIME_LIMIT,
) -> ScheduleProposal:
    """Read the event, solve outside any transaction, keep the answer: the event's lock is never held while the
    solver thinks, so phones keep joining meanwhile."""
    with database.read() as db:
        made = problem_of(db, events.by_slug(db, slug), mode, now)
    answer = solver.solve(made.problem, seed=seed, time_limit=time_limit)
    with database.write() as db:
        db.info["actor"] = by
        return keep(db, events.by_slug(db, slug), made, answer, mode, by=by, now=now)


@dataclass(frozen=True)
class Shown:
    """One cell of the proposal's page: what is there now, what the proposal puts there, and why."""

    room: Room
    round: Round
    now: Pitch | None
    proposed: Pitch | None
    why: dict[str, Any] | None
    #: "same", "new" (the proposal puts something else there, or something where there is nothing), "out" (the
    #: proposal empties it), or "" (empty, and stays so).
    change: str
    #: `pitch:room:round` for a cell that can be ticked.
    value: str | None


def view(db: Session, event: Event, proposal: ScheduleProposal, now: datetime) -> dict[str, Any]:
    """Everything the proposal's page shows, from one read."""
    rooms, rounds, sessions = events.rooms(db, event), events.rounds(db, event), events.sessions(db, event)
    titles = {p.id: p for p in db.exec(select(Pitch).where(Pitch.event_id == event.id))}
    cells = [c for c in proposal.answer["cells"] if _real(c["pitch"])]
    planned = {c["round"] for c in proposal.answer["cells"]} | {r.id for r in rounds if r.ends > proposal.made_at}
    proposed = {(c["room"], c["round"]): c for c in cells}
    there = {(s.room_id, s.round_id): s for s in sessions}
    offered = set(changes(proposal, sessions))
    grid: list[list[Shown]] = []
    for room in rooms:
        row = []
        for round_ in (r for r in rounds if r.id in planned):
            slot, cell = there.get((room.id, round_.id)), proposed.get((room.id, round_.id))
            current = titles.get(slot.pitch_id) if slot is not None else None
            new = titles.get(cell["pitch"]) if cell is not None else None
            if cell is None:
                change = "out" if slot is not None and slot.id not in proposal.answer.get("kept", []) else ""
            else:
                change = "same" if slot is not None and slot.pitch_id == cell["pitch"] else "new"
            key = (cell["pitch"], room.id, round_.id) if cell is not None else None
            value = ":".join(map(str, key)) if key is not None and key in offered else None
            row.append(Shown(room, round_, current, new, cell.get("why") if cell else None, change, value))  # type: ignore[arg-type]
        grid.append(row)
    unplaced_why = {u["pitch"]: u for u in proposal.answer.get("unplaced_why", [])}
    left_out = [(titles[p], unplaced_why.get(p, {})) for p in proposal.answer["unplaced"] if _real(p) and p in titles]
    stale = proposal.applied_at is None and current_grid(db, event) != proposal.grid
    return {
        "rounds": [r for r in rounds if r.id in planned],
        "grid": grid,
        "left_out": left_out,
        "offered": len(offered),
        "stale": stale,
        "measures": proposal.answer["measures"],
        "measures_now": current_measures(db, event, now),
    }


def current_measures(db: Session, event: Event, now: datetime) -> dict[str, int]:
    """The measures of the grid as it is, on the same terms as a proposal's (rounds not over, held pitches out)."""
    made = problem_of(db, event, "fill", now)
    instance = build(made.problem)
    return measure(instance, instance.pinned).to_json()
