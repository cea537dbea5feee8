"""The JSON API of the contract, and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from liveboard.domain import events
from liveboard.web import auth
from liveboard.web.errors import UNAVAILABLE
from liveboard.web.requests import read


async def event_snapshot(request: Request) -> Response:
    slug = request.path_params["slug"]
    host = await auth.is_host(request)
    data = await read(request, lambda db: events.snapshot(db, events.by_slug(db, slug), host=host))
    return JSONResponse(data, headers={"cache-control": "no-store"})


async def healthz(request: Request) -> Response:
    """For the proxy and the people on duty: 503 while the database is away, so traffic goes elsewhere; the
    relay between instances is reported, not failed on, since pages and forms work without it."""
    hub = request.app.state.hub
    relay = {"broadcast": hub.kind, "relaying": hub.relaying}
    try:
        answer = await read(request, lambda db: db.connection().exec_driver_sql("SELECT 1").scalar())
    except UNAVAILABLE:
        return JSONResponse({"status": "unavailable", "database": False, **relay}, status_code=503)
    return JSONResponse({"status": "ok", "database": answer == 1, **relay}, headers={"cache-control": "no-store"})


routes = [
    Route("/api/events/{slug}", event_snapshot),
    Route("/healthz", healthz),
]


# --- dialogue series -----------------------------------------------------------------------------------------------


async def series_snapshot(request: Request) -> Response:
    from liveboard.domain import series as series_domain
    from liveboard.web.views import series as series_view

    slug = request.path_params["series"]
    data = await read(request, lambda db: series_view.snapshot(db, series_domain.by_slug(db, slug)))
    return JSONResponse(data, headers={"cache-control": "no-store"})


routes.append(Route("/api/series/{series}", series_snapshot))
