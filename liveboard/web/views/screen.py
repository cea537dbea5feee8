"""The wall screen (the board, read from five metres) and the door sign of one room (`?room=ID`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import i18n, qr
from liveboard.domain import board, events
from liveboard.domain.errors import N_, NotFound
from liveboard.web.requests import now, read
from liveboard.web.templating import page
from liveboard.web.urls import public_base, short

#: Five rows of rooms stay readable from five metres on 1080 lines; more rooms page by themselves.
ROOMS_PER_PAGE = 5
#: The QR code's text alternative, for anyone who cannot see it (the address is printed under it).
QR_TITLE = N_("QR code that opens this page on your phone")


def pages(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


async def screen(request: Request) -> Response:
    slug = request.path_params["slug"]
    room_id = request.query_params.get("room")

    def load(db: Session) -> dict[str, Any]:
        event = events.by_slug(db, slug)
        the_board = board.load(db, event, now())
        context: dict[str, Any] = {"event": event, "board": the_board}
        if room_id is not None:
            room = next((r for r in the_board.rooms if str(r.id) == room_id), None)
            if room is None:
                raise NotFound(N_("There is no such room in this event."))
            context["room"] = room
            clock = the_board.clock
            context["now_cell"] = the_board.cell(room, clock.current) if clock.current else None
            context["next_cell"] = the_board.cell(room, clock.next) if clock.next else None
        return context

    context = await read(request, load)
    base = public_base(request)
    if "room" in context:
        # The room's own address, as on its printed poster: it shows whatever runs there now, so the code stays
        # right when the round changes.
        target = f"{base}/e/{slug}/rooms/{context['room'].id}"
        return page(request, "screen/door.html", **code_for(target), **context)
    room_pages = pages(context["board"].rooms, ROOMS_PER_PAGE)
    return page(request, "screen/screen.html", **code_for(f"{base}/e/{slug}"), pages=room_pages, **context)


def code_for(target: str) -> dict[str, str]:
    """The QR code a sign shows, and the address printed under it for those who type it."""
    return {"qr": qr.svg(target, i18n.gettext(QR_TITLE)), "url": target, "short_url": short(target)}


routes = [Route("/e/{slug}/screen", screen)]
