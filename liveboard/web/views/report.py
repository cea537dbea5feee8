"""The harvest report: what the evening brought, as a page (live while it runs) and as exports.

The page and the exports are all made from one `Harvest` (`domain.harvest.load`); the exports themselves are in
`liveboard.exports`, shared with `liveboard export`. The page is personal only in the +1 buttons (which notes
this participant supports); it never sets a cookie, so reading the report does not make anyone a participant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import charts, exports
from liveboard.domain import events, notes, participants
from liveboard.domain import harvest as harvesting
from liveboard.domain.harvest import SessionHarvest
from liveboard.web import auth
from liveboard.web.requests import now, read
from liveboard.web.templating import page, render


def _load(db: Session, slug: str, token: str | None) -> dict[str, Any]:
    event = events.by_slug(db, slug)
    participant = participants.find(db, event, token)
    return {
        "harvest": harvesting.load(db, event, now()),
        "supported": notes.supported_by(db, event, participant),
    }


def chart_of(session: SessionHarvest, moment: datetime, timezone: str) -> str:
    """The session's attendance chart as inline SVG, or "" when nobody has been there (yet)."""
    cell = session.cell
    chart = charts.attendance(
        session.curve, cell.round.starts, cell.round.ends, capacity=cell.room.capacity, now=moment, timezone=timezone
    )
    return Markup(render("report/_chart.html", chart=chart)) if chart else ""


async def report(request: Request) -> Response:
    token = auth.participant_token(request)
    loaded = await read(request, lambda db: _load(db, request.path_params["slug"], token))
    harvest = loaded["harvest"]
    moment = harvest.board.now
    return page(
        request,
        "report/report.html",
        **exports.context(harvest),
        board=harvest.board,
        supported=loaded["supported"],
        chart=lambda session: chart_of(session, moment, harvest.event.timezone),
    )


def _export(default: str) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        slug = request.path_params["slug"]
        name = "excel" if default == "csv" and request.query_params.get("excel") == "1" else default
        host = await auth.is_host(request)
        body = await read(request, lambda db: exports.export(db, events.by_slug(db, slug), name, host=host, now=now()))
        kind = exports.FORMATS[name]
        # A spreadsheet is saved and opened; Markdown and JSON show in the browser, and save under a good name.
        disposition = "attachment" if kind.suffix == "csv" else "inline"
        headers = {"content-disposition": f'{disposition}; filename="{slug}-harvest.{kind.suffix}"'}
        return Response(body, media_type=kind.media_type, headers=headers)

    return handler


routes = [
    Route("/e/{slug}/report", report),
    Route("/e/{slug}/report.csv", _export("csv")),
    Route("/e/{slug}/report.md", _export("md")),
    Route("/e/{slug}/report.json", _export("json")),
]
