"""The hosts' harvest desk: hide, edit, highlight, merge and tag the evening's notes.

The desk lists every note, hidden ones too, since a hidden note can be shown again and its wording must stay
readable for that. Hosts work through it note by note, so an htmx action answers with that note's element
alone: a desk of hundreds of notes is not rendered again for every click.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from liveboard.domain import events, notes, pitches
from liveboard.domain.errors import N_, Invalid, NotFound
from liveboard.domain.harvest import NoteView
from liveboard.models import NOTE_KINDS, Event, Note, Pitch, Room, Round
from liveboard.web import auth, htmx
from liveboard.web.requests import form, read, write
from liveboard.web.templating import page, render

#: A search longer than this is cut: nobody types more, and it bounds the work of a request.
SEARCH_MAX = 200


@dataclass(frozen=True)
class Filters:
    """What the desk shows, from the query string. A value the form cannot produce (an unknown kind, an
    over-long search) is dropped rather than refused: a filter only narrows a view, and an old link should
    still open the desk."""

    kind: str = ""
    theme: str = ""
    q: str = ""

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Filters:
        kind = params.get("kind", "")
        theme = " ".join(params.get("theme", "").split()).lower()[: notes.THEME_MAX]
        search = " ".join(params.get("q", "").split())[:SEARCH_MAX]
        return cls(kind if kind in NOTE_KINDS else "", theme, search)

    @property
    def active(self) -> bool:
        return bool(self.kind or self.theme or self.q)

    def query(self, **changes: str) -> str:
        """The query string of these filters (with `changes`), so a plain form's redirect keeps the view."""
        values = {"kind": self.kind, "theme": self.theme, "q": self.q, **changes}
        kept = {key: value for key, value in values.items() if value}
        return "?" + urlencode(kept) if kept else ""

    def keeps(self, view: NoteView) -> bool:
        note = view.note
        if self.kind and note.kind != self.kind:
            return False
        if self.theme and self.theme not in view.themes:
            return False
        if self.q:
            haystack = " ".join([note.text, note.author, *view.themes]).casefold()
            return all(word in haystack for word in self.q.casefold().split())
        return True


@dataclass
class Group:
    """The notes of one session; notes of a session no longer in the grid are grouped by their pitch."""

    key: str
    pitch: Pitch
    room: Room | None = None
    round: Round | None = None
    notes: list[NoteView] = field(default_factory=list)


@dataclass
class Desk:
    event: Event
    groups: list[Group]
    #: Themes of the event, most used first (`notes.themes_in_use`): the suggestions when tagging.
    themes: list[str]
    group_of: dict[int, Group] = field(default_factory=dict)
    views: dict[int, NoteView] = field(default_factory=dict)

    @property
    def chips(self) -> list[tuple[str, int]]:
        """The themes of the listed notes with how many carry each (a merged note's old tags do not count)."""
        counts = Counter(theme for view in self.views.values() for theme in view.themes)
        return [(theme, counts[theme]) for theme in self.themes if counts[theme]]

    def merge_choices(self, view: NoteView) -> tuple[list[NoteView], list[NoteView]]:
        """Where a note may be merged: first the other notes of its session, where duplicates usually are."""
        own = self.group_of[view.note.id]  # type: ignore[index]
        same = [other for other in own.notes if other.note.id != view.note.id]
        rest = [other for group in self.groups if group is not own for other in group.notes]
        return same, rest

    def shown(self, filters: Filters) -> list[tuple[Group, list[NoteView]]]:
        """The groups to list: every session when nothing is filtered (an empty one is worth seeing), else only
        those with a matching note."""
        listed = [(group, [view for view in group.notes if filters.keeps(view)]) for group in self.groups]
        return [(group, views) for group, views in listed if views or not filters.active]


def load(db: Session, event: Event) -> Desk:
    listed = notes.of_event(db, event, include_hidden=True)
    support = notes.support_counts(db, event)
    themes = notes.themes_of(db, [n.id for n in listed])  # type: ignore[misc]
    rooms = {room.id: room for room in events.rooms(db, event)}
    rounds = {round_.id: round_ for round_ in events.rounds(db, event)}
    by_pitch = {pitch.id: pitch for pitch in pitches.all_pitches(db, event)}
    positions = {room_id: place for place, room_id in enumerate(rooms)}
    order = {round_id: place for place, round_id in enumerate(rounds)}
    slots = sorted(events.sessions(db, event), key=lambda s: (order[s.round_id], positions[s.room_id]))
    groups = {
        f"session-{slot.id}": Group(
            f"session-{slot.id}", by_pitch[slot.pitch_id], rooms[slot.room_id], rounds[slot.round_id]
        )
        for slot in slots
    }
    desk = Desk(event, [], notes.themes_in_use(db, event))
    for note in listed:
        key = f"session-{note.session_id}" if note.session_id else f"pitch-{note.pitch_id}"
        group = groups.setdefault(key, Group(key, by_pitch[note.pitch_id]))
        view = NoteView(note, support.get(note.id, 0), themes.get(note.id, []))  # type: ignore[arg-type]
        group.notes.append(view)
        desk.group_of[note.id] = group  # type: ignore[index]
        desk.views[note.id] = view  # type: ignore[index]
    desk.groups = list(groups.values())
    return desk


def _context(db: Session, slug: str) -> dict[str, Any]:
    event = events.by_slug(db, slug)
    return {"event": event, "desk": load(db, event)}


async def desk_page(request: Request) -> Response:
    await auth.require_host(request)
    context = await read(request, lambda db: _context(db, request.path_params["slug"]))
    filters = Filters.of(request.query_params)
    desk: Desk = context["desk"]
    # `?merge=<id>` shows that note's choice of notes to merge into; htmx fetches just that.
    raw = request.query_params.get("merge", "")
    opened = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    if opened is not None and htmx.is_htmx(request):
        if opened not in desk.views:
            raise NotFound(N_("There is no such note."))
        html = render("desk/_merge.html", view=desk.views[opened], opened=opened, filters=filters, **context)
        return HTMLResponse(html)
    shown = desk.shown(filters)
    return page(
        request,
        "desk/notes.html",
        filters=filters,
        opened=opened,
        shown=shown,
        matching=sum(len(views) for _, views in shown),
        **context,
    )


def note_action(work: Callable[[Session, Event, object, dict[str, object]], Note]) -> Callable:
    """A curation POST: check the host session, run `work` in one transaction, answer. `work` returns the note
    the host should see afterwards: the one acted on or, for a merge, the one the duplicate went into."""

    async def endpoint(request: Request) -> Response:
        await auth.require_host(request)
        fields = await form(request)
        slug, note_id = request.path_params["slug"], request.path_params["id"]
        shown = await write(request, lambda db: work(db, events.by_slug(db, slug), note_id, fields).id)
        filters = Filters.of(request.query_params)
        fragment = None
        if htmx.is_htmx(request):

            def answer(db: Session) -> str:
                context = {**_context(db, slug), "filters": filters, "request": request}
                desk: Desk = context["desk"]
                acted = notes.get(db, context["event"], note_id)
                if acted.id in desk.views:
                    return render("desk/_answer.html", view=desk.views[acted.id], **context)
                # Merged: its element says where it went, and the note it went into is swapped in as well.
                target = desk.views.get(acted.merged_into_id)  # type: ignore[arg-type]
                return render("desk/_merged.html", duplicate=acted, view=target, **context)

            fragment = await read(request, answer)
        return htmx.done(request, f"/e/{slug}/host/notes{filters.query()}#note-{shown}", fragment)

    return endpoint


def _tag(db: Session, event: Event, note_id: object, fields: dict[str, object]) -> Note:
    notes.set_themes(db, event, note_id, fields.get("themes"))
    return notes.get(db, event, note_id)


def _on_flag(fields: dict[str, object]) -> bool:
    value = fields.get("on")
    if value not in ("1", "0"):
        raise Invalid(N_("{field} must be one of: {options}."), field="on", options="1, 0")
    return value == "1"


routes = [
    Route("/e/{slug}/host/notes", desk_page),
    Route(
        "/e/{slug}/host/notes/{id}/hide",
        note_action(lambda db, e, n, f: notes.set_hidden(db, e, n, True)),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/notes/{id}/show",
        note_action(lambda db, e, n, f: notes.set_hidden(db, e, n, False)),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/notes/{id}/highlight",
        note_action(lambda db, e, n, f: notes.set_highlighted(db, e, n, _on_flag(f))),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/notes/{id}/edit",
        note_action(lambda db, e, n, f: notes.edit(db, e, n, f)),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/notes/{id}/merge",
        note_action(lambda db, e, n, f: notes.merge(db, e, n, f.get("into"))),
        methods=["POST"],
    ),
    Route(
        "/e/{slug}/host/notes/{id}/themes",
        note_action(_tag),
        methods=["POST"],
    ),
]
