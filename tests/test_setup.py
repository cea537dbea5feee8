"""Making events (`liveboard/domain/setup.py`): the organisers' form, the copy, the one `make` every path uses, the
console's checklist, and how the hosts' home groups events (`liveboard/domain/overview.py`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from servers import PostgresServer, database_name
from sqlmodel import select

from liveboard import migrate
from liveboard.db import Database
from liveboard.domain import audit, events, overview, setup
from liveboard.domain.errors import Conflict, Invalid, NotFound
from liveboard.eventfile import import_event
from liveboard.models import AuditEntry, Event, Pitch, Room, Round

CPH = ZoneInfo("Europe/Copenhagen")
FORM = {
    "slug": "borgermoede-2026",
    "title": "Borgermøde om velfærd",
    "starts": "2026-11-05T18:00",
    "timezone": "Europe/Copenhagen",
    "language": "da",
    "place": "Rådhushallen",
}


def create(database: Database, **changes: str) -> Event:
    with database.write() as db:
        db.info["actor"] = "mette"
        return setup.create(db, {**FORM, **changes})


def copy(database: Database, source: str, **fields: str) -> Event:
    with database.write() as db:
        db.info["actor"] = "mette"
        return setup.copy(db, source, fields)


def rows(database: Database, model: type, *where: object) -> list:
    with database.read() as db:
        return list(db.exec(select(model).where(*where).order_by(model.id)))  # type: ignore[attr-defined]


def utc(moment: datetime) -> datetime:
    """SQLite hands stored times back without their zone; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def source_event(
    database: Database, *, starts: datetime | None, rounds: list[tuple[str, datetime, datetime]], **fields: object
) -> Event:
    """An event to copy, with rooms, rounds, a pitch, made the one way events are made."""
    data = setup.EventData(
        slug="kilde",
        title="Kilden",
        starts=starts,
        timezone=str(fields.pop("timezone", "Europe/Copenhagen")),
        language="en",
        venue="Kongrescenter",
        ends=fields.pop("ends", None),  # type: ignore[arg-type]
        phase="ended",
        pitching_open=True,
        rooms=[setup.RoomData("Store sal", 300, "Stueplan", 2), setup.RoomData("Lokale 1", 40, "1. sal", 1)],
        rounds=[setup.RoundData(label, s, e) for label, s, e in rounds],
    )
    with database.write() as db:
        event = setup.make(db, data)
        db.add(Pitch(event_id=event.id, title="Et emne", status="approved"))  # type: ignore[arg-type]
    return event


# --- a new event from the form ------------------------------------------------------------------------------------


def test_a_new_event_is_prepared_not_open(database: Database) -> None:
    event = create(database)
    assert (event.slug, event.title, event.language, event.venue) == (
        "borgermoede-2026",
        "Borgermøde om velfærd",
        "da",
        "Rådhushallen",
    )
    assert event.phase == "setup" and event.pitching_open is False
    assert rows(database, Room) == [] and rows(database, Round) == []
    entry = rows(database, AuditEntry)[-1]
    assert (entry.action, entry.detail, entry.actor, entry.event_id) == (
        "event.create",
        "Borgermøde om velfærd",
        "mette",
        event.id,
    )


@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [("Europe/Copenhagen", 17), ("America/Nuuk", 20), ("Atlantic/Faroe", 18), ("UTC", 18)],
)
def test_a_start_without_offset_is_read_on_the_event_s_clock(database: Database, zone: str, utc_hour: int) -> None:
    event = create(database, timezone=zone)
    assert event.timezone == zone
    assert utc(rows(database, Event)[0].starts) == datetime(2026, 11, 5, utc_hour, 0, tzinfo=UTC)


def test_a_start_with_an_offset_keeps_it(database: Database) -> None:
    create(database, starts="2026-11-05T18:00:00+05:00")
    assert utc(rows(database, Event)[0].starts) == datetime(2026, 11, 5, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["", "   "])
def test_an_empty_time_zone_is_copenhagen(database: Database, zone: str) -> None:
    assert create(database, timezone=zone).timezone == "Europe/Copenhagen"
    with database.write() as db:
        fields = {k: v for k, v in FORM.items() if k not in ("timezone", "language", "place")} | {"slug": "uden"}
        made = setup.create(db, fields)
    assert (made.timezone, made.language, made.venue) == ("Europe/Copenhagen", "da", "")


BAD = [
    ("slug", ""),
    ("slug", "a"),
    ("slug", "x" * 41),
    ("slug", "Velfaerd"),
    ("slug", "vel_faerd"),
    ("slug", "velfærd"),
    ("slug", "vel færd"),
    ("slug", "vel/faerd"),
    ("title", ""),
    ("title", "   "),
    ("title", "x" * 121),
    ("starts", ""),
    ("starts", "next thursday"),
    ("starts", "2026-13-01T18:00"),
    ("starts", "0001-01-01T00:00"),
    ("starts", "9999-12-31T23:59"),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", "europe/copenhagen"),
    ("timezone", "../../etc/passwd"),
    ("timezone", "CET+1"),
    ("language", "fr"),
    ("language", "DA"),
    ("place", "x" * 121),
]


@pytest.mark.parametrize(("field", "value"), BAD, ids=[f"{f}={v[:12]!r}" for f, v in BAD])
def test_bad_input_names_its_field_and_makes_nothing(database: Database, field: str, value: str) -> None:
    with pytest.raises(Invalid) as refused:
        create(database, **{field: value})
    assert refused.value.field == field
    assert rows(database, Event) == [] and rows(database, AuditEntry) == []


@pytest.mark.parametrize("slug", ["ab", "x" * 40, "2026", "a-b-c", "-" + "x", "velfaerd-2026"])
def test_slugs_the_contract_allows(database: Database, slug: str) -> None:
    assert create(database, slug=slug).slug == slug


def test_a_slug_that_is_taken_is_a_conflict_and_changes_nothing(database: Database) -> None:
    first = create(database)
    with pytest.raises(Conflict) as refused:
        create(database, title="Et andet møde")
    assert refused.value.field == "slug"
    assert [e.id for e in rows(database, Event)] == [first.id]
    assert [e.action for e in rows(database, AuditEntry)] == ["event.create"]


def test_the_browser_is_stricter_than_old_addresses(database: Database) -> None:
    """`validate.slug` (files, series) still takes `_` and 60 characters; a new event from the form does not."""
    import_event(database, {"slug": "gammel_adresse", "title": "Fra en fil"})
    with pytest.raises(Invalid):
        create(database, slug="gammel_adresse")


# --- the one way events are made ----------------------------------------------------------------------------------


@pytest.fixture
def pg(postgres: PostgresServer) -> Iterator[Database]:
    name = postgres.create_database(database_name())
    database = Database(postgres.url(name))
    try:
        migrate.upgrade(database.engine)
        yield database
    finally:
        database.dispose()
        postgres.drop_database(name)


def test_two_organisers_taking_one_slug_at_once_one_is_told(pg: Database) -> None:
    """On PostgreSQL both see the slug free; the unique index lets one insert through, and the other's savepoint
    turns its IntegrityError into a 409, leaving its transaction clean."""
    inserted = threading.Event()
    outcome: dict[str, object] = {}

    def waiting_on_a_lock() -> bool:
        """Whether another transaction of this database waits for a lock: the second insert, on the index."""
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with pg.engine.connect() as connection:  # a transaction of its own: the view is a snapshot per one
                if connection.exec_driver_sql(query).scalar():
                    return True
            time.sleep(0.02)
        return False

    def first() -> None:
        with pg.write() as db:
            setup.create(db, FORM)
            inserted.set()
            outcome["second waited"] = waiting_on_a_lock()  # it passed the check, and its insert waits on ours
        outcome["first"] = "made"

    def second() -> None:
        inserted.wait(5)
        try:
            with pg.write() as db:
                setup.create(db, {**FORM, "title": "Samtidig"})
            outcome["second"] = "made"
        except Exception as error:
            outcome["second"] = error

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome["first"] == "made" and outcome["second waited"] is True
    assert isinstance(outcome["second"], Conflict), outcome["second"]
    assert outcome["second"].field == "slug"  # type: ignore[union-attr]
    assert [e.title for e in rows(pg, Event)] == ["Borgermøde om velfærd"]


def test_an_imported_event_is_made_as_imports_always_were(database: Database) -> None:
    """The file's creation path goes through `setup.make` and keeps its behaviour: open for pitches at once, rooms
    in the file's order, every count in the result."""
    result = import_event(
        database,
        {
            "slug": "fra-fil",
            "title": "Fra en fil",
            "rooms": [{"name": "B", "capacity": 5}, {"name": "A", "capacity": 9, "location": "Kælder"}],
            "rounds": [{"label": "R1", "starts": "2026-11-05T18:00:00+01:00", "ends": "2026-11-05T19:00:00+01:00"}],
        },
    )
    assert (result.created, result.added_rooms, result.added_rounds) == (True, 2, 1)
    event = rows(database, Event)[0]
    assert (event.phase, event.pitching_open, event.timezone, event.language) == (
        "pitching",
        True,
        "Europe/Copenhagen",
        "da",
    )
    assert [(r.name, r.position, r.location) for r in rows(database, Room)] == [("B", 1, ""), ("A", 2, "Kælder")]
    assert [e.action for e in rows(database, AuditEntry)] == ["event.import"]


# --- copies -------------------------------------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_copy_takes_rooms_and_rounds_and_nothing_of_the_people(database: Database) -> None:
    source = source_event(
        database,
        starts=at("2026-06-24T18:00+02:00"),
        ends=at("2026-06-24T21:00+02:00"),
        rounds=[
            ("Runde 1", at("2026-06-24T18:30+02:00"), at("2026-06-24T19:15+02:00")),
            ("Runde 2", at("2026-06-24T19:30+02:00"), at("2026-06-24T20:15+02:00")),
        ],
    )
    version = source.version
    made = copy(database, "kilde", slug="kilde-2027", title="Kilden igen", starts="2027-06-23T18:00")
    assert (made.title, made.timezone, made.language, made.venue) == (
        "Kilden igen",
        "Europe/Copenhagen",
        "en",
        "Kongrescenter",
    )
    assert (made.phase, made.pitching_open, made.posters_printed_at) == ("setup", False, None)
    assert utc(made.starts) == at("2027-06-23T18:00+02:00")
    assert utc(made.ends) == at("2027-06-23T21:00+02:00")
    copied = rows(database, Room, Room.event_id == made.id)
    assert sorted((r.name, r.capacity, r.location, r.position) for r in copied) == [
        ("Lokale 1", 40, "1. sal", 1),
        ("Store sal", 300, "Stueplan", 2),
    ]
    with database.read() as db:
        again = db.get(Event, made.id)
        assert [r.name for r in events.rooms(db, again)] == ["Lokale 1", "Store sal"]
        assert [(r.label, utc(r.starts), utc(r.ends)) for r in events.rounds(db, again)] == [
            ("Runde 1", at("2027-06-23T18:30+02:00"), at("2027-06-23T19:15+02:00")),
            ("Runde 2", at("2027-06-23T19:30+02:00"), at("2027-06-23T20:15+02:00")),
        ]
    assert rows(database, Pitch, Pitch.event_id == made.id) == []
    assert rows(database, Event, Event.id == source.id)[0].version == version  # the source is not bumped
    entry = rows(database, AuditEntry)[-1]
    assert (entry.action, entry.event_id, entry.data, entry.detail, entry.actor) == (
        "event.copy",
        made.id,
        {"source": "kilde"},
        "Kilden igen",
        "mette",
    )
    assert audit.describe(entry.action, entry.data) == ("from %(source)s", {"source": "kilde"})


def test_a_copy_from_winter_to_summer_keeps_every_round_s_distance_from_the_start(database: Database) -> None:
    """March (CET, +01:00) to June (CEST, +02:00): the new start is read on the event's clock, and every round
    lies exactly as far from it as before. Within one evening on one side of the change, that is the same clock
    times too."""
    start = at("2026-03-19T18:00+01:00")
    rounds = [("Runde 1", at("2026-03-19T18:30+01:00"), at("2026-03-19T19:15+01:00"))]
    source_event(database, starts=start, rounds=rounds)
    made = copy(database, "kilde", slug="sommer", title="Sommer", starts="2026-06-18T18:00")
    new_start = utc(made.starts)
    assert new_start == at("2026-06-18T18:00+02:00")
    with database.read() as db:
        (moved,) = events.rounds(db, db.get(Event, made.id))
    assert utc(moved.starts) - new_start == rounds[0][1] - start == timedelta(minutes=30)
    assert utc(moved.ends) - new_start == rounds[0][2] - start
    assert utc(moved.starts).astimezone(CPH).strftime("%H:%M") == "18:30"


def test_an_evening_across_the_clock_change_keeps_its_lengths_not_its_clock_times(database: Database) -> None:
    """The night the clocks go forward (29 March 2026, 02:00 → 03:00): a round at 03:30 was 4½ hours after a 22:00
    start. Copied to an ordinary November night it is still 4½ hours after the start, which there reads 02:30."""
    start = at("2026-03-28T22:00+01:00")
    rounds = [("Natrunde", at("2026-03-29T03:30+02:00"), at("2026-03-29T04:00+02:00"))]
    source_event(database, starts=start, rounds=rounds)
    made = copy(database, "kilde", slug="november", title="November", starts="2026-11-07T22:00")
    with database.read() as db:
        (moved,) = events.rounds(db, db.get(Event, made.id))
    assert utc(moved.starts) - utc(made.starts) == timedelta(hours=4, minutes=30)
    assert utc(moved.starts).astimezone(CPH).strftime("%H:%M") == "02:30"


def test_a_copy_reads_the_new_start_on_the_source_s_clock(database: Database) -> None:
    source_event(database, starts=at("2026-06-24T18:00-02:00"), rounds=[], timezone="America/Nuuk")
    made = copy(database, "kilde", slug="nuuk", title="Nuuk", starts="2027-01-10T18:00")
    assert made.timezone == "America/Nuuk"
    assert utc(made.starts) == at("2027-01-10T18:00-02:00")


def test_a_source_without_a_start_is_measured_from_its_first_round(database: Database) -> None:
    rounds = [
        ("B", at("2026-06-24T19:30+02:00"), at("2026-06-24T20:00+02:00")),
        ("A", at("2026-06-24T18:30+02:00"), at("2026-06-24T19:00+02:00")),
    ]
    source_event(database, starts=None, rounds=rounds)
    made = copy(database, "kilde", slug="uden-start", title="Uden start", starts="2026-09-01T17:00")
    with database.read() as db:
        moved = events.rounds(db, db.get(Event, made.id))
    assert [(r.label, utc(r.starts)) for r in moved] == [
        ("A", at("2026-09-01T17:00+02:00")),
        ("B", at("2026-09-01T18:00+02:00")),
    ]


def test_a_source_with_neither_start_nor_rounds_copies_its_rooms(database: Database) -> None:
    source_event(database, starts=None, rounds=[], ends=at("2026-06-24T21:00+02:00"))
    made = copy(database, "kilde", slug="tom", title="Tom", starts="2026-09-01T17:00")
    assert made.ends is None  # nothing to measure the old end from
    assert len(rows(database, Room, Room.event_id == made.id)) == 2
    assert rows(database, Round, Round.event_id == made.id) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "kilde", "title": "X", "starts": "2027-01-01T18:00"}, "slug"),
        ({"slug": "ny", "title": "", "starts": "2027-01-01T18:00"}, "title"),
        ({"slug": "ny", "title": "X", "starts": "i morgen"}, "starts"),
        ({"slug": "N", "title": "X", "starts": "2027-01-01T18:00"}, "slug"),
    ],
    ids=["taken", "no-title", "bad-start", "bad-slug"],
)
def test_a_refused_copy_makes_nothing(database: Database, fields: dict[str, str], field: str) -> None:
    source_event(database, starts=at("2026-06-24T18:00+02:00"), rounds=[])
    before = len(rows(database, AuditEntry))
    with pytest.raises(Conflict if field == "slug" and fields["slug"] == "kilde" else Invalid) as refused:
        copy(database, "kilde", **fields)
    assert refused.value.field == field
    assert len(rows(database, Event)) == 1 and len(rows(database, AuditEntry)) == before


def test_a_copy_of_an_unknown_event_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound):
        copy(database, "findes-ikke", slug="ny", title="Ny", starts="2027-01-01T18:00")


# --- the checklist ------------------------------------------------------------------------------------------------


def test_the_checklist_names_what_is_missing_in_order(database: Database) -> None:
    event = create(database)
    with database.read() as db:
        event = db.get(Event, event.id)
        assert setup.checklist(event, [], []) == setup.Checklist(True, ("rooms", "rounds", "pitching", "posters"))
        room, round_ = Room(name="A", capacity=1), Round(label="R", starts=datetime.now(UTC), ends=datetime.now(UTC))
        event.pitching_open, event.posters_printed_at = True, datetime.now(UTC)
        assert setup.checklist(event, [room], [round_]) == setup.Checklist(True, ())
        event.phase = "running"
        assert setup.checklist(event, [], []).shown is False


# --- the hosts' home's groups -------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 5, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phase", "starts", "ends", "group"),
    [
        ("setup", None, None, "upcoming"),
        ("pitching", NOW + timedelta(days=3), None, "upcoming"),
        ("pitching", NOW - timedelta(hours=1), NOW + timedelta(hours=2), "running"),
        ("pitching", NOW - timedelta(hours=1), None, "running"),  # no end known: an evening long
        ("pitching", NOW - timedelta(hours=6), None, "past"),
        ("running", NOW + timedelta(minutes=30), None, "running"),  # the hosts started early
        ("running", NOW - timedelta(hours=4), NOW - timedelta(hours=1), "running"),  # overrunning
        ("running", NOW - timedelta(days=3), NOW - timedelta(days=3), "past"),  # forgotten in "running"
        ("ended", NOW - timedelta(hours=1), NOW + timedelta(hours=2), "past"),
        ("ended", None, None, "past"),
        ("setup", NOW - timedelta(days=400), NOW - timedelta(days=400), "past"),
    ],
)
def test_events_are_grouped_by_their_times_and_phase(
    phase: str, starts: datetime | None, ends: datetime | None, group: str
) -> None:
    event = Event(slug="x", title="X", phase=phase)
    assert overview.when(overview.line(event, starts, ends), NOW) == group
