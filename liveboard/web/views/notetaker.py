"""A session's note-taker page: opened with a link that carries a key for that session only.

The note-taker needs no host password: the key in the link is the permission, for one session, until a host
makes a new link. Hosts make (or remake) the link from the console and show it as a QR code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from liveboard import i18n, qr
from liveboard.domain import events, notes, schedule
from liveboard.domain.errors import DomainError, Invalid
from liveboard.models import Event, Pitch, Room, Round
from liveboard.models import Session as Slot
from liveboard.web import auth, htmx, ratelimit
from liveboard.web.errors import message, rate_message
from liveboard.web.ratelimit import RateLimited
from liveboard.web.requests import form, read, write
from liveboard.web.templating import page, render
from liveboard.web.urls import public_base, short

#: The key is in the address: no cache may keep the page, and no other site may see it as a referrer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _about(db: Session, event: Event, slot: Slot) -> dict[str, Any]:
    """What the note-taker and the host see of a session: its title, room and round."""
    return {
        "event": event,
        "slot": slot,
        "pitch": db.get(Pitch, slot.pitch_id),
        "room": db.get(Room, slot.room_id),
        "round": db.get(Round, slot.round_id),
    }


def taker_context(db: Session, slug: str, session_id: object, key: object) -> dict[str, Any]:
    event = events.by_slug(db, slug)
    slot = notes.taker_slot(db, event, session_id, key)
    return {**_about(db, event, slot), "key": key, "taken": notes.of_session(db, event, slot.id)}  # type: ignore[arg-type]


def take_url(slug: str, session_id: int, key: str, **extra: str) -> str:
    return f"/e/{slug}/sessions/{session_id}/take?" + urlencode({"key": key, **extra})


async def take_page(request: Request) -> Response:
    slug, session_id = request.path_params["slug"], request.path_params["id"]
    key = request.query_params.get("key")
    context = await read(request, lambda db: taker_context(db, slug, session_id, key))
    saved = request.query_params.get("saved") == "1"
    kept = {"kind": request.query_params.get("kind")}  # after a plain form's note: the kind it had
    response = page(request, "take/take.html", saved=saved, values=kept, **context)
    response.headers.update(PRIVATE)
    return response


async def take_note(request: Request) -> Response:
    """A note from the note-taker. A wrong key is refused (403) before the note is even looked at."""
    slug, session_id = request.path_params["slug"], request.path_params["id"]
    fields = await form(request)
    key = fields.get("key")
    # Per key: the key is the note-taker's identity, as a cookie's token is a participant's.
    try:
        await ratelimit.act(request, "take-note", f"key:{str(key)[:64]}")
    except RateLimited as error:
        return await _again(request, fields, error)

    def run(db: Session) -> None:
        notes.add_by_key(db, events.by_slug(db, slug), session_id, key, fields)

    try:
        await write(request, run)
    except Invalid as error:
        return await _again(request, fields, error)
    # The kind stays chosen for the next note: a note-taker often writes down several of one kind in a row.
    kept = {"kind": fields.get("kind")}
    if not htmx.is_htmx(request):
        back = take_url(slug, int(session_id), str(key), saved="1", kind=str(kept["kind"])) + "#take-form"
        return htmx.done(request, back)
    context = await read(request, lambda db: taker_context(db, slug, session_id, key))
    html = render("take/_form.html", request=request, saved=True, values=kept, **context)
    html += render("take/_notes.html", request=request, oob=True, **context)
    return HTMLResponse(html, headers=PRIVATE)


async def _again(request: Request, fields: dict[str, object], error: Invalid | RateLimited) -> Response:
    """The form back with what was typed and what is wrong (422) or when to send it again (429): nothing a
    note-taker wrote is lost. A key that is not the session's gets the plain refusal instead (403 or 404), or
    the plain 429 when that was the reason (a script guessing keys learns nothing more)."""
    slug, session_id, key = request.path_params["slug"], request.path_params["id"], fields.get("key")
    try:
        context = await read(request, lambda db: taker_context(db, slug, session_id, key))
    except DomainError:
        if isinstance(error, RateLimited):
            raise error from None
        raise
    if isinstance(error, RateLimited):
        context.update(error=rate_message(error), field=None)
        status, headers = 429, {**PRIVATE, "Retry-After": str(error.seconds)}
    else:
        context.update(error=message(error), field=error.field)
        status, headers = 422, PRIVATE
    name = "take/_form.html" if htmx.is_htmx(request) else "take/take.html"
    return HTMLResponse(render(name, request=request, values=fields, **context), status_code=status, headers=headers)


# --- the host's side ------------------------------------------------------------------------------------------


def key_context(request: Request, db: Session) -> dict[str, Any]:
    event = events.by_slug(db, request.path_params["slug"])
    slot = schedule.get(db, event, request.path_params["id"])
    context = _about(db, event, slot)
    if slot.note_key:
        link = public_base(request) + take_url(event.slug, slot.id, slot.note_key)  # type: ignore[arg-type]
        code = qr.svg(link, i18n.gettext("QR code of the note-taker link"))
        context.update(link=link, short_link=short(link), qr=code)
    return context


async def key_page(request: Request) -> Response:
    """The note-taker link of a session, with its QR code: for a host to show, print or send."""
    await auth.require_host(request)
    context = await read(request, lambda db: key_context(request, db))
    response = page(request, "take/note_key.html", **context)
    response.headers.update(PRIVATE)
    return response


async def make_key(request: Request) -> Response:
    """Make the session's note-taker link, or a new one: the old link stops working at once."""
    await auth.require_host(request)
    slug, session_id = request.path_params["slug"], request.path_params["id"]
    await write(request, lambda db: notes.new_key(db, events.by_slug(db, slug), session_id))
    fragment = None
    if htmx.is_htmx(request):
        context = await read(request, lambda db: key_context(request, db))
        fragment = render("take/_note_key.html", request=request, made=True, **context)
    response = htmx.done(request, f"/e/{slug}/host/sessions/{session_id}/note-key?made=1", fragment)
    response.headers.update(PRIVATE)
    return response


routes = [
    Route("/e/{slug}/sessions/{id}/take", take_page),
    Route("/e/{slug}/sessions/{id}/take", take_note, methods=["POST"]),
    Route("/e/{slug}/host/sessions/{id}/note-key", key_page),
    Route("/e/{slug}/host/sessions/{id}/note-key", make_key, methods=["POST"]),
]
