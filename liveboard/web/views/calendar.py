"""Calendar feeds: the evening with its rounds (`/e/{slug}/event.ics`) and a series' meetings
(`/s/{series}/meetings.ics`), for "Add to my calendar" and for a representative's calendar to subscribe to.

The text is in the request's language (`?lang=` in a subscribed address keeps it); see liveboard/calendars.py for
UIDs, SEQUENCE and times.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import calendars, i18n
from liveboard.domain import board, events, items
from liveboard.domain import series as series_domain
from liveboard.domain.board import Board
from liveboard.web.requests import now, read
from liveboard.web.urls import public_base

MEDIA_TYPE = "text/calendar; charset=utf-8"


def ics(body: bytes, name: str) -> Response:
    # inline: a browser hands it to the calendar app; the file name is what a saved copy is called.
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "calendar"
    headers = {"Content-Disposition": f'inline; filename="{safe}.ics"'}
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def event_entries(the_board: Board, base: str, space: Any) -> list[calendars.Entry]:
    """The evening as a whole (from its start, or first round, to its last round's end), then each round with
    what runs where."""
    event, rounds = the_board.event, the_board.rounds
    page = f"{base}/e/{event.slug}"
    whole = i18n.gettext("The programme, and joining on your phone: {url}").format(url=page)
    entries = []
    starts = event.starts or (rounds[0].starts if rounds else None)
    if starts is not None:
        ends = rounds[-1].ends if rounds else event.ends
        entries.append(
            calendars.Entry(
                calendars.uid(space, "event", event.id),  # type: ignore[arg-type]
                event.title,
                starts,
                ends,
                location=event.venue,
                description=whole,
                url=page,
            )
        )
    for round_ in rounds:
        cells = the_board.cells_of(round_)
        lines = [f"{cell.room.name}: {cell.pitch.title}" for cell in cells]
        if not lines:
            lines = [i18n.gettext("The sessions of this round are not placed yet.")]
        entries.append(
            calendars.Entry(
                calendars.uid(space, "round", round_.id),  # type: ignore[arg-type]
                f"{round_.label} – {event.title}",
                round_.starts,
                round_.ends,
                location=event.venue,
                description="\n".join([*lines, "", whole]),
                url=page,
            )
        )
    return entries


async def event_ics(request: Request) -> Response:
    slug = request.path_params["slug"]
    the_board = await read(request, lambda db: board.load(db, events.by_slug(db, slug), now()))
    space = calendars.namespace(request.app.state.secret_key)
    base = public_base(request)
    event = the_board.event
    body = calendars.calendar(
        event.title,
        event_entries(the_board, base, space),
        sequence=event.version,
        now=now(),
        url=f"{base}/e/{event.slug}",
    )
    return ics(body, event.slug)


def series_feed(db: Session, slug: str) -> dict[str, Any]:
    """The series and each meeting with the titles on its agenda, from one read."""
    found = series_domain.by_slug(db, slug)
    meetings = series_domain.meetings(db, found)
    return {
        "series": found,
        "meetings": [(m, [entry.item.title for entry in items.agenda(db, found, m)]) for m in meetings],
    }


async def meetings_ics(request: Request) -> Response:
    slug = request.path_params["series"]
    feed = await read(request, lambda db: series_feed(db, slug))
    found = feed["series"]
    space = calendars.namespace(request.app.state.secret_key)
    page = f"{public_base(request)}/s/{found.slug}"
    follow = i18n.gettext("The agenda, and what became of every point: {url}").format(url=page)
    entries = []
    for meeting, titles in feed["meetings"]:
        agenda = [i18n.gettext("On the agenda:"), *(f"- {title}" for title in titles)] if titles else []
        entries.append(
            calendars.Entry(
                calendars.uid(space, "meeting", meeting.id),
                found.title,
                meeting.starts,
                duration=calendars.MEETING_LENGTH,
                location=meeting.place,
                description="\n".join([*agenda, *([""] if agenda else []), follow]),
                url=page,
            )
        )
    body = calendars.calendar(
        found.title, entries, sequence=found.version, now=now(), description=found.audience, url=page
    )
    return ics(body, found.slug)


routes = [
    Route("/e/{slug}/event.ics", event_ics),
    Route("/s/{series}/meetings.ics", meetings_ics),
]
