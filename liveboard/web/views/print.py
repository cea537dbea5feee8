"""Paper for the doors and the hall: one A4 poster per room (`/e/{slug}/print/doors`) and the programme on one A4
sheet (`/e/{slug}/print/programme`), each with a QR code and the address under it for those who type.

What they show is public (the programme), so anyone may open them; when a host opens the posters, the event
remembers when (`Event.posters_printed_at`), for the console's checklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import i18n, printing, qr
from liveboard.domain import board, doors, events
from liveboard.domain.board import Board, Cell
from liveboard.domain.errors import N_
from liveboard.models import Room
from liveboard.web import auth
from liveboard.web.requests import now, read, write
from liveboard.web.templating import page
from liveboard.web.urls import public_base, short

#: The QR codes' text alternatives, for anyone who cannot see them (the address is printed under each).
POSTER_QR_TITLE = N_("QR code that opens this room's page on your phone")
PROGRAMME_QR_TITLE = N_("QR code that opens the event on your phone")


@dataclass(frozen=True)
class Code:
    """A QR code as printed: the code, the address it holds, and that address as a person types it."""

    svg: Markup
    url: str
    short_url: str

    @property
    def breakable(self) -> Markup:
        return breakable(self.short_url)


def code(target: str, title: str) -> Code:
    return Code(qr.svg(target, i18n.gettext(title)), target, short(target))


def breakable(address: str) -> Markup:
    """The address with a line break allowed after each "/" and nowhere else (print.css keeps each part whole),
    so a long address wraps where a person typing it from the paper would expect, never inside a word."""
    parts = address.split("/")
    pieces = [part + "/" for part in parts[:-1]] + [parts[-1]]
    return Markup("<wbr>").join(Markup('<span class="url-part">{}</span>').format(p) for p in pieces if p)


@dataclass(frozen=True)
class Poster:
    room: Room
    cells: list[Cell]
    type: printing.PosterType
    code: Code


def posters(the_board: Board, base: str) -> list[Poster]:
    slug = the_board.event.slug
    made = []
    for room in the_board.rooms:
        cells = the_board.cells_in(room)
        kind = printing.poster_type(room.name, room.location, [c.pitch.title for c in cells])
        made.append(Poster(room, cells, kind, code(f"{base}/e/{slug}/rooms/{room.id}", POSTER_QR_TITLE)))
    return made


async def door_posters(request: Request) -> Response:
    slug = request.path_params["slug"]
    the_board = await read(request, lambda db: board.load(db, events.by_slug(db, slug), now()))
    if await auth.current_host(request) is not None:
        event = the_board.event
        await write(request, lambda db: doors.record_posters_printed(db, event, now()))
    made = posters(the_board, public_base(request))
    return page(request, "print/doors.html", event=the_board.event, board=the_board, posters=made)


def programme_context(db: Session, slug: str) -> dict[str, Any]:
    the_board = board.load(db, events.by_slug(db, slug), now())
    rows = [
        [cell.pitch.title if (cell := the_board.cell(room, r)) else "" for r in the_board.rounds]
        for room in the_board.rooms
    ]
    layout = printing.programme_layout([f"{r.name} {r.location}".strip() for r in the_board.rooms], rows)
    rounds = the_board.rounds
    return {
        "event": the_board.event,
        "board": the_board,
        "layout": layout,
        # The evening's day and hours: from its start (or first round) to its last round's end.
        "starts": the_board.event.starts or (rounds[0].starts if rounds else None),
        "first": rounds[0].starts if rounds else None,
        "last": rounds[-1].ends if rounds else None,
    }


async def programme(request: Request) -> Response:
    slug = request.path_params["slug"]
    context = await read(request, lambda db: programme_context(db, slug))
    context["code"] = code(f"{public_base(request)}/e/{slug}", PROGRAMME_QR_TITLE)
    return page(request, "print/programme.html", **context)


routes = [
    Route("/e/{slug}/print/doors", door_posters),
    Route("/e/{slug}/print/programme", programme),
]
