"""The organiser's console of a dialogue series: meetings, the agenda, and the follow-up of every item.

Every action is one transaction. htmx requests get the console (`#main`) back as one fragment; plain form posts
get a redirect to the console, at the section they came from. Without a host session: 401 for htmx and POSTs, a
redirect to the login form for a browser's GET (`app.host_required`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.domain.errors import N_
from liveboard.domain.items import STATUS_LABELS
from liveboard.models import ITEM_CLOSED, ITEM_STEPS, Series
from liveboard.web import auth, htmx
from liveboard.web.errors import EVENT_LABELS, FIELD_LABELS, name_fields
from liveboard.web.requests import form, now, read, write
from liveboard.web.templating import page, render

#: Names for the console's fields in error messages, where the shared table has none (it keeps its own).
for _field, _label in {
    "slug": N_("Address"),
    "audience": N_("For whom"),
    "description": N_("Description"),
    "language": N_("Language"),
    "organisations": N_("Invited organisations"),
    "status": N_("Next step"),
    "forwarded_to": N_("Forwarded to"),
    "direction": N_("Direction"),
    "item_id": N_("Item"),
}.items():
    FIELD_LABELS.setdefault(_field, _label)


def allowed_steps(status: str) -> tuple[str, ...]:
    """The steps an item's history allows next: a closed item may only be reopened; an open one anything else."""
    if status in ITEM_CLOSED:
        return ("reopened",)
    return tuple(step for step in ITEM_STEPS if step != "reopened")


#: How the console's forms put the answer to a host's own action in place: the whole console, as the live updates
#: of other hosts' actions do section by section (static/js/keep-typing.js morphs both, so nothing typed is lost).
HX_CONSOLE = 'hx-target="#main" hx-swap="outerHTML"'


def console(db: Session, slug: str) -> dict[str, Any]:
    """The console's context, for the page and for the answer to a host's action."""
    return console_of(db, series_domain.by_slug(db, slug), now())


def console_of(db: Session, the_series: Series, moment: datetime) -> dict[str, Any]:
    """Everything the console shows, from one read: shared by the page, the answers to host actions and the
    series channel's live `host` view (`liveboard.live.series`), so they never disagree."""
    meetings = series_domain.meetings(db, the_series)
    coming = series_domain.next_meeting(db, the_series)
    agenda = items.agenda(db, the_series, coming) if coming is not None else []
    on_agenda = {entry.item.id for entry in agenda}
    everything = items.log(db, the_series)
    rest = [entry for entry in everything if entry.item.id not in on_agenda]
    return {
        "series": the_series,
        "meetings": meetings,
        "coming": coming,
        "agenda": agenda,
        "waiting": [entry for entry in rest if entry.item.status not in ITEM_CLOSED],
        "closed": [entry for entry in rest if entry.item.status in ITEM_CLOSED],
        "all_items": sorted((entry.item for entry in everything), key=lambda item: item.id or 0),
        "allowed_steps": allowed_steps,
        "status_labels": STATUS_LABELS,
        "closed_statuses": ITEM_CLOSED,
        "now": moment,
        "hx": HX_CONSOLE,
    }


async def console_page(request: Request) -> Response:
    await auth.require_host(request)
    context = await read(request, lambda db: console(db, request.path_params["series"]))
    return page(request, "series_host/console.html", **context)


def action(work: Callable[[Session, Series, dict[str, object], dict[str, str]], object], anchor: str) -> Callable:
    """A host POST on a series: check the host session, read the form, run `work` in one transaction, answer."""

    async def endpoint(request: Request) -> Response:
        await auth.require_host(request)
        name_fields(request, EVENT_LABELS)
        fields = await form(request)
        slug, params = request.path_params["series"], dict(request.path_params)

        def run(db: Session) -> None:
            work(db, series_domain.by_slug(db, slug), fields, params)

        await write(request, run)
        fragment = None
        if htmx.is_htmx(request):
            context = await read(request, lambda db: console(db, slug))
            fragment = render("series_host/_console.html", request=request, **context)
        return htmx.done(request, f"/s/{slug}/host#{anchor.format(**params)}", fragment)

    return endpoint


# --- the series itself ---------------------------------------------------------------------------------------------


async def create(request: Request) -> Response:
    await auth.require_organiser(request)
    name_fields(request, EVENT_LABELS)
    fields = await form(request)
    created = await write(request, lambda db: series_domain.create(db, fields).slug)
    return RedirectResponse(f"/s/{created}/host", status_code=303)


routes = [
    Route("/host/series", create, methods=["POST"]),
    Route("/s/{series}/host", console_page),
    Route(
        "/s/{series}/host/series",
        action(lambda db, s, f, p: series_domain.edit(db, s, f), "series"),
        methods=["POST"],
    ),
    Route(
        "/s/{series}/host/meetings",
        action(lambda db, s, f, p: series_domain.schedule(db, s, f), "meetings"),
        methods=["POST"],
    ),
    Route(
        "/s/{series}/host/meetings/{id}",
        action(lambda db, s, f, p: series_domain.edit_meeting(db, s, p["id"], f), "meeting-{id}"),
        methods=["POST"],
    ),
    Route(
        "/s/{series}/host/meetings/{id}/close",
        action(lambda db, s, f, p: series_domain.close(db, s, p["id"]), "meetings"),
        methods=["POST"],
    ),
    Route(
        "/s/{series}/host/meetings/{id}/current",
        action(lambda db, s, f, p: items.discuss(db, s, p["id"], f.get("item_id")), "agenda"),
        methods=["POST"],
    ),
    Route(
        "/s/{series}/host/meetings/{id}/items/{item_id}/move",
        action(lambda db, s, f, p: items.move(db, s, p["id"], p["item_id"], f.get("direction")), "agenda"),
        methods=["POST"],
    ),
    Route(
        "/s/{series}/host/items/{id}/status",
        action(lambda db, s, f, p: items.step(db, s, p["id"], f), "item-{id}"),
        methods=["POST"],
    ),
    Route(
        "/s/{series}/host/items/{id}/merge",
        action(lambda db, s, f, p: items.merge(db, s, p["id"], f.get("into")), "agenda"),
        methods=["POST"],
    ),
]
