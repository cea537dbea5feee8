"""The phone page's shared parts (`liveboard/web/phone_parts.py`): rendered once, marked per person, and never
older than what the request saw.

On a real SQLite file with the demo: the cached board and stories with a person's marks put on them must be
exactly what the templates render with those marks, for everyone in the demo, in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import select
from starlette.requests import Request

from liveboard import demo, i18n
from liveboard.db import Database
from liveboard.domain import board as boards
from liveboard.domain import events
from liveboard.models import Event, Participant, Presence
from liveboard.web import phone_parts
from liveboard.web.phone_parts import PhoneParts
from liveboard.web.requests import now
from liveboard.web.templating import render
from liveboard.web.views import phone


@pytest.fixture
def demo_db(database: Database) -> Iterator[Database]:
    demo.load_demo(database)
    yield database


def version(db: Database) -> int:
    return db.quick.scalar(events.VERSION, event=event_id(db))


def event_id(db: Database) -> int:
    with db.read() as session:
        event = session.exec(select(Event).where(Event.slug == demo.SLUG)).one()
        assert event.id is not None
        return event.id


@pytest.mark.parametrize("lang", ["da", "en"])
def test_marked_parts_are_what_the_templates_render_for_each_person(demo_db: Database, lang: str) -> None:
    cache, eid, at = PhoneParts(), event_id(demo_db), now()
    with i18n.using(lang), demo_db.read() as db, demo_db.quick.reading() as read:
        parts = cache.get(demo_db, eid, lang, at, version(demo_db))
        people = db.exec(select(Participant.id).where(Participant.event_id == eid)).all()
        marked_someone = 0
        for person in [None, *people]:
            mine, interested = phone_parts.marks(read, eid, person)
            marked_someone += bool(mine or interested)
            shown = boards.load(db, parts.event, at)
            context = {"event": parts.event, "board": shown, "mine": mine, "interested": interested, "oob": False}
            assert phone_parts.marked(parts.board_html, mine, interested) == render("_board.html", **context)
            assert phone_parts.marked(parts.pitches_html, mine, interested) == render("_pitches.html", **context)
    assert marked_someone > 10  # the demo's people are in sessions and interested in stories


def test_a_change_is_seen_by_the_next_page(demo_db: Database) -> None:
    cache, eid, at = PhoneParts(), event_id(demo_db), now()
    with i18n.using("da"):
        before = cache.get(demo_db, eid, "da", at, version(demo_db))
        assert cache.get(demo_db, eid, "da", at, version(demo_db)) is before  # nothing changed: not built again
        with demo_db.write() as db:
            event = db.get(Event, eid)
            assert event is not None
            presence = db.exec(select(Presence).join(Participant).where(Participant.event_id == eid)).first()
            assert presence is not None
            db.delete(presence)
            event.version += 1
            db.add(event)
        after = cache.get(demo_db, eid, "da", at, version(demo_db))
    assert after.version == before.version + 1
    assert after.board_html != before.board_html  # one headcount fewer


def test_the_next_round_starting_builds_the_parts_again(demo_db: Database) -> None:
    cache, eid, at = PhoneParts(), event_id(demo_db), now()
    with i18n.using("da"):
        parts = cache.get(demo_db, eid, "da", at, version(demo_db))
        later = next(r for r in parts.board.rounds if r.starts > at).starts + timedelta(minutes=1)
        assert cache.get(demo_db, eid, "da", at + timedelta(seconds=1), version(demo_db)) is parts  # same round
        moved = cache.get(demo_db, eid, "da", later, version(demo_db))
    assert moved is not parts
    assert moved.board.clock.current is not None and moved.board.clock.current.starts <= later


def test_each_language_has_its_own_parts(demo_db: Database) -> None:
    cache, eid, at = PhoneParts(), event_id(demo_db), now()
    with i18n.using("da"):
        danish = cache.get(demo_db, eid, "da", at, version(demo_db))
    with i18n.using("en"):
        english = cache.get(demo_db, eid, "en", at, version(demo_db))
    assert danish is not english
    assert "Vælg" in danish.board_html
    assert "Join" in english.board_html


def test_marks_of_nobody_and_of_a_stranger_are_empty(demo_db: Database) -> None:
    with demo_db.quick.reading() as read:
        assert phone_parts.marks(read, event_id(demo_db), None) == ({}, set())
        assert phone_parts.marks(read, event_id(demo_db), 10**9) == ({}, set())


def phone_request(db: Database, cache: PhoneParts, query: bytes = b"", lang: str = "da") -> Request:
    """A request for the phone page as the app hands it to the view (the app's state, the route's slug)."""
    app = SimpleNamespace(state=SimpleNamespace(db=db, phone_parts=cache))
    scope = {"type": "http", "method": "GET", "path": f"/e/{demo.SLUG}", "query_string": query, "headers": []}
    scope.update(app=app, path_params={"slug": demo.SLUG}, state={"lang": lang})
    return Request(scope)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_cached_page_is_the_page_rendered_for_each_person(demo_db: Database, lang: str) -> None:
    """A plain visit gets the cached page with the person's regions put in; a visit with a query renders the page
    around the same parts. Both must be the same page."""
    cache = PhoneParts()
    with i18n.using(lang), demo_db.read() as db:
        tokens = db.exec(select(Participant.token).where(Participant.event_id == event_id(demo_db))).all()
        for token in [None, *tokens[:40]]:
            cached = phone.phone_html(plain := phone_request(demo_db, cache), phone.phone_page(plain, token))
            queried = phone_request(demo_db, cache, b"from=poster")
            rendered = phone.phone_html(queried, phone.phone_page(queried, token))
            assert cached == rendered, token
            assert "<!--lb:" not in cached
