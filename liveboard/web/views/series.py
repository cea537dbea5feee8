"""A dialogue series for its participants: the coming meeting's agenda, proposing and supporting friction
points, and what became of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from liveboard import i18n
from liveboard.domain import items, retention
from liveboard.domain import series as series_domain
from liveboard.domain.errors import N_, Invalid
from liveboard.domain.items import CHANNEL_LABELS, STATUS_LABELS, Entry
from liveboard.models import Agenda, Item, Meeting, Series, Step
from liveboard.web import auth, htmx, ratelimit
from liveboard.web.errors import FIELD_LABELS, rate_message
from liveboard.web.ratelimit import RateLimited
from liveboard.web.requests import form, now, read, write
from liveboard.web.templating import ENV, page, render

#: The form's fields as people read them (the shared table lacks the series' own).
LABELS = {
    **FIELD_LABELS,
    "story": N_("What happened"),
    "service": N_("Where (which service)"),
    "channel": N_("Digital or physical"),
    "organisation": N_("Organisation"),
}


ENV.globals.setdefault("SERIES_CHANNELS", CHANNEL_LABELS)
ENV.globals.setdefault("SERIES_STATUSES", STATUS_LABELS)


@dataclass(frozen=True)
class Mine:
    """One of this person's own points: where it stands and the latest answer."""

    item: Item
    support: int
    answer: Step | None

    @property
    def status(self) -> str:
        return "merged" if self.item.merged_into_id is not None else self.item.status


def personal(db: Session, slug: str, token: str | None) -> dict[str, Any]:
    """Everything the series page shows, from one read: the coming meeting's agenda and this person's marks."""
    series = series_domain.by_slug(db, slug)
    member = series_domain.member(db, series, token)
    upcoming = series_domain.next_meeting(db, series)
    agenda = items.agenda(db, series, upcoming) if upcoming is not None else []
    own = items.of_member(db, series, member)
    counts = items.support_counts(db, series)
    history = items.histories(db, [item.id for item in own])  # type: ignore[misc]
    return {
        "series": series,
        "member": member,
        "meeting": upcoming,
        "agenda": agenda,
        "current_id": upcoming.current_item_id if upcoming is not None else None,
        "supported": items.supported_by(db, member),
        "entries": items.log(db, series),
        "mine": [
            Mine(item, counts.get(item.id, 0), (history.get(item.id) or [None])[-1])  # type: ignore[arg-type]
            for item in reversed(own)
        ],
    }


def with_cookie(request: Request, response: Response, token: str, new: bool, slug: str) -> Response:
    if new:
        auth.set_member_cookie(request, response, token, slug)
    return response


def message(error: Invalid) -> str:
    """The error in words, with the field named as the form names it."""
    params = dict(error.params)
    if error.field is not None:
        params["field"] = i18n.gettext(LABELS.get(error.field, error.field))
    return i18n.gettext(error.message).format(**params)


async def series_page(request: Request) -> Response:
    token, new = auth.ensure_member_token(request)
    context = await read(request, lambda db: personal(db, request.path_params["series"], token))
    member, moment = context["member"], now()
    if retention.stale(member, moment):  # the last visit, kept to the day, for the retention purge
        await write(request, lambda db: retention.seen(db, member.id, moment))
    response = page(request, "series/series.html", **context)
    return with_cookie(request, response, token, new, context["series"].slug)


async def act(request: Request, work: Any) -> tuple[str, bool, Any]:
    """Run a member's action in one transaction, creating the member on their first action."""
    token, new = auth.ensure_member_token(request)
    slug = request.path_params["series"]

    def run(db: Session) -> Any:
        series = series_domain.by_slug(db, slug)
        member = series_domain.member_for(db, series, token)
        moment = now()
        if retention.stale(member, moment):
            retention.seen(db, member.id, moment)  # type: ignore[arg-type]
        return work(db, series, member)

    result = await write(request, run)
    return token, new, result


async def propose(request: Request) -> Response:
    token, _ = auth.ensure_member_token(request)
    fields = await form(request)
    slug = request.path_params["series"]
    try:
        await ratelimit.act(request, "series-item", token)
        token, new, _ = await act(request, lambda db, series, member: items.propose(db, series, member, fields))
    except (Invalid, RateLimited) as error:
        # What they wrote comes back with what is wrong (422) or when to send it again (429): nothing is lost.
        token, new = auth.ensure_member_token(request)
        context = await read(request, lambda db: personal(db, slug, token))
        if isinstance(error, RateLimited):
            context.update(values=fields, error=rate_message(error), error_field=None)
            status, headers = 429, {"Retry-After": str(error.seconds)}
        else:
            context.update(values=fields, error=message(error), error_field=error.field)
            status, headers = 422, {}
        if htmx.is_htmx(request):
            response: Response = HTMLResponse(render("series/_form.html", request=request, **context), status)
        else:
            response = page(request, "series/series.html", status_code=status, **context)
        response.headers.update(headers)
        return with_cookie(request, response, token, new, context["series"].slug)
    fragment = None
    if htmx.is_htmx(request):
        context = await read(request, lambda db: personal(db, slug, token))
        fragment = render("series/_form.html", request=request, sent=True, **context)
        fragment += render("series/_agenda.html", request=request, oob=True, **context)
        fragment += render("series/_mine.html", request=request, oob=True, **context)
    response = htmx.done(request, f"/s/{slug}?sent=1#series-form", fragment)
    return with_cookie(request, response, token, new, slug)


async def toggle_support(request: Request) -> Response:
    """+1 on a friction point, or taking it back. htmx gets the button as it now is; a plain form, the page."""
    item_id = request.path_params["id"]
    slug = request.path_params["series"]
    await ratelimit.act(request, "series-support", auth.ensure_member_token(request)[0])
    token, new, _ = await act(request, lambda db, series, member: items.toggle_support(db, series, member, item_id))

    def load(db: Session) -> dict[str, Any]:
        series = series_domain.by_slug(db, slug)
        item = items.get(db, series, item_id)
        count = items.support_counts(db, series).get(item.id, 0)  # type: ignore[arg-type]
        member = series_domain.member(db, series, token)
        return {"series": series, "entry": Entry(item, count), "supported": items.supported_by(db, member)}

    context = await read(request, load)
    item = context["entry"].item
    fragment = None
    if htmx.is_htmx(request):
        fragment = render("series/_support.html", request=request, **context)
        fragment += render("series/_marks.html", oob=True, **context)
    return with_cookie(request, htmx.done(request, f"/s/{slug}#agenda-item-{item.id}", fragment), token, new, slug)


# --- the JSON of the contract ----------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def snapshot(db: Session, series: Series) -> dict[str, object]:
    """`GET /api/series/{series}`: the series, its meetings, and every item (merged duplicates left out) with the
    meetings it was on and its history."""
    meetings = series_domain.meetings(db, series)
    listed = list(
        db.exec(select(Item).where(Item.series_id == series.id, col(Item.merged_into_id).is_(None)).order_by(Item.id))
    )
    ids = [item.id for item in listed]
    on: dict[int, list[int]] = {}
    if ids:
        rows = db.exec(
            select(Agenda.item_id, Agenda.meeting_id)
            .join(Meeting, col(Meeting.id) == Agenda.meeting_id)
            .where(col(Agenda.item_id).in_(ids))
            .order_by(Meeting.starts, Meeting.id)
        )
        for item_id, meeting_id in rows:
            on.setdefault(item_id, []).append(meeting_id)
    counts = items.support_counts(db, series)
    history = items.histories(db, ids)  # type: ignore[arg-type]
    return {
        "slug": series.slug,
        "title": series.title,
        "meetings": [{"id": m.id, "starts": iso(m.starts), "place": m.place} for m in meetings],
        "items": [
            {
                "id": item.id,
                "title": item.title,
                "status": item.status,
                "support": counts.get(item.id, 0),  # type: ignore[arg-type]
                "meeting_ids": on.get(item.id, []),  # type: ignore[arg-type]
                "history": [
                    {"status": s.status, "text": s.text, "forwarded_to": s.forwarded_to, "at": iso(s.at)}
                    for s in history.get(item.id, [])  # type: ignore[arg-type]
                ],
            }
            for item in listed
        ],
    }


routes = [
    Route("/s/{series}", series_page),
    Route("/s/{series}/items", propose, methods=["POST"]),
    Route("/s/{series}/items/{id}/support", toggle_support, methods=["POST"]),
]
