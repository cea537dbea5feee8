"""The application: the route table, read top to bottom, and what happens at start and stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from liveboard import housekeeping, i18n, keys, metrics, migrate
from liveboard.config import Settings
from liveboard.db import Database
from liveboard.domain.errors import DomainError
from liveboard.live.endpoint import EVENT, SERIES, SocketRoute, Sockets
from liveboard.live.hub import make_hub
from liveboard.live.registry import Live
from liveboard.web import htmx, static_files
from liveboard.web.auth import HostRequired
from liveboard.web.errors import (
    UNAVAILABLE,
    database_unavailable,
    domain_error,
    error_response,
    http_error,
    rate_limited,
    server_error,
)
from liveboard.web.observe import Observe
from liveboard.web.phone_parts import PhoneParts
from liveboard.web.ratelimit import Limiter, RateLimited
from liveboard.web.security import Guard
from liveboard.web.static_files import Static
from liveboard.web.views import (
    accounts,
    api,
    calendar,
    curation,
    home,
    host,
    login,
    notetaker,
    phone,
    report,
    room,
    schedule,
    screen,
    series,
    series_host,
    series_log,
    series_screen,
)
from liveboard.web.views import metrics as metrics_view
from liveboard.web.views import print as printed


def routes() -> list:
    return [
        *login.routes,
        *home.routes,
        *accounts.routes,
        *api.routes,
        *metrics_view.routes,
        *phone.routes,
        *room.routes,
        *printed.routes,
        *calendar.routes,
        *screen.routes,
        *host.routes,
        *schedule.routes,
        *curation.routes,
        *notetaker.routes,
        *report.routes,
        *series_log.routes,
        *series_screen.routes,
        *series_host.routes,
        *series.routes,
        Mount("/static", Static(directory=static_files.DIRECTORY), name="static"),
    ]


def sockets() -> list[SocketRoute]:
    return [SocketRoute("/e/{slug}/ws", EVENT), SocketRoute("/s/{series}/ws", SERIES)]


class LiveBoard(Starlette):
    """Starlette for HTTP; WebSocket handshakes go to `Sockets` straight from here, past the HTTP-only middleware
    and the router, whose coroutines would otherwise be kept for each connection's whole life."""

    def __init__(self, *, sockets: Sockets, allowed_hosts: set[str], **kwargs: Any) -> None:
        self.allowed_hosts = allowed_hosts
        super().__init__(**kwargs)
        self.sockets = sockets

    def build_middleware_stack(self) -> ASGIApp:
        """`Guard` outside everything, Starlette's own error middleware included: a 500 carries the security
        headers and speaks the person's language like every other answer."""
        return Guard(super().build_middleware_stack(), allowed_hosts=self.allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope["app"] = self
            await self.sockets(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def host_required(request: Request, exc: Exception) -> Response:
    """401 for scripts and htmx; a person in a browser is taken to the login form and back."""
    if htmx.is_htmx(request) or request.url.path.startswith("/api/") or request.method != "GET":
        return error_response(request, 401, i18n.gettext("Host login required."))
    return RedirectResponse(f"/host/login?next={request.url.path}", status_code=303)


def create_app(settings: Settings | None = None, database: Database | None = None) -> LiveBoard:
    settings = settings or Settings.from_env()
    database = database or Database(settings.database_url)
    hub = make_hub(settings.broadcast_url)
    live = Live(database, retention_days=settings.retention_days)
    database.listeners.append(hub.publish)
    hub.subscribe(live.changed)
    hub.on_relay(live.relay)
    live.relaying = hub.relaying
    limiter = Limiter(settings.broadcast_url)
    password, generated = keys.admin_password(settings.admin_password)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate.upgrade, database.engine)
        app.state.secret_key = await asyncio.to_thread(keys.secret_key, database, settings.secret_key)
        await asyncio.to_thread(keys.admin_account, database, password)
        await hub.start()
        # The retention purge, now and every hour (a start after a long pause catches up at once).
        sweeping = asyncio.create_task(housekeeping.keep_sweeping(database, settings.retention_days))
        yield
        sweeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeping
        live.close()
        await hub.stop()
        await limiter.close()
        database.dispose()

    # The public address counts as this site too: behind a proxy that rewrites Host, phones still post.
    allowed_hosts = {urlsplit(settings.public_url).netloc} - {""}
    app = LiveBoard(
        sockets=Sockets(sockets(), allowed_hosts),
        allowed_hosts=allowed_hosts,
        routes=routes(),
        # Compression makes a phone page with htmx and the stylesheet a ~25 KB download on venue wifi.
        # The guard wraps all of it (`LiveBoard.build_middleware_stack`); Observe times the rest, compression too.
        middleware=[Middleware(Observe), Middleware(GZipMiddleware, minimum_size=1024)],
        exception_handlers={
            HostRequired: host_required,
            DomainError: domain_error,
            HTTPException: http_error,
            RateLimited: rate_limited,
            **dict.fromkeys(UNAVAILABLE, database_unavailable),
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.hub = hub
    app.state.live = live
    app.state.limiter = limiter
    app.state.phone_parts = PhoneParts()
    app.state.metrics = metrics.registry_for(live, database, hub)
    app.state.admin_password = password
    app.state.admin_password_generated = generated
    return app
