"""The JSON API of the contract, and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from liveboard.domain import events
from liveboard.web import auth
from liveboard.web.requests import read


async def event_snapshot(request: Request) -> Response:
    slug = request.path_params["slug"]
    host = auth.is_host(request)
    data = await read(request, lambda db: events.snapshot(db, events.by_slug(db, slug), host=host))
    return JSONResponse(data, headers={"cache-control": "no-store"})


async def healthz(request: Request) -> Response:
    version = await read(request, lambda db: db.connection().exec_driver_sql("SELECT 1").scalar())
    return JSONResponse({"status": "ok", "database": version == 1})


routes = [
    Route("/api/events/{slug}", event_snapshot),
    Route("/healthz", healthz),
]
