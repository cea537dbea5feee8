"""The demo's dialogue-meeting series: the contract's four, each with a held and a coming meeting, friction points
in every status, and the open ones carried over; built through the domain, so its rules hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from liveboard.db import Database
from liveboard.demo import load_demo, load_series
from liveboard.domain import items, series
from liveboard.models import ITEM_CLOSED, ITEM_OPEN, Agenda, Item, ItemSupport, Series, Step

NOW = datetime(2026, 3, 12, 19, 7, 31, tzinfo=UTC)
STATUSES = set(ITEM_OPEN) | set(ITEM_CLOSED)


def test_the_four_series_of_the_contract(database: Database) -> None:
    assert load_demo(database, now=NOW) is True
    with database.read() as db:
        found = {s.slug: s for s in series.all_series(db)}
    assert set(found) == {"seniorer", "udsatte", "internationale", "unge"}
    assert found["internationale"].language == "en"
    assert {found[slug].language for slug in ("seniorer", "udsatte", "unge")} == {"da"}
    assert all(s.audience and s.description for s in found.values())


def test_each_series_has_a_held_meeting_and_one_coming(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        for one in series.all_series(db):
            held, coming = series.meetings(db, one)
            assert held.held_at is not None and NOW - timedelta(days=120) < held.starts < NOW - timedelta(days=60)
            assert coming.held_at is None and NOW + timedelta(days=7) < coming.starts < NOW + timedelta(days=60)
            assert series.next_meeting(db, one) == coming
            assert "\n" in held.organisations and held.place


def test_every_status_in_every_series_with_honest_histories(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        for one in series.all_series(db):
            log = items.log(db, one)
            assert 6 <= len(log) <= 9
            assert {entry.item.status for entry in log} == STATUSES, one.slug
            held = series.meetings(db, one)[0]
            for entry in log:
                item = entry.item
                assert item.title and item.service and entry.support > 0
                if item.status == "new":
                    assert entry.history == []
                    continue
                assert entry.answer is not None and entry.answer.status == item.status
                assert all(step.author == "Borgerservice" and step.text for step in entry.history)
                assert all(held.starts < step.at < NOW for step in entry.history)
                assert [step.at for step in entry.history] == sorted(step.at for step in entry.history)
                if item.status == "forwarded":
                    assert entry.answer.forwarded_to
                assert (item.closed_at is not None) == (item.status in ITEM_CLOSED)
                if item.closed_at is not None:
                    assert item.closed_at == entry.answer.at.replace(tzinfo=item.closed_at.tzinfo)


def test_open_items_of_the_held_meeting_are_carried_over(database: Database) -> None:
    load_demo(database, now=NOW)
    with database.read() as db:
        for one in series.all_series(db):
            held, coming = series.meetings(db, one)
            agenda = items.agenda(db, one, coming)
            carried = [entry for entry in agenda if entry.carried_over]
            assert carried, one.slug
            assert all(entry.item.status in ITEM_OPEN for entry in agenda)
            assert {entry.item.status for entry in carried} >= {"looking", "forwarded", "reopened"}
            fresh = [entry for entry in agenda if not entry.carried_over]
            assert fresh and all(entry.item.created_at > held.starts for entry in fresh)
            on_held = {row.item_id for row in db.exec(select(Agenda).where(Agenda.meeting_id == held.id))}
            assert {entry.item.id for entry in carried} <= on_held


def test_loading_the_series_twice_loads_them_once(database: Database) -> None:
    assert load_demo(database, now=NOW) is True
    counts = {}
    with database.read() as db:
        for model in (Series, Item, Step, ItemSupport):
            counts[model] = db.exec(select(func.count()).select_from(model)).one()
    assert load_demo(database, now=NOW) is False
    assert load_series(database, now=NOW) == []
    with database.read() as db:
        for model, count in counts.items():
            assert db.exec(select(func.count()).select_from(model)).one() == count
