"""The hosts' home (`/host`): events running now, upcoming and past, the dialogue series, and for organisers the
"New event" form and a copy of any event (`/host/events`, `/host/events/{slug}/copy`).

Any host sees the home; only organisers make events (403 for other hosts). A refused form comes back on its own
page with what was typed and the field named (422, or 409 for a slug that is taken), so nobody types it again.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liveboard.domain import events, overview, setup
from liveboard.domain.accounts import Host
from liveboard.domain.errors import Conflict, DomainError, Invalid
from liveboard.web import auth, htmx
from liveboard.web.errors import EVENT_LABELS, message, status_of
from liveboard.web.requests import form, now, read, write
from liveboard.web.templating import page

#: Form errors answered by the form's own page, refilled; others (404, 403) go to the general error handler.
REFILLED = (Invalid, Conflict)


def _problem(error: DomainError) -> dict[str, Any]:
    return {"text": message(error, EVENT_LABELS), "field": error.field}


def _answers_with_the_form(request: Request) -> bool:
    """A person at a browser gets the form back; htmx and scripts get the usual short error answer."""
    return not htmx.is_htmx(request) and "application/json" not in request.headers.get("accept", "")


async def _home(request: Request, host: Host, status_code: int = 200, **form_state: Any) -> Response:
    moment = now()
    found = await read(request, lambda db: overview.load(db, moment))
    return page(
        request,
        "home/home.html",
        status_code=status_code,
        host=host,
        overview=found,
        timezones=setup.COMMON_TIMEZONES,
        default_timezone=setup.DEFAULT_TIMEZONE,
        **form_state,
    )


async def home(request: Request) -> Response:
    host = await auth.current_host(request)
    if host is None:
        return RedirectResponse("/host/login?next=/host", status_code=303)
    return await _home(request, host)


async def create_event(request: Request) -> Response:
    host = await auth.require_organiser(request)
    fields = await form(request)
    try:
        slug = await write(request, lambda db: setup.create(db, fields).slug)
    except REFILLED as error:
        if not _answers_with_the_form(request):
            raise
        return await _home(request, host, status_of(error), new_event=fields, new_event_error=_problem(error))
    return RedirectResponse(f"/e/{slug}/host", status_code=303)


async def _copy_page(request: Request, status_code: int = 200, **form_state: Any) -> Response:
    source = await read(request, lambda db: events.by_slug(db, request.path_params["slug"]))
    return page(request, "home/copy.html", status_code=status_code, source=source, **form_state)


async def copy_form(request: Request) -> Response:
    await auth.require_organiser(request)
    return await _copy_page(request)


async def copy_event(request: Request) -> Response:
    await auth.require_organiser(request)
    fields = await form(request)
    source = request.path_params["slug"]
    try:
        slug = await write(request, lambda db: setup.copy(db, source, fields).slug)
    except REFILLED as error:
        if not _answers_with_the_form(request):
            raise
        return await _copy_page(request, status_of(error), copy=fields, copy_error=_problem(error))
    return RedirectResponse(f"/e/{slug}/host", status_code=303)


async def events_index(request: Request) -> Response:
    """`/host/events` is where the form posts; a browser that asks for it (a language link on a refused form's
    page) is sent home."""
    return RedirectResponse("/host", status_code=303)


routes = [
    Route("/host", home),
    Route("/host/events", events_index),
    Route("/host/events", create_event, methods=["POST"]),
    Route("/host/events/{slug}/copy", copy_form),
    Route("/host/events/{slug}/copy", copy_event, methods=["POST"]),
]
