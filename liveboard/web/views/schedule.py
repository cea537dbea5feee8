"""The schedule assistant on the host's side: propose a grid, look at it beside the grid as it is, apply it.

Proposing takes the solver a moment (well under a second for an evening of 30 pitches, about one for a city's
300), so it runs on a worker thread outside any transaction; the proposal is kept, and the host is sent to its
page. Applying is one change (`proposals.apply`), live on every screen like any host's edit of the grid.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from liveboard.domain import events, proposals
from liveboard.web import auth, htmx
from liveboard.web.requests import database, form, now, read, write
from liveboard.web.templating import page


async def propose(request: Request) -> Response:
    host = await auth.require_host(request)
    fields = await form(request)
    slug = request.path_params["slug"]
    mode = proposals.mode_of(fields.get("mode"))
    made = await run_in_threadpool(proposals.make, database(request), slug, mode, by=host.username, now=now())
    return RedirectResponse(f"/e/{slug}/host/schedule/proposals/{made.id}", status_code=303)


def _load(db: Session, slug: str, proposal_id: str) -> dict[str, Any]:
    event = events.by_slug(db, slug)
    proposal = proposals.get(db, event, proposal_id)
    return {"event": event, "proposal": proposal, **proposals.view(db, event, proposal, now())}


async def proposal_page(request: Request) -> Response:
    await auth.require_host(request)
    params = request.path_params
    context = await read(request, lambda db: _load(db, params["slug"], params["id"]))
    return page(request, "schedule/proposal.html", **context)


async def proposal_json(request: Request) -> Response:
    await auth.require_host(request)
    params = request.path_params

    def load(db: Session) -> dict[str, Any]:
        return proposals.as_json(proposals.get(db, events.by_slug(db, params["slug"]), params["id"]))

    return JSONResponse(await read(request, load), headers={"cache-control": "no-store"})


async def apply(request: Request) -> Response:
    await auth.require_host(request)
    fields = await form(request, lists=("cell",))
    params = request.path_params
    cells = fields.get("cell") or None
    moment = now()

    def run(db: Session) -> None:
        event = events.by_slug(db, params["slug"])
        proposals.apply(db, event, proposals.get(db, event, params["id"]), cells, moment)  # type: ignore[arg-type]

    await write(request, run)
    return htmx.done(request, f"/e/{params['slug']}/host#schedule")


routes = [
    Route("/e/{slug}/host/schedule/proposals", propose, methods=["POST"]),
    # Before `{id}`: the path parameter would take "7.json" too.
    Route("/e/{slug}/host/schedule/proposals/{id}.json", proposal_json),
    Route("/e/{slug}/host/schedule/proposals/{id}", proposal_page),
    Route("/e/{slug}/host/schedule/proposals/{id}/apply", apply, methods=["POST"]),
]
