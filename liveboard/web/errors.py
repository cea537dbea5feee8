"""Turning domain errors into responses people can act on: 422 (bad input), 409 (conflict), 404; and a
database that is away (restarting, unreachable) into a 503 that says to try again."""

from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from liveboard import i18n
from liveboard.domain.errors import N_, NC_, Conflict, Denied, DomainError, Gone, Invalid, NotFound
from liveboard.web import htmx
from liveboard.web.ratelimit import RateLimited
from liveboard.web.templating import render

#: English words with two meanings, with the contexts the templates use too (`pgettext`), so that a form's label
#: and its error message say the same Danish word.
PLACE = NC_("noun: where an event or meeting is held", "Place")
TITLE_OF_EVENT = NC_("the name of an event or a series", "Title")

#: Field names as people read them; the domain speaks of `title`, a person of "Title".
FIELD_LABELS = {
    "title": N_("Title"),
    "story": N_("Story"),
    "author": N_("Name"),
    "kind": N_("Kind"),
    "text": N_("Text"),
    "name": N_("Name"),
    "capacity": N_("Capacity"),
    "location": NC_("where a room is in the building", "Location"),
    "label": N_("Label"),
    "starts": N_("Start"),
    "ends": N_("End"),
    "room_id": N_("Room"),
    "round_id": N_("Round"),
    "pitch_id": N_("Pitch"),
    "into": N_("Merge into"),
    "other": N_("Swap with"),
    "phase": N_("Phase"),
    "password": N_("Password"),
    "again": N_("The same password again"),
    "id": N_("Id"),
    "themes": N_("Themes"),
    "key": N_("Note-taker link"),
    "username": N_("Username"),
    "role": N_("Role"),
    "slug": N_("Address"),
    "timezone": N_("Time zone"),
    "language": N_("Language"),
    "place": PLACE,
    "mode": N_("Mode"),
    "cell": N_("Cell"),
}
#: What an event's or a series' form calls its title ("Titel"; a pitch's is its "Overskrift").
EVENT_LABELS: dict[str, str | tuple[str, str]] = {"title": TITLE_OF_EVENT}


STATUS = {Invalid: 422, Conflict: 409, NotFound: 404, Denied: 403, Gone: 410}
#: Errors that mean the database could not be reached or did not answer in time, not a bad request.
UNAVAILABLE = (OperationalError, InterfaceError, TimeoutError)
#: Seconds a client is asked to wait before trying again; PostgreSQL restarts within a few.
RETRY_AFTER = "3"

log = logging.getLogger("liveboard.web")


Label = str | tuple[str, str]


def label(field: str, labels: dict[str, Label] | None = None) -> str:
    """A field's name as the reader's form says it: the form's own word when it has one (an event's "Title" is not
    a pitch's), else the shared table's."""
    found = (labels or {}).get(field) or FIELD_LABELS.get(field, field)
    return i18n.pgettext(*found) if isinstance(found, tuple) else i18n.gettext(found)


def name_fields(request: Request, labels: dict[str, Label]) -> None:
    """The labels of the form this request came from, for its error messages (`domain_error`)."""
    request.scope.setdefault("state", {})["field_labels"] = labels


def message(error: DomainError, labels: dict[str, Label] | None = None) -> str:
    params = dict(error.params)
    if error.field is not None:
        params["field"] = label(error.field, labels)
    return i18n.gettext(error.message).format(**params)


def status_of(error: DomainError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)


def error_response(request: Request, status: int, text: str, field: str | None = None) -> Response:
    if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": text, "field": field}, status_code=status)
    if htmx.is_htmx(request):
        # The error goes to the page's message area, not into the element the action meant to replace.
        html = render("_error.html", message=text, field=field, status=status)
        return HTMLResponse(html, status_code=status, headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    back = request.headers.get("referer") or "/"
    return HTMLResponse(
        render("error.html", request=request, message=text, status=status, back=back), status_code=status
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    labels = request.scope.get("state", {}).get("field_labels")
    return error_response(request, status_of(exc), message(exc, labels), exc.field)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The transaction was rolled back (or never began), so trying again is safe and the only thing to do."""
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
    text = i18n.gettext("The database cannot be reached just now. Please try again in a moment.")
    response = error_response(request, 503, text)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def rate_message(exc: RateLimited) -> str:
    """A 429's words: when to try again."""
    if exc.message is not None:
        return i18n.gettext(exc.message)
    return i18n.ngettext(
        "That was a lot at once. Please try again in {seconds} second.",
        "That was a lot at once. Please try again in {seconds} seconds.",
        exc.seconds,
    ).format(seconds=exc.seconds)


async def rate_limited(request: Request, exc: Exception) -> Response:
    """429 with when to try again, in words and in `Retry-After`; for htmx in the page's message area."""
    assert isinstance(exc, RateLimited)
    response = error_response(request, 429, rate_message(exc))
    response.headers["Retry-After"] = str(exc.seconds)
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    texts = {
        400: N_("The form could not be read. Please try again."),
        403: N_("This request came from another site and was refused."),
        404: N_("There is nothing here."),
        405: N_("This address does not take that kind of request."),
        413: N_("The form is too large."),
        429: N_("Too many attempts. Wait a minute and try again."),
    }
    text = exc.detail if exc.detail and exc.status_code not in texts else texts.get(exc.status_code, exc.detail)
    return error_response(request, exc.status_code, i18n.gettext(str(text)))


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug: the person is told in their language, as a page, a fragment or JSON; Starlette logs the traceback
    (it raises the exception again once this answer is sent)."""
    return error_response(request, 500, i18n.gettext("Something went wrong on our side. Please try again."))
