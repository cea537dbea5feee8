"""The host console: moderation, the schedule grid, rooms and rounds, announcements, phases.

Every action is one transaction that also writes the audit log. htmx requests get the console back as one
fragment; plain form posts get a redirect to the console.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import exports
from liveboard.domain import announcements, audit, blocking, board, events, pitches, retention, schedule, setup
from liveboard.domain.errors import N_, Invalid
from liveboard.models import PHASES, Event
from liveboard.web import auth, htmx
from liveboard.web.requests import form, now, read, write
from liveboard.web.templating import page, render


def console_lists(the_board: board.Board) -> dict[str, Any]:
    """The console's groupings of one board: shared by the page and by its live updates, so they agree."""
    return {
        "pending": [p for p in the_board.pitches if p.status == "pending"],
        "approved": [p for p in the_board.pitches if p.status == "approved"],
        "others": [p for p in the_board.pitches if p.status in ("rejected", "merged")],
        "placed": {(c.pitch.id, c.round.id) for c in the_board.cells.values()},
        "audit": the_board.audit,
        "phases": PHASES,
        "checklist": setup.checklist(the_board.event, the_board.rooms, the_board.rounds),
    }


def console(db: Session, slug: str, retention_days: int) -> dict[str, Any]:
    event = events.by_slug(db, slug)
    the_board = board.load(db, event, now(), all_pitches=True)
    the_board.audit = audit.entries(db, event, limit=30)
    the_board.privacy = retention.status(db, event, the_board.rounds, retention_days)
    return {"event": event, "board": the_board, **console_lists(the_board)}


async def host_page(request: Request) -> Response:
    await auth.require_host(request)
    days = request.app.state.settings.retention_days
    context = await read(request, lambda db: console(db, request.path_params["slug"], days))
    return page(request, "host/console.html", **context)


async def log_csv(request: Request) -> Response:
    """The event's whole audit log as a spreadsheet, for hosts: who (the account) did what, and when."""
    await auth.require_host(request)
    slug = request.path_params["slug"]
    body = await read(request, lambda db: exports.log_csv(db, events.by_slug(db, slug)))
    headers = {"content-disposition": f'attachment; filename="{slug}-log.csv"', "cache-control": "no-store"}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def action(work: Callable[[Session, Event, dict[str, object], dict[str, str]], object], anchor: str) -> Callable:
    """A host POST: check the host session, read the form, run `work` in one transaction, answer."""

    async def endpoint(request: Request) -> Response:
        await auth.require_host(request)
        fields = await form(request)
        slug, params = request.path_params["slug"], dict(request.path_params)

        def run(db: Session) -> None:
            work(db, events.by_slug(db, slug), fields, params)

        await write(request, run)
        fragment = None
        if htmx.is_htmx(request):
            days = request.app.state.settings.retention_days
            context = await read(request, lambda db: console(db, slug, days))
            fragment = render("host/_console.html", request=request, **context)
        return htmx.done(request, f"/e/{slug}/host#{anchor}", fragment)

    return endpoint


def _open_flag(fields: dict[str, object]) -> bool:
    value = fields.get("open")
    if value not in ("1", "0"):
        raise Invalid(N_("{field} must be one of: {options}."), field="open", options="1, 0")
    return value == "1"


routes = [
    Route("/e/{slug}/host", host_page),
    Route("/e/{slug}/host/log.csv", log_csv),
    Route(
        "/e/{slug}/host/pitches",
        action(lambda db, e, f, p: pitches.type_in(db, e, f), "queue"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/pitches/{id}/approve",
        action(lambda db, e, f, p: pitches.approve(db, e, p["id"]), "queue"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/pitches/{id}/reject",
        action(lambda db, e, f, p: pitches.reject(db, e, p["id"]), "queue"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/pitches/{id}/edit",
        action(lambda db, e, f, p: pitches.edit(db, e, p["id"], f), "queue"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/pitches/{id}/merge",
        action(lambda db, e, f, p: pitches.merge(db, e, p["id"], f.get("into")), "queue"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/participants/{id}/block",
        action(lambda db, e, f, p: blocking.block(db, e, p["id"]), "blocked"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/participants/{id}/unblock",
        action(lambda db, e, f, p: blocking.unblock(db, e, p["id"]), "blocked"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/sessions",
        action(lambda db, e, f, p: schedule.place(db, e, f), "schedule"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/sessions/{id}/move",
        action(lambda db, e, f, p: schedule.move(db, e, p["id"], f), "schedule"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/sessions/{id}/swap",
        action(lambda db, e, f, p: schedule.swap(db, e, p["id"], f.get("other")), "schedule"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/sessions/{id}/delete",
        action(lambda db, e, f, p: schedule.remove(db, e, p["id"]), "schedule"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/announce",
        action(lambda db, e, f, p: announcements.announce(db, e, f), "announce"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/phase",
        action(lambda db, e, f, p: events.set_phase(db, e, f.get("phase")), "event"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/pitching",
        action(lambda db, e, f, p: events.set_pitching(db, e, _open_flag(f)), "event"),
        methods=["POST"],
    ),
    Route("/e/{slug}/host/rooms", action(lambda db, e, f, p: events.add_room(db, e, f), "rooms"), methods=["POST"]),
    Route(
        "/e/{slug}/host/rooms/{id}",
        action(lambda db, e, f, p: events.edit_room(db, e, p["id"], f), "rooms"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/rooms/{id}/delete",
        action(lambda db, e, f, p: events.remove_room(db, e, p["id"]), "rooms"),
        methods=["POST"],
    ),
    Route("/e/{slug}/host/rounds", action(lambda db, e, f, p: events.add_round(db, e, f), "rounds"), methods=["POST"]),
    Route(
        "/e/{slug}/host/rounds/{id}",
        action(lambda db, e, f, p: events.edit_round(db, e, p["id"], f), "rounds"),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/rounds/{id}/delete",
        action(lambda db, e, f, p: events.remove_round(db, e, p["id"]), "rounds"),
        methods=["POST"],
    ),
]
