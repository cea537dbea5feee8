"""The harvest report: what each session brought, as a page and as exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from liveboard.domain import board, events, notes
from liveboard.web import auth
from liveboard.web.requests import now, read
from liveboard.web.templating import page, render


def harvest(db: Session, slug: str) -> dict[str, Any]:
    event = events.by_slug(db, slug)
    the_board = board.load(db, event, now())
    by_session: dict[int, list[Any]] = {}
    for note in notes.of_event(db, event):
        by_session.setdefault(note.session_id or 0, []).append(note)
    sessions = [
        (cell, by_session.get(cell.session.id, []))  # type: ignore[arg-type]
        for round_ in the_board.rounds
        for cell in the_board.cells_of(round_)
    ]
    return {"event": event, "board": the_board, "sessions": sessions, "unplaced": by_session.get(0, [])}


async def report(request: Request) -> Response:
    context = await read(request, lambda db: harvest(db, request.path_params["slug"]))
    return page(request, "report.html", **context)


def neutralise(value: str) -> str:
    """A cell that a spreadsheet would run as a formula is prefixed with a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def report_csv(request: Request) -> Response:
    context = await read(request, lambda db: harvest(db, request.path_params["slug"]))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["session_id", "session", "room", "round", "kind", "text", "author", "created_at"])
    for cell, session_notes in context["sessions"]:
        for note in session_notes:
            row = [cell.session.id, cell.pitch.title, cell.room.name, cell.round.label, note.kind, note.text]
            row += [note.author, note.created_at.isoformat()]
            writer.writerow([neutralise(str(v)) for v in row])
    slug = request.path_params["slug"]
    return PlainTextResponse(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{slug}-harvest.csv"'},
    )


async def report_md(request: Request) -> Response:
    context = await read(request, lambda db: harvest(db, request.path_params["slug"]))
    text = render("report.md", **context)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


async def report_json(request: Request) -> Response:
    from liveboard.eventfile import export_event

    slug = request.path_params["slug"]
    host = auth.is_host(request)
    data = await read(request, lambda db: export_event(db, events.by_slug(db, slug), host=host))
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return PlainTextResponse(body, media_type="application/json; charset=utf-8")


routes = [
    Route("/e/{slug}/report", report),
    Route("/e/{slug}/report.csv", report_csv),
    Route("/e/{slug}/report.md", report_md),
    Route("/e/{slug}/report.json", report_json),
]
