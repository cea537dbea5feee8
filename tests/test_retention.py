"""Privacy by default (`domain/retention.py`, `housekeeping.py`): `LIVEBOARD_RETENTION_DAYS` after an event ends,
and after a series member's last visit, what identifies people is purged by itself; what they made stays.

The clock is moved by handing the sweep a `now` (the running server hands it the real time): nothing sleeps, and
nothing of LiveBoard is mocked. Events are made as rows on a real SQLite file (and PostgreSQL for the race).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date
from conftest import LiveServer
from run_py import RunPy
from servers import free_port
from sqlalchemy import update
from sqlmodel import select

from liveboard import ROOT, housekeeping, migrate
from liveboard.db import Database
from liveboard.demo import load_demo
from liveboard.domain import audit, retention
from liveboard.models import AuditEntry, Event, Item, ItemSupport, Member, Note, Participant, Pitch, Round, Series

#: The sweep's clock. Days are moved from the real time: an audit entry is stamped with the real time, and a
#: sweep knows an event as purged by an entry from after it ended.
NOW = datetime.now(UTC).replace(microsecond=0)
DAYS = 30
ZONE = "Europe/Copenhagen"


def evening(database: Database, slug: str, ended: datetime) -> int:
    """An event whose last round ended at `ended`, with a participant who gave a name, sent a pitch and a note."""
    with database.write() as db:
        event = Event(slug=slug, title=f"Aften {slug}", starts=ended - timedelta(hours=3))
        db.add(event)
        db.flush()
        db.add(Round(event_id=event.id, label="Runde 1", starts=ended - timedelta(hours=2), ends=ended))
        person = Participant(event_id=event.id, token=f"token-{slug}", name="Mette")
        db.add(person)
        db.flush()
        pitch = Pitch(event_id=event.id, title="Bænke", author="Mette", participant_id=person.id, status="approved")
        db.add(pitch)
        db.flush()
        db.add(Note(event_id=event.id, pitch_id=pitch.id, kind="idea", text="Flere bænke", author="Mette"))
        return event.id  # type: ignore[return-value]


def identifies(database: Database, event_id: int) -> bool:
    with database.read() as db:
        people = db.exec(select(Participant).where(Participant.event_id == event_id)).all()
        notes = db.exec(select(Note).where(Note.event_id == event_id)).all()
        pitches = db.exec(select(Pitch).where(Pitch.event_id == event_id)).all()
    kept = (len(people), len(notes), len(pitches), [n.text for n in notes], [p.title for p in pitches])
    assert kept == (1, 1, 1, ["Flere bænke"], ["Bænke"]), "what people made is never lost"
    return bool(people[0].token or people[0].name or notes[0].author or pitches[0].author or pitches[0].participant_id)


def purges(database: Database) -> list[AuditEntry]:
    with database.read() as db:
        return list(db.exec(select(AuditEntry).where(AuditEntry.action.in_(("event.purge", "series.purge")))))  # type: ignore[attr-defined]


# --- when an event ends ------------------------------------------------------------------------------------------


def test_an_event_ends_with_its_last_round_or_its_own_end_whichever_is_later() -> None:
    start = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    event = Event(slug="e", title="E", starts=start)
    rounds = [
        Round(label="1", starts=start, ends=start + timedelta(hours=1)),
        Round(label="2", starts=start + timedelta(hours=1), ends=start + timedelta(hours=2)),
    ]
    assert retention.ended(event, rounds) == start + timedelta(hours=2)
    event.ends = start + timedelta(hours=4)
    assert retention.ended(event, rounds) == start + timedelta(hours=4)
    assert retention.due(event, rounds, 30) == start + timedelta(days=30, hours=4)


def test_an_event_without_rounds_ends_at_midnight_of_its_day_on_its_own_clock() -> None:
    # 23:30 UTC on 3 December is already 4 December in Copenhagen: it ends at midnight after the 4th, local time.
    event = Event(slug="e", title="E", starts=datetime(2026, 12, 3, 23, 30, tzinfo=UTC), timezone=ZONE)
    assert retention.ended(event) == datetime(2026, 12, 5, 0, 0, tzinfo=ZoneInfo(ZONE))
    event.timezone = "America/New_York"  # 18:30 on the 3rd there
    assert retention.ended(event) == datetime(2026, 12, 4, 0, 0, tzinfo=ZoneInfo("America/New_York"))


def test_an_event_with_no_time_at_all_is_not_purged_by_itself(database: Database) -> None:
    with database.write() as db:
        event = Event(slug="udateret", title="Uden dato")
        db.add(event)
        db.flush()
        db.add(Participant(event_id=event.id, token="t", name="Mette"))
    assert retention.ended(Event(slug="x", title="x")) is None
    assert housekeeping.sweep_once(database, NOW + timedelta(days=3650), DAYS) == housekeeping.Swept()


# --- the sweep: 31 days after, purged; 29 days after, not ----------------------------------------------------------


def test_an_event_ended_31_days_ago_is_purged_and_one_ended_29_days_ago_is_not(database: Database) -> None:
    old = evening(database, "gammel", NOW - timedelta(days=31))
    recent = evening(database, "nylig", NOW - timedelta(days=29))
    swept = housekeeping.sweep_once(database, NOW, DAYS)
    assert swept.events == {old: {"participants": 1, "notes": 1, "pitches": 1}}
    assert not identifies(database, old)
    assert identifies(database, recent)
    [entry] = purges(database)
    assert (entry.event_id, entry.actor, entry.data) == (old, audit.RETENTION, swept.events[old])
    # Two days on, the other is due too; the first is not purged again.
    assert set(housekeeping.sweep_once(database, NOW + timedelta(days=2), DAYS).events) == {recent}
    assert not identifies(database, recent)
    assert len(purges(database)) == 2


def test_the_sweep_is_idempotent_and_marks_an_event_that_held_nothing_once(database: Database) -> None:
    with database.write() as db:
        event = Event(slug="tom", title="Ingen kom", starts=NOW - timedelta(days=40))
        db.add(event)
    first = housekeeping.sweep_once(database, NOW, DAYS)
    assert list(first.events.values()) == [{"participants": 0, "notes": 0, "pitches": 0}]
    assert housekeeping.sweep_once(database, NOW, DAYS) == housekeeping.Swept()
    assert housekeeping.sweep_once(database, NOW + timedelta(days=5), DAYS) == housekeeping.Swept()
    assert len(purges(database)) == 1


def test_a_longer_retention_keeps_the_data_longer(database: Database) -> None:
    event = evening(database, "gammel", NOW - timedelta(days=31))
    assert housekeeping.sweep_once(database, NOW, 60) == housekeeping.Swept()
    assert identifies(database, event)
    assert set(housekeeping.sweep_once(database, NOW, 1).events) == {event}


# --- two instances at once --------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two `Database`s on one database, as two instances have."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/two.db"
        first = Database(url)
        migrate.upgrade(first.engine)
    else:
        first = request.getfixturevalue("pg_database")
        url = first.url
    second = Database(url)
    yield first, second
    second.dispose()
    if request.param == "sqlite":
        first.dispose()


def test_two_instances_purging_at_once_purge_once(two: tuple[Database, Database]) -> None:
    """The first holds its transaction open after purging; the second's purge, started meanwhile, waits for the
    lock (PostgreSQL: the event's row; SQLite: the database's) and then finds nothing left: one audit entry."""
    first, second = two
    event = evening(first, "gammel", NOW - timedelta(days=31))
    answers: list[object] = []

    def other() -> None:
        with second.write() as db:
            db.info["actor"] = audit.RETENTION
            answers.append(retention.purge_event(db, event, NOW, DAYS))

    racing = threading.Thread(target=other)
    with first.write() as db:
        db.info["actor"] = audit.RETENTION
        assert retention.purge_event(db, event, NOW, DAYS) == {"participants": 1, "notes": 1, "pitches": 1}
        racing.start()
        if not first.is_sqlite:
            waiting_for_the_lock(first)
    racing.join(timeout=60)
    assert answers == [None]
    assert not identifies(first, event)
    assert len(purges(first)) == 1
    # And whole sweeps, side by side, find nothing more.
    results: list[housekeeping.Swept] = []
    sweeps = [threading.Thread(target=lambda d=d: results.append(housekeeping.sweep_once(d, NOW, DAYS))) for d in two]
    for thread in sweeps:
        thread.start()
    for thread in sweeps:
        thread.join(timeout=60)
    assert results == [housekeeping.Swept(), housekeeping.Swept()]


def waiting_for_the_lock(database: Database, timeout: float = 30.0) -> None:
    """Until another connection of this database waits for a lock (the racing purge), within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.engine.connect() as connection:
            waiting = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("the second purge never waited for the first's lock")


# --- series members ---------------------------------------------------------------------------------------------


def dialogue(database: Database, seen: dict[str, datetime]) -> dict[str, int]:
    """A series with a member per name in `seen`, last seen then; each raised a point, and supports the others'."""
    with database.write() as db:
        series = Series(slug="senior", title="Dialogmøde med seniorerne")
        db.add(series)
        db.flush()
        members = {}
        for name, when in seen.items():
            members[name] = Member(series_id=series.id, token=f"token-{name}", created_at=when, last_seen_at=when)
            db.add(members[name])
        db.flush()
        for name, member in members.items():
            db.add(Item(series_id=series.id, member_id=member.id, title=f"Bøv fra {name}"))
        db.flush()
        for item in db.exec(select(Item)).all():
            for member in members.values():
                if item.member_id != member.id:
                    db.add(ItemSupport(item_id=item.id, member_id=member.id))
        return {name: member.id for name, member in members.items()}  # type: ignore[misc]


def test_a_member_last_seen_31_days_ago_is_forgotten_and_one_seen_yesterday_is_not(database: Database) -> None:
    ids = dialogue(database, {"gone": NOW - timedelta(days=31), "here": NOW - timedelta(days=1)})
    swept = housekeeping.sweep_once(database, NOW, DAYS)
    assert list(swept.series.values()) == [{"members": 1, "items": 1}]
    with database.read() as db:
        gone, here = db.get(Member, ids["gone"]), db.get(Member, ids["here"])
        assert gone is not None and gone.token is None
        assert here is not None and here.token == "token-here"
        points = {item.title: item.member_id for item in db.exec(select(Item))}
        support = len(db.exec(select(ItemSupport)).all())
    # The points and the +1s stay: the forgotten member's point, anonymous; their +1, still counted.
    assert points == {"Bøv fra gone": None, "Bøv fra here": ids["here"]}
    assert support == 2
    [entry] = purges(database)
    assert (entry.action, entry.actor, entry.data) == ("series.purge", audit.RETENTION, {"members": 1, "items": 1})
    assert housekeeping.sweep_once(database, NOW, DAYS) == housekeeping.Swept()


def test_two_instances_forgetting_members_at_once_forget_them_once(two: tuple[Database, Database]) -> None:
    ids = dialogue(two[0], {"gone": NOW - timedelta(days=31), "also": NOW - timedelta(days=40)})
    results: list[housekeeping.Swept] = []
    start = threading.Barrier(2)

    def sweep(database: Database) -> None:
        start.wait(timeout=30)
        results.append(housekeeping.sweep_once(database, NOW, DAYS))

    threads = [threading.Thread(target=sweep, args=(d,)) for d in two]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Whichever came second found nobody left under the series' lock: one purge, one audit entry.
    assert sorted(list(r.series.values()) for r in results) == [[], [{"members": 2, "items": 2}]]
    assert len(purges(two[0])) == 1
    with two[0].read() as db:
        assert all(db.get(Member, i).token is None for i in ids.values())  # type: ignore[union-attr]
        assert all(item.member_id is None for item in db.exec(select(Item)))
        assert len(db.exec(select(ItemSupport)).all()) == 2


# --- LIVEBOARD_RETENTION_DAYS, through the real command line -------------------------------------------------------


def liveboard(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    environment.pop("LIVEBOARD_RETENTION_DAYS", None)
    done = subprocess.run(
        [sys.executable, "-m", "liveboard", *args],
        cwd=tmp_path,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.mark.parametrize("value", ["abc", "0", "-3", "30d", "1.5", "3651", "99999999999999999999"])
def test_a_bad_retention_is_refused_at_start_with_a_clear_message(tmp_path: Path, value: str) -> None:
    done = liveboard(tmp_path, "serve", "--port", str(free_port()), LIVEBOARD_RETENTION_DAYS=value)
    assert done.returncode == 2
    assert done.stderr.startswith("error: LIVEBOARD_RETENTION_DAYS must be a whole number of days from 1 to 3650")
    assert done.stderr.rstrip().endswith(f"not {value!r}") or done.stderr.rstrip().endswith(f"not {value}")
    assert not (tmp_path / "cli.db").exists(), "nothing is touched"


def test_an_empty_retention_is_the_default(tmp_path: Path) -> None:
    for value, days in (("", 30), (" ", 30), ("7", 7)):
        done = liveboard(tmp_path, "purge", "--expired", LIVEBOARD_RETENTION_DAYS=value)
        assert f"LIVEBOARD_RETENTION_DAYS={days} " in done.stderr


def test_purge_expired_says_what_would_go_and_does_it_with_yes(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(database.engine)
    now = datetime.now(UTC)
    old = evening(database, "gammel", now - timedelta(days=40))
    recent = evening(database, "nylig", now - timedelta(days=10))
    dialogue(database, {"gone": now - timedelta(days=40), "here": now - timedelta(days=1)})
    try:
        done = liveboard(tmp_path, "purge", "--expired")
        assert done.returncode == 2
        assert "--yes" in done.stderr and "gammel: the cookie tokens and names of 1 participants" in done.stderr
        assert "nylig" not in done.stderr
        assert "the series senior: the cookie tokens of 1 members not seen for 30 days" in done.stderr
        assert identifies(database, old)
        done = liveboard(tmp_path, "purge", "--expired", "--yes", LIVEBOARD_RETENTION_DAYS="7")
        assert done.returncode == 0, done.stderr
        assert "Purged gammel: 1 participants" in done.stdout and "Purged nylig: 1 participants" in done.stdout
        assert "Forgot 1 members of the series senior not seen for 7 days; their 1 points are kept" in done.stdout
        assert not identifies(database, old) and not identifies(database, recent)
        assert {e.actor for e in purges(database)} == {audit.RETENTION}
        assert liveboard(tmp_path, "purge", "--expired", "--yes").stdout.startswith("Nothing to purge")
        for args in (("purge", "gammel", "--expired", "--yes"), ("purge", "--yes")):
            done = liveboard(tmp_path, *args)
            assert done.returncode == 2 and done.stderr.startswith("error: give an event's SLUG")
    finally:
        database.dispose()


# --- the host console, before and after --------------------------------------------------------------------------


def moved_back(server: LiveServer, days: int) -> datetime:
    """The demo event, moved `days` into the past (test data, not the clock); when it now ends."""
    with server.database.write() as db:
        event = db.exec(select(Event).where(Event.slug == "demo")).one()
        shift = timedelta(days=days)
        rounds = list(db.exec(select(Round).where(Round.event_id == event.id)))
        for row in (event, *rounds):
            row.starts = row.starts - shift if row.starts else None  # type: ignore[assignment]
            row.ends = row.ends - shift if row.ends else None  # type: ignore[assignment]
        end = retention.ended(event, rounds)
    assert end is not None
    return end


def said(page: str) -> str:
    found = re.search(r'<p id="privacy" class="hint">(.*?)</p>', page, re.S)
    assert found, "the console says what happens to personal data"
    return " ".join(found.group(1).split())


def on_the_server(server: LiveServer, now: datetime) -> housekeeping.Swept:
    """A sweep on the running server's own loop, through its own writer: what its hourly task does."""
    app = server.app
    future = asyncio.run_coroutine_threadsafe(
        housekeeping.sweep(app.state.db, now, app.state.settings.retention_days), app.state.hub.loop
    )
    return future.result(timeout=60)


def test_the_host_console_says_when_personal_data_go_and_when_they_went(server: LiveServer) -> None:
    end = moved_back(server, 40)
    host_en, host_da = server.client(host=True), server.client(host=True, lang="da")
    due = (end + timedelta(days=DAYS)).astimezone(ZoneInfo(ZONE)).date()
    assert said(host_en.get("/e/demo/host").text) == (
        f"Personal data are deleted automatically on {format_date(due, 'long', locale='en_GB')}, 30 days after the "
        "event. Pitches, notes and counts are kept."
    )
    assert said(host_da.get("/e/demo/host").text).startswith(
        f"Personoplysninger slettes automatisk {format_date(due, 'long', locale='da_DK')}"
    )
    swept = on_the_server(server, datetime.now(UTC))
    assert list(swept.events) == [server.event().id]
    today = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()
    assert said(host_en.get("/e/demo/host").text) == (
        f"Personal data were deleted on {format_date(today, 'long', locale='en_GB')}. Pitches, notes and counts are "
        "kept."
    )
    assert said(host_da.get("/e/demo/host").text).startswith(
        f"Personoplysninger blev slettet {format_date(today, 'long', locale='da_DK')}."
    )
    assert [e.actor for e in server.audit() if e.action == "event.purge"] == [audit.RETENTION]
    assert all(p.token is None for p in server.rows(Participant))


def test_a_connected_host_console_is_told_when_the_server_purges(server: LiveServer) -> None:
    from tests.live.test_consoles import watching

    moved_back(server, 40)
    host = server.client(host=True, lang="da")
    with ExitStack() as stack:
        watch = watching(stack, server, host, "/e/demo")  # the console's socket, in Danish
        assert "Personoplysninger slettes automatisk" in watch.frames[-1]
        on_the_server(server, datetime.now(UTC))
        frame = watch.until("Personoplysninger blev slettet")
    assert '<section id="event"' in frame and "Personoplysninger slettes automatisk" not in frame


def test_a_series_visit_is_recorded_at_most_once_a_day(server: LiveServer) -> None:
    with server.database.write() as db:
        series = Series(slug="senior", title="Dialogmøde med seniorerne")
        db.add(series)
        db.flush()
        mine = Member.series_id == series.id

    def member() -> Member:
        [found] = server.rows(Member, mine)
        return found

    phone = server.client()
    assert phone.get("/s/senior").status_code == 200  # a visitor who never acted is no member: nothing to keep
    assert server.count(Member, mine) == 0
    start = datetime.now(UTC)
    assert phone.post("/s/senior/items", data={"title": "Lang kø", "channel": "physical"}).status_code == 303
    seen = member().last_seen_at
    assert seen is not None and seen >= start - timedelta(seconds=1)
    before = server.dump()
    assert phone.get("/s/senior").status_code == 200  # seen today already: no write
    assert server.dump() == before
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    with server.database.write() as db:
        db.exec(update(Member).where(mine).values(last_seen_at=two_days_ago))  # type: ignore[call-overload]
    assert phone.get("/s/senior").status_code == 200
    seen = member().last_seen_at
    assert seen is not None and seen > two_days_ago + timedelta(days=1)
    # Forgotten once it has not been seen for the retention's days: its point stays, anonymous.
    later = datetime.now(UTC) + timedelta(days=DAYS, hours=1)
    swept = asyncio.run_coroutine_threadsafe(
        housekeeping.sweep(server.app.state.db, later, DAYS), server.app.state.hub.loop
    ).result(timeout=60)
    assert swept.series.get(series.id) == {"members": 1, "items": 1}  # type: ignore[arg-type]
    assert member().token is None
    assert [i.title for i in server.rows(Item, Item.series_id == series.id, Item.member_id.is_(None))] == ["Lang kø"]  # type: ignore[union-attr]
    assert [i["title"] for i in phone.get("/api/series/senior").json()["items"]] == ["Lang kø"]


# --- a running server purges by itself, at start ------------------------------------------------------------------


def test_a_server_started_on_an_event_that_ended_40_days_ago_purges_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database.engine)
    load_demo(database, now=datetime.now(UTC) - timedelta(days=40))
    with database.read() as db:
        assert db.exec(select(Participant).where(Participant.token.is_not(None))).first() is not None  # type: ignore[union-attr]
    server = RunPy(path, free_port(), password="a test password")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not purges(database):
            time.sleep(0.05)
        with database.read() as db:
            assert db.exec(select(Participant).where(Participant.token.is_not(None))).first() is None  # type: ignore[union-attr]
            assert db.exec(select(Participant).where(Participant.name.is_not(None))).first() is None  # type: ignore[union-attr]
        entries = [e for e in purges(database) if e.action == "event.purge"]
        assert [e.actor for e in entries] == [audit.RETENTION]
        assert httpx.get(f"{server.url}/e/demo/report.json").json()["notes"], "the harvest is still there"
    finally:
        server.stop()
        database.dispose()
