"""The participant's phone: join, pitch, mark interest, see the board, pick a session, add notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from liveboard.domain import blocking, board, changes, events, notes, participants, pitches, presence, schedule
from liveboard.domain.errors import Invalid, NotFound
from liveboard.domain.harvest import NoteView
from liveboard.models import Event, Participant
from liveboard.web import auth, htmx, phone_parts, ratelimit
from liveboard.web.errors import message, rate_message
from liveboard.web.ratelimit import RateLimited
from liveboard.web.requests import database, form, now, read, write, write_together
from liveboard.web.security import text_size
from liveboard.web.templating import page, render
from liveboard.writer import Outcome


def personal(db: Session, slug: str, token: str | None) -> dict[str, Any]:
    """Everything the phone page shows, from one read: the shared board and this person's marks on it."""
    event = events.by_slug(db, slug)
    participant = participants.find(db, event, token)
    the_board = board.load(db, event, now())
    mine = presence.sessions_of(db, event, participant)
    return {
        "event": event,
        "board": the_board,
        "mine": mine,
        "interested": pitches.interested_in(db, event, participant),
        "where": the_board.whereabouts(mine),
        "here": the_board.current_cell(mine),
    }


def with_cookie(request: Request, response: Response, token: str, new: bool) -> Response:
    if new:
        auth.set_participant_cookie(request, response, token)
    return response


def phone_page(request: Request, token: str | None) -> dict[str, Any]:
    """What the phone page shows: the shared parts from the process's cache (`phone_parts`), with this person's
    marks and their "where do I go now" on the same board. Read past the Session (`Database.quick`): a hall
    reloading at once asks this 150 times a second; only a new version's parts are loaded through one."""
    db = database(request)
    event_id = db.event_id(request.path_params["slug"])
    with db.quick.reading() as read:
        version = read.scalar(events.VERSION, event=event_id)
        who = read.scalar(participants.ID_BY_TOKEN, event=event_id, token=token) if token else None
        mine, interested = phone_parts.marks(read, event_id, who)
    parts = request.app.state.phone_parts.get(db, event_id, request.state.lang, now(), version)
    the_board = parts.board
    return {
        "parts": parts,
        "event": parts.event,
        "board": the_board,
        "mine": mine,
        "interested": interested,
        "where": the_board.whereabouts(mine),
        "here": the_board.current_cell(mine),
    }


def phone_html(request: Request, context: dict[str, Any]) -> str:
    """The phone page. A plain visit (no query, no form to show again) is the cached page of everyone with this
    person's regions and marks put in: two small fragments rendered, not the page."""
    parts: phone_parts.Parts = context["parts"]
    mine, interested = context["mine"], context["interested"]
    plain = not request.url.query and "failed" not in context

    def evening() -> str:
        return render("_my_evening.html", request=request, **context)

    if plain:
        where, here = (cell.session.id if cell else None for cell in (context["where"], context["here"]))
        my_evening = parts.evening(text_size.get(), where, here, evening)
    else:
        my_evening = evening()
    regions = {"my_evening": Markup(my_evening), "my_marks": Markup(render("_my_marks.html", **context))}
    if not plain:
        board_html = phone_parts.marked(parts.board_html, mine, interested)
        pitches_html = phone_parts.marked(parts.pitches_html, mine, interested)
        return render(
            "phone.html", request=request, shared_board=board_html, shared_pitches=pitches_html, **context, **regions
        )

    def everyone() -> str:
        shared = {"shared_board": Markup(parts.board_html), "shared_pitches": Markup(parts.pitches_html)}
        return render(
            "phone.html",
            **{**context, "mine": {}, "interested": set(), "where": None, "here": None},
            **shared,
            my_evening=phone_parts.EVENING,
            my_marks=phone_parts.MARKS,
        )

    shell = parts.shell(text_size.get(), everyone)
    # As plain text: Markup's own `replace` escapes its arguments again, at a page's length.
    page_html = str(phone_parts.marked(shell, mine, interested))
    page_html = page_html.replace(phone_parts.EVENING, regions["my_evening"])
    return page_html.replace(phone_parts.MARKS, regions["my_marks"])


async def phone(request: Request) -> Response:
    token, new = auth.ensure_participant_token(request)
    context = await database(request).off_loop(lambda: phone_page(request, token))
    return with_cookie(request, HTMLResponse(phone_html(request, context)), token, new)


async def my_evening(request: Request) -> Response:
    """This person's "where do I go now" region, fetched again by the page when the programme changes."""
    token = auth.participant_token(request)
    context = await read(request, lambda db: personal(db, request.path_params["slug"], token))
    if htmx.is_htmx(request):
        return HTMLResponse(render("_my_evening.html", request=request, **context))
    # Opened as a page (a bookmark, a shared link): the same region, in a page of its own.
    return page(request, "me.html", **context)


async def session_page(request: Request) -> Response:
    """A session's own page, opened from the QR code on its door sign: one big "I'm here" button."""
    token, new = auth.ensure_participant_token(request)

    def load(db: Session) -> dict[str, Any]:
        context = personal(db, request.path_params["slug"], token)
        event = context["event"]
        slot = schedule.get(db, event, request.path_params["id"])
        context["cell"] = context["board"].by_session[slot.id]
        context.update(session_notes(db, event, participants.find(db, event, token), slot.id))  # type: ignore[arg-type]
        return context

    context = await read(request, load)
    return with_cookie(request, page(request, "session.html", **context), token, new)


def session_notes(db: Session, event: Event, participant: Participant | None, session_id: int) -> dict[str, Any]:
    """A session's notes, newest first, with their support and which of them this person supports."""
    counts = notes.support_counts(db, event)
    listed = notes.of_session(db, event, session_id)
    themes = notes.themes_of(db, [n.id for n in listed])  # type: ignore[misc]
    return {
        "note_views": [NoteView(n, counts.get(n.id, 0), themes.get(n.id, [])) for n in listed],  # type: ignore[arg-type]
        "supported": notes.supported_by(db, event, participant),
    }


async def act(request: Request, work: Any) -> tuple[str, bool]:
    """Run a participant's action in one transaction, creating the participant on their first action."""
    token, new = auth.ensure_participant_token(request)
    slug = request.path_params["slug"]

    def run(db: Session) -> None:
        event = events.by_slug(db, slug)
        # The event's lock before the participant's row: every write takes them in this order (a join makes its
        # participant under the lock), so two first actions of one phone cannot wait for each other.
        changes.lock(db, event)
        participant = participants.get_or_create(db, event, token, lang=request.state.lang)
        blocking.refuse(participant)
        work(db, event, participant)

    await write(request, run)
    return token, new


def back_to(request: Request, anchor: str = "") -> str:
    return f"/e/{request.path_params['slug']}{anchor}"


async def fragments(request: Request, token: str, *names: str, **extra: Any) -> str:
    """The page's fragments after an action, the first swapped into the target, the rest out of band."""
    context = await read(request, lambda db: personal(db, request.path_params["slug"], token))
    context.update(extra)
    return "".join(render(name, request=request, oob=i > 0, **context) for i, name in enumerate(names))


async def submit_pitch(request: Request) -> Response:
    token, _ = auth.ensure_participant_token(request)
    fields = await form(request)
    try:
        await ratelimit.act(request, "pitch", token)
        token, new = await act(request, lambda db, event, who: pitches.submit(db, event, who, fields))
    except (Invalid, RateLimited) as error:
        return await form_error(request, "_pitch_form.html", "_pitch_form.html", fields, error)
    fragment = await fragments(request, token, "_pitch_form.html", sent=True) if htmx.is_htmx(request) else None
    return with_cookie(request, htmx.done(request, back_to(request, "?sent=1#pitch-form"), fragment), token, new)


async def form_error(
    request: Request, fragment: str, failed: str, fields: dict[str, object], error: Invalid | RateLimited
) -> Response:
    """A refused form comes back with what the person typed and what is wrong (422), or when to send it again
    (429), so nothing they wrote is lost.

    `fragment` is what the form's htmx request swaps (the form itself, or the region around it)."""
    token, _ = auth.ensure_participant_token(request)
    limited = isinstance(error, RateLimited)
    said = {"values": fields, "error": rate_message(error) if limited else message(error), "failed": failed}  # type: ignore[arg-type]
    status, headers = (429, {"Retry-After": str(error.seconds)}) if limited else (422, {})  # type: ignore[union-attr]
    if not htmx.is_htmx(request):
        context = await database(request).off_loop(lambda: phone_page(request, token))
        return HTMLResponse(phone_html(request, {**context, **said}), status_code=status, headers=headers)
    context = await read(request, lambda db: personal(db, request.path_params["slug"], token))
    context.update(said)
    html = render(fragment, request=request, **context)
    return HTMLResponse(html, status_code=status, headers=headers)


async def toggle_interest(request: Request) -> Response:
    pitch_id = request.path_params["id"]
    await ratelimit.act(request, "interest", auth.ensure_participant_token(request)[0])
    token, new = await act(request, lambda db, event, who: pitches.toggle_interest(db, event, who, pitch_id))
    fragment = None
    if htmx.is_htmx(request):
        context = await read(request, lambda db: personal(db, request.path_params["slug"], token))
        pitch = next(p for p in context["board"].pitches if p.id == int(pitch_id))
        fragment = render("_pitch.html", request=request, pitch=pitch, **context)
        fragment += render("_my_marks.html", oob=True, **context)
    return with_cookie(request, htmx.done(request, back_to(request, f"#pitch-{pitch_id}"), fragment), token, new)


def back_after_move(request: Request, anchor: str) -> str:
    """Back to a room's own page when "I'm here" was pressed there (opened from its door poster), else the phone."""
    slug = request.path_params["slug"]
    referring = _referring_page(request, slug)
    return referring if referring and referring.startswith(f"/e/{slug}/rooms/") else back_to(request, anchor)


#: The answers to joins and leaves, by what they show (a hall's round start asks for a few dozen, a thousand times).
_ANSWERS = phone_parts.Answers()


@dataclass(frozen=True)
class _Moving:
    """A join or leave as the writer takes it, together with the others waiting (`moving`)."""

    slug: str
    move: presence.Move
    #: An htmx request: the answer is the person's own "where do I go now".
    answer: bool
    #: The database's slug → id (`events.ref`).
    known: dict[str, int]
    now: datetime


def moving(db: Session, asked: list[_Moving]) -> list[Outcome]:
    """The joins and leaves waiting together, per event: `presence.moves` for all of them, then the evenings of
    those whose phone wants one, read in the same transaction with three statements for all (a read of its own
    would cost a thread hop and a transaction more per join)."""
    outcomes = [Outcome() for _ in asked]
    by_slug: dict[str, list[int]] = {}
    for index, one in enumerate(asked):
        by_slug.setdefault(one.slug, []).append(index)
    for slug, indexes in by_slug.items():
        try:
            event = events.ref(db, slug, asked[indexes[0]].known)
        except NotFound as error:
            for index in indexes:
                outcomes[index].error = error
            continue
        moved = dict(zip(indexes, presence.moves(db, event, [asked[index].move for index in indexes]), strict=True))
        answering = {index for index in indexes if asked[index].answer and moved[index].error is None}
        people = [moved[index].participant_id for index in answering]
        evenings = board.evenings(db, event.id, people, asked[indexes[0]].now) if answering else {}
        for index in indexes:
            result, outcome = moved[index], outcomes[index]
            outcome.error = result.error
            outcome.versions = [result.version] if result.version is not None else []
            if index in answering:
                outcome.result = evenings[result.participant_id]
    return outcomes


async def move(request: Request, leaving: bool) -> Response:
    """A join or leave: the round start's hot path. The writer does it together with the others waiting
    (`moving`): the event by id only (`events.ref`), a few statements for all of them, and an htmx request gets
    this person's "where do I go now" and marks (the board's counts come over the socket, rendered once for
    everyone)."""
    token, new = auth.ensure_participant_token(request)
    await ratelimit.act(request, "move", token)
    asked = _Moving(
        request.path_params["slug"],
        presence.Move(participants.Visitor(token, request.state.lang), request.path_params["id"], leaving),
        htmx.is_htmx(request),
        database(request).event_ids,
        now(),
    )
    evening = await write_together(request, moving, asked)
    fragment = None
    if evening is not None:
        context = {"event": evening.event, "board": evening, "mine": evening.mine, "interested": evening.interested}
        context.update(where=evening.where, here=evening.here)
        fragment = _ANSWERS.get(request.state.lang, evening, lambda: render("_my_evening.html", **context))
        fragment += render("_my_marks.html", oob=True, **context)
    anchor = "#board" if leaving else "#my-evening"
    return with_cookie(request, htmx.done(request, back_after_move(request, anchor), fragment), token, new)


async def join(request: Request) -> Response:
    return await move(request, leaving=False)


async def leave(request: Request) -> Response:
    return await move(request, leaving=True)


async def add_note(request: Request) -> Response:
    session_id = request.path_params["id"]
    fields = await form(request)

    def work(db: Session, event: Event, who: Participant) -> None:
        notes.add(db, event, who, session_id, fields)

    try:
        await ratelimit.act(request, "note", auth.ensure_participant_token(request)[0])
        token, new = await act(request, work)
    except (Invalid, RateLimited) as error:
        return await form_error(request, "_my_evening.html", "_note_form.html", fields, error)
    fragment = await fragments(request, token, "_my_evening.html", noted=True) if htmx.is_htmx(request) else None
    return with_cookie(request, htmx.done(request, back_to(request, "?noted=1#my-evening"), fragment), token, new)


async def toggle_support(request: Request) -> Response:
    """+1 on a note, or taking it back. Answers htmx with the button as it now is, a plain form with the page."""
    note_id = request.path_params["id"]
    await ratelimit.act(request, "support", auth.ensure_participant_token(request)[0])
    token, new = await act(request, lambda db, event, who: notes.toggle_support(db, event, who, note_id))
    slug = request.path_params["slug"]

    def load(db: Session) -> dict[str, Any]:
        event = events.by_slug(db, slug)
        note = notes.get(db, event, note_id)
        count = notes.support_counts(db, event).get(note.id, 0)  # type: ignore[arg-type]
        supported = notes.supported_by(db, event, participants.find(db, event, token))
        return {"event": event, "view": NoteView(note, count, []), "supported": supported}

    context = await read(request, load)
    fragment = render("_support.html", request=request, **context) if htmx.is_htmx(request) else None
    back = _referring_page(request, slug) or _note_page(slug, context["view"].note)
    return with_cookie(request, htmx.done(request, f"{back}#note-{context['view'].note.id}", fragment), token, new)


def _referring_page(request: Request, slug: str) -> str | None:
    """The page of this event the +1 was pressed on (session page, report), so a plain form goes back there.
    Only its path and query are kept: the answer never sends anyone to another site."""
    referer = urlsplit(request.headers.get("referer", ""))
    path = referer.path
    if path != f"/e/{slug}" and not path.startswith(f"/e/{slug}/"):
        return None
    return path + (f"?{referer.query}" if referer.query else "")


def _note_page(slug: str, note: Any) -> str:
    return f"/e/{slug}/sessions/{note.session_id}" if note.session_id else f"/e/{slug}/report"


routes = [
    Route("/e/{slug}", phone),
    Route("/e/{slug}/me", my_evening),
    Route("/e/{slug}/sessions/{id}", session_page),
    Route("/e/{slug}/pitches", submit_pitch, methods=["POST"]),
    Route("/e/{slug}/pitches/{id}/interest", toggle_interest, methods=["POST"]),
    Route("/e/{slug}/sessions/{id}/join", join, methods=["POST"]),
    Route("/e/{slug}/sessions/{id}/leave", leave, methods=["POST"]),
    Route("/e/{slug}/sessions/{id}/notes", add_note, methods=["POST"]),
    Route("/e/{slug}/notes/{id}/support", toggle_support, methods=["POST"]),
]
