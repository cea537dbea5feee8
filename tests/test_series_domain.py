"""The dialogue series' rules, straight against a real SQLite file: the agenda's order and its ties, merging with
support carried over once per person, the status machine and its history, and carry-over to the next meeting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from liveboard.db import Database
from liveboard.domain import items, series
from liveboard.domain.errors import Conflict, Invalid
from liveboard.models import Agenda, Item, Member, Series, Step

T0 = datetime(2030, 3, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def senior(database: Database) -> Database:
    with database.write() as db:
        db.add(Series(slug="seniorer", title="Dialogmøde med seniorerne"))
    return database


def the_series(db) -> Series:  # type: ignore[no-untyped-def]
    return series.by_slug(db, "seniorer")


def schedule(database: Database, days: int) -> int:
    with database.write() as db:
        return series.schedule(
            db, the_series(db), {"starts": (T0 + timedelta(days=days)).isoformat(), "place": "Borgerservice"}
        ).id  # type: ignore[return-value]


def propose(database: Database, title: str, member: str | None = None) -> int:
    with database.write() as db:
        s = the_series(db)
        who = series.member_for(db, s, member) if member else None
        return items.propose(db, s, who, {"title": title, "channel": "digital"}).id  # type: ignore[return-value]


def support(database: Database, item_id: int, member: str) -> bool:
    with database.write() as db:
        s = the_series(db)
        return items.toggle_support(db, s, series.member_for(db, s, member), item_id)


def step(database: Database, item_id: int, status: str, **extra: str) -> None:
    with database.write() as db:
        items.step(db, the_series(db), item_id, {"status": status, "text": f"{status}.", **extra})


def agenda_titles(database: Database, meeting_id: int) -> list[str]:
    with database.read() as db:
        s = the_series(db)
        return [e.item.title for e in items.agenda(db, s, series.meeting(db, s, meeting_id))]


def test_a_new_item_goes_on_the_next_meeting_and_the_agenda_orders_itself_by_support(senior: Database) -> None:
    first = schedule(senior, 10)
    schedule(senior, 100)
    a, b, c = propose(senior, "A"), propose(senior, "B"), propose(senior, "C")
    assert agenda_titles(senior, first) == ["A", "B", "C"]  # a tie: the older first
    support(senior, c, "m1")
    support(senior, c, "m2")
    support(senior, b, "m1")
    assert agenda_titles(senior, first) == ["C", "B", "A"]
    assert support(senior, c, "m2") is False  # given once; the second press withdraws it
    support(senior, b, "m3")
    assert agenda_titles(senior, first) == ["B", "C", "A"]
    with senior.write() as db:
        items.move(db, the_series(db), first, a, "up")
    assert agenda_titles(senior, first) == ["B", "A", "C"]  # the host's order now holds
    support(senior, c, "m4")
    support(senior, c, "m5")
    assert agenda_titles(senior, first) == ["B", "A", "C"]
    with pytest.raises(Invalid), senior.write() as db:
        items.move(db, the_series(db), first, a, "sideways")


def test_merging_carries_support_over_once_per_person(senior: Database) -> None:
    meeting = schedule(senior, 10)
    keep, duplicate = propose(senior, "MitID er svært"), propose(senior, "MitID igen")
    for member in ("m1", "m2"):
        support(senior, keep, member)
    for member in ("m2", "m3"):
        support(senior, duplicate, member)
    with senior.write() as db:
        items.merge(db, the_series(db), duplicate, keep)
    assert agenda_titles(senior, meeting) == ["MitID er svært"]
    with senior.read() as db:
        entry = items.agenda(db, the_series(db), series.meeting(db, the_series(db), meeting))[0]
        assert entry.support == 3
    for bad, error in ((keep, Invalid), ("", Invalid), (999, Invalid)):
        with pytest.raises(error), senior.write() as db:
            items.merge(db, the_series(db), keep, bad)
    with pytest.raises(Conflict), senior.write() as db:
        items.merge(db, the_series(db), duplicate, keep)


def test_the_status_machine_records_every_step_and_refuses_what_history_does_not_allow(senior: Database) -> None:
    schedule(senior, 10)
    item = propose(senior, "Brev i e-Boks forstås ikke")
    with pytest.raises(Conflict, match="Only a closed item"):
        step(senior, item, "reopened")
    with pytest.raises(Invalid):
        step(senior, item, "forwarded")  # to whom?
    step(senior, item, "looking")
    step(senior, item, "forwarded", forwarded_to="Udbetaling Danmark")
    step(senior, item, "explained")
    for status in ("solved", "looking", "explained"):
        with pytest.raises(Conflict, match="closed"):
            step(senior, item, status)
    step(senior, item, "reopened")
    step(senior, item, "changed")
    with senior.read() as db:
        found = db.get(Item, item)
        assert found is not None and found.status == "changed" and found.closed_at is not None
        history = [
            (s.status, s.forwarded_to) for s in db.exec(select(Step).where(Step.item_id == item).order_by(Step.id))
        ]
    assert history == [
        ("looking", ""),
        ("forwarded", "Udbetaling Danmark"),
        ("explained", ""),
        ("reopened", ""),
        ("changed", ""),
    ]
    for bad in (
        {"status": "closed", "text": "x"},
        {"status": "looking", "text": ""},
        {"status": "looking", "text": "x" * 2001},
    ):
        with pytest.raises(Invalid), senior.write() as db:
            items.step(db, the_series(db), item, bad)


def test_open_items_carry_over_to_the_next_meeting_when_one_is_held(senior: Database) -> None:
    held = schedule(senior, 10)
    open_item, closed_item = propose(senior, "Åben"), propose(senior, "Lukket")
    step(senior, closed_item, "solved")
    with senior.write() as db:
        series.close(db, the_series(db), held)
    with pytest.raises(Conflict), senior.write() as db:
        series.close(db, the_series(db), held)  # held once
    # No meeting yet to carry over to: the open item waits, and joins the next one scheduled.
    with senior.read() as db:
        assert len(db.exec(select(Agenda).where(Agenda.item_id == open_item)).all()) == 1
    coming = schedule(senior, 100)
    assert agenda_titles(senior, coming) == ["Åben"]
    with senior.read() as db:
        row = db.get(Agenda, (open_item, coming))
        assert row is not None and row.carried_over
        assert db.get(Agenda, (closed_item, coming)) is None
    # When the next meeting already exists, closing carries over at once.
    later = schedule(senior, 200)
    with senior.write() as db:
        series.close(db, the_series(db), coming)
    assert agenda_titles(senior, later) == ["Åben"]
    # A reopened item goes on the agenda to come.
    step(senior, closed_item, "reopened")
    assert set(agenda_titles(senior, later)) == {"Åben", "Lukket"}


def test_a_member_is_made_once_per_token(senior: Database) -> None:
    with senior.write() as db:
        s = the_series(db)
        first = series.member_for(db, s, "token-1")
        again = series.member_for(db, s, "token-1")
        assert first.id == again.id
    with senior.read() as db:
        assert len(db.exec(select(Member)).all()) == 1
