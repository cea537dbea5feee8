"""A room's own address (`/e/{slug}/rooms/{room_id}`), opened from the QR code on its printed door poster: the
session there now (else the next one) with the big "I'm here" button, and the room's later sessions.

It is a phone page: the same participant cookie, the same fragments (`_present.html`, `_join.html`,
`_my_evening.html`) and the phone's live socket, so headcounts and "full" move here as they do on the board.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from liveboard.domain import doors, events
from liveboard.domain.errors import N_, NotFound
from liveboard.web import auth, htmx
from liveboard.web.requests import read
from liveboard.web.templating import page, render
from liveboard.web.views.phone import personal, with_cookie

#: Row ids are database integers: a longer number in the address names no room (and would overflow SQLite).
MAX_ID_DIGITS = 18


def room_id(raw: str) -> int:
    """The room's id from the address; anything but a plain number there is an unknown room (404)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ID_DIGITS:
        raise NotFound(N_("There is no such room in this event."))
    return int(raw)


def load(db: Session, slug: str, raw_room_id: str, token: str | None) -> dict[str, Any]:
    """The phone's own read (board, this person's marks) and the room's programme in it."""
    context = personal(db, slug, token)
    found = events.room(db, context["event"], room_id(raw_room_id), in_path=True)
    the_board = context["board"]
    room = next((r for r in the_board.rooms if r.id == found.id), found)
    context.update(room=room, doors=doors.programme(the_board, room))
    return context


async def room_page(request: Request) -> Response:
    token, new = auth.ensure_participant_token(request)
    slug, raw = request.path_params["slug"], request.path_params["room_id"]
    context = await read(request, lambda db: load(db, slug, raw, token))
    if htmx.is_htmx(request):
        # static/js/room.js fetches the room's region again when the programme changes or after a join.
        return HTMLResponse(render("room/_now.html", request=request, **context))
    return with_cookie(request, page(request, "room/room.html", **context), token, new)


routes = [Route("/e/{slug}/rooms/{room_id}", room_page)]
