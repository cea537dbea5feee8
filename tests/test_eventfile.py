"""Event files: the example imports, a re-import updates in place, a bad file is refused whole with its place named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from liveboard import migrate
from liveboard.db import Database
from liveboard.domain import events, notes, participants, pitches, schedule
from liveboard.eventfile import EventFileError, export_event, import_event, load_toml
from liveboard.models import Event, Pitch, Room, Round

#: A verbatim copy of the contract's `examples/event.toml`, so the tests do not depend on a folder outside the repo
#: (the one long line is split with a backslash, which Python removes).
EXAMPLE = """\
# An event file for `liveboard import`. Times are local with an offset.
slug = "velfaerd-2013"
title = "Fremtidens velfærd – en ikke-konference"
language = "da"
venue = "Kongrescenter, Odense"
starts = "2013-06-24T18:00:00+02:00"
ends = "2013-06-24T21:00:00+02:00"

[[rooms]]
name = "Store sal"
capacity = 300
location = "Stueplan"

[[rooms]]
name = "Lokale 1"
capacity = 40
location = "1. sal"

[[rooms]]
name = "Lokale 2"
capacity = 40
location = "1. sal"

[[rooms]]
name = "Lokale 3"
capacity = 25
location = "1. sal"

[[rooms]]
name = "Foyeren"
capacity = 60
location = "Stueplan, ved indgangen"

[[rooms]]
name = "Caféen"
capacity = 30
location = "Stueplan"

[[rounds]]
label = "Runde 1"
starts = "2013-06-24T18:30:00+02:00"
ends = "2013-06-24T19:10:00+02:00"

[[rounds]]
label = "Runde 2"
starts = "2013-06-24T19:20:00+02:00"
ends = "2013-06-24T20:00:00+02:00"

[[rounds]]
label = "Runde 3"
starts = "2013-06-24T20:10:00+02:00"
ends = "2013-06-24T20:50:00+02:00"

[[pitches]]
title = "En gennemgående sagsbehandler ved stress"
story = "Det stresser mest ikke at vide, hvad der skal ske. Én sagsbehandler, \
der kan handle hurtigt på tværs af systemerne."
author = "Borger"
status = "approved"

[[pitches]]
title = "Velfærdsteknologi i eget hjem"
story = "Hvad kan den nyeste teknologi, og hvem bestemmer, om jeg skal have den?"
status = "approved"

[[pitches]]
title = "Ny pædagogik i dagtilbud"
story = "Forældre og børn har afprøvet nye former. Hvad virkede?"
status = "pending"
"""

SLUG = "velfaerd-2013"


def write(tmp_path: Path, text: str, name: str = "event.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def example(tmp_path: Path) -> dict[str, Any]:
    return load_toml(write(tmp_path, EXAMPLE))


def counts(database: Database) -> dict[str, int]:
    with database.read() as db:
        return {
            model.__name__: db.exec(select(func.count()).select_from(model)).one()
            for model in (Event, Room, Round, Pitch)
        } | {"version": sum(e.version for e in db.exec(select(Event)))}


def export(database: Database, slug: str = SLUG) -> dict[str, Any]:
    with database.read() as db:
        return export_event(db, events.by_slug(db, slug))


def refused(database: Database, tmp_path: Path, text: str) -> str:
    with pytest.raises(EventFileError) as caught:
        import_event(database, load_toml(write(tmp_path, text, "bad.toml")))
    return str(caught.value)


# --- the example -----------------------------------------------------------------------------------------------


def test_the_example_imports(database: Database, tmp_path: Path) -> None:
    result = import_event(database, example(tmp_path))
    assert result.created
    assert (result.rooms, result.rounds, result.pitches) == (6, 3, 3)
    assert result.summary() == "Imported velfaerd-2013: 6 rooms, 3 rounds, 3 pitches (created)"
    with database.read() as db:
        event = events.by_slug(db, SLUG)
        assert event.title == "Fremtidens velfærd – en ikke-konference"
        assert event.timezone == "Europe/Copenhagen"
        assert event.starts is not None and event.starts.isoformat() == "2013-06-24T16:00:00+00:00"
        rooms = events.rooms(db, event)
        assert (rooms[0].name, rooms[0].capacity, rooms[0].location) == ("Store sal", 300, "Stueplan")
        assert [r.name for r in rooms] == ["Store sal", "Lokale 1", "Lokale 2", "Lokale 3", "Foyeren", "Caféen"]
        assert [r.label for r in events.rounds(db, event)] == ["Runde 1", "Runde 2", "Runde 3"]
        assert len(pitches.all_pitches(db, event)) == 3
        assert [p.title for p in pitches.approved(db, event)] == [
            "En gennemgående sagsbehandler ved stress",
            "Velfærdsteknologi i eget hjem",
        ]


def test_toml_datetimes_are_accepted_as_well_as_strings(database: Database, tmp_path: Path) -> None:
    text = EXAMPLE.replace('starts = "2013-06-24T18:30:00+02:00"', "starts = 2013-06-24T18:30:00+02:00")
    import_event(database, load_toml(write(tmp_path, text)))
    with database.read() as db:
        first = events.rounds(db, events.by_slug(db, SLUG))[0]
        assert first.starts.isoformat() == "2013-06-24T16:30:00+00:00"


def test_importing_twice_updates_instead_of_duplicating(database: Database, tmp_path: Path) -> None:
    import_event(database, example(tmp_path))
    before = counts(database)
    edited = EXAMPLE.replace("capacity = 25", "capacity = 28").replace(
        'status = "pending"', 'status = "approved"\n\n[[rooms]]\nname = "Lokale 4"\ncapacity = 20'
    )
    result = import_event(database, load_toml(write(tmp_path, edited)))
    assert not result.created
    assert result.summary().endswith("(updated)")
    assert (result.added_rooms, result.added_rounds, result.added_pitches) == (1, 0, 0)
    after = counts(database)
    assert after["Event"] == 1 and after["Round"] == 3 and after["Pitch"] == 3
    assert after["Room"] == before["Room"] + 1
    assert after["version"] > before["version"]
    with database.read() as db:
        event = events.by_slug(db, SLUG)
        by_name = {r.name: r for r in events.rooms(db, event)}
        assert by_name["Lokale 3"].capacity == 28
        assert by_name["Lokale 4"].position > by_name["Caféen"].position
        assert len(pitches.approved(db, event)) == 3


def test_a_reimport_keeps_what_the_file_leaves_out(database: Database, tmp_path: Path) -> None:
    import_event(database, example(tmp_path))
    with database.write() as db:
        event = events.by_slug(db, SLUG)
        pitches.type_in(db, event, {"title": "Fra et papirkort"})
    minimal = 'slug = "velfaerd-2013"\ntitle = "Nyt navn"\n'
    import_event(database, load_toml(write(tmp_path, minimal)))
    with database.read() as db:
        event = events.by_slug(db, SLUG)
        assert event.title == "Nyt navn"
        assert event.venue == "Kongrescenter, Odense"
        assert len(events.rooms(db, event)) == 6
        assert len(pitches.all_pitches(db, event)) == 4


# --- refused files ---------------------------------------------------------------------------------------------


def test_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'slug = "x"\ntitle = "y"\n[[rooms]\nname = "A"\n')
    with pytest.raises(EventFileError) as caught:
        load_toml(path)
    assert "line 3" in str(caught.value)
    assert "column" in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_an_event_file_error(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="no such file"):
        load_toml(tmp_path / "missing.toml")


def test_a_wrong_type_names_the_field_path(database: Database, tmp_path: Path) -> None:
    text = EXAMPLE.replace("capacity = 40", 'capacity = "fyrre"', 1)
    assert refused(database, tmp_path, text) == "rooms[2].capacity: must be a whole number"


def test_a_capacity_below_one_is_refused_like_the_web_form(database: Database, tmp_path: Path) -> None:
    text = EXAMPLE.replace("capacity = 300", "capacity = 0")
    assert refused(database, tmp_path, text) == "rooms[1].capacity: must be at least 1"


def test_text_where_a_table_belongs_names_the_key(database: Database, tmp_path: Path) -> None:
    assert "rooms: must be a list of tables" in refused(database, tmp_path, 'slug = "a"\ntitle = "b"\nrooms = "x"\n')


def test_an_unknown_top_level_key_is_refused(database: Database, tmp_path: Path) -> None:
    message = refused(database, tmp_path, EXAMPLE.replace('venue = "', 'venu = "'))
    assert message.startswith("venu: unknown key")


def test_an_unknown_key_in_a_table_is_refused(database: Database, tmp_path: Path) -> None:
    message = refused(database, tmp_path, EXAMPLE.replace("capacity = 60", "capcity = 60"))
    assert message.startswith("rooms[5].capcity: unknown key")


def test_a_round_ending_before_it_starts_is_refused_by_name(database: Database, tmp_path: Path) -> None:
    text = EXAMPLE.replace('ends = "2013-06-24T20:00:00+02:00"', 'ends = "2013-06-24T19:00:00+02:00"')
    assert refused(database, tmp_path, text) == "rounds[2].ends: Runde 2 must end after it starts"


def test_a_time_without_offset_is_refused(database: Database, tmp_path: Path) -> None:
    text = EXAMPLE.replace('starts = "2013-06-24T18:30:00+02:00"', "starts = 2013-06-24T18:30:00")
    assert refused(database, tmp_path, text).startswith("rounds[1].starts: needs a UTC offset")


def test_duplicates_within_the_file_are_refused(database: Database, tmp_path: Path) -> None:
    rooms = EXAMPLE.replace('name = "Lokale 2"', 'name = "Lokale 1"')
    assert refused(database, tmp_path, rooms) == "rooms[3].name: Lokale 1 is already the name of rooms[2]"
    rounds = EXAMPLE.replace('label = "Runde 3"', 'label = "Runde 1"')
    assert refused(database, tmp_path, rounds) == "rounds[3].label: Runde 1 is already the label of rounds[1]"


def test_a_bad_pitch_status_is_refused(database: Database, tmp_path: Path) -> None:
    text = EXAMPLE.replace('status = "pending"', 'status = "merged"')
    assert refused(database, tmp_path, text) == "pitches[3].status: must be one of: pending, approved, rejected"


def test_a_refused_import_changes_nothing(database: Database, tmp_path: Path) -> None:
    import_event(database, example(tmp_path))
    before = counts(database)
    # New rooms and a new pitch first, the mistake at the very end: all of it must be rolled back.
    bad = EXAMPLE.replace('title = "Fremtidens', 'title = "Ændret – Fremtidens') + (
        '\n[[rooms]]\nname = "Ny sal"\ncapacity = 10\n\n[[pitches]]\ntitle = "Ny"\nstatus = "approved"\n'
        '\n[[rounds]]\nlabel = "Forkert"\nstarts = 2013-06-24T21:00:00+02:00\nends = 2013-06-24T20:00:00+02:00\n'
    )
    refused(database, tmp_path, bad)
    assert counts(database) == before
    with database.read() as db:
        assert events.by_slug(db, SLUG).title.startswith("Fremtidens")


def test_a_refused_new_event_is_not_created(database: Database, tmp_path: Path) -> None:
    refused(database, tmp_path, EXAMPLE.replace("capacity = 300", 'capacity = "mange"'))
    assert counts(database)["Event"] == 0


def test_a_placed_pitch_cannot_be_rejected_by_a_file(database: Database, tmp_path: Path) -> None:
    import_event(database, example(tmp_path))
    with database.write() as db:
        event = events.by_slug(db, SLUG)
        pitch = pitches.approved(db, event)[0]
        room, round_ = events.rooms(db, event)[0], events.rounds(db, event)[0]
        schedule.place(db, event, {"pitch_id": pitch.id, "room_id": room.id, "round_id": round_.id})
    before = counts(database)
    text = EXAMPLE.replace('author = "Borger"\nstatus = "approved"', 'author = "Borger"\nstatus = "rejected"')
    text += '\n[[rooms]]\nname = "Ny sal"\ncapacity = 10\n'  # written before the pitches: must be rolled back
    assert refused(database, tmp_path, text).startswith("pitches[1].status: En gennemgående sagsbehandler")
    assert counts(database) == before


# --- export ----------------------------------------------------------------------------------------------------


def test_export_has_the_contract_snapshot_shape_plus_notes(database: Database, tmp_path: Path) -> None:
    import_event(database, example(tmp_path))
    with database.write() as db:
        event = events.by_slug(db, SLUG)
        pitch = pitches.approved(db, event)[0]
        room, round_ = events.rooms(db, event)[0], events.rounds(db, event)[0]
        slot = schedule.place(db, event, {"pitch_id": pitch.id, "room_id": room.id, "round_id": round_.id})
        person = participants.get_or_create(db, event, participants.new_token())
        notes.add(db, event, person, slot.id, {"kind": "idea", "text": "Én indgang", "author": "Kim"})
    data = export(database)
    assert {"slug", "title", "version", "rooms", "rounds", "pitches", "sessions"} <= data.keys()
    assert {"language", "venue", "timezone", "starts", "ends", "notes"} <= data.keys()
    assert data["rooms"][0].keys() >= {"id", "name", "capacity", "location"}
    assert data["rounds"][0].keys() >= {"id", "label", "starts", "ends"}
    assert data["pitches"][0].keys() >= {"id", "title", "story", "author", "status", "interest"}
    assert data["sessions"][0].keys() >= {"id", "pitch_id", "room_id", "round_id", "present"}
    assert len(data["pitches"]) == 3  # host view: the pending one too
    [note] = data["notes"]
    assert note.keys() == {"id", "session_id", "pitch_id", "kind", "text", "author", "created_at"}
    assert (note["kind"], note["text"], note["author"]) == ("idea", "Én indgang", "Kim")
    assert note["created_at"].endswith("+00:00")


def test_reimporting_the_same_file_gives_the_same_export_but_version(database: Database, tmp_path: Path) -> None:
    import_event(database, example(tmp_path))
    first = export(database)
    import_event(database, example(tmp_path))
    second = export(database)
    assert second["version"] > first["version"]
    assert {**first, "version": 0} == {**second, "version": 0}


def as_event_file(exported: dict[str, Any]) -> dict[str, Any]:
    """What a host would write to describe the exported event: the file's keys only."""
    keep = ("slug", "title", "language", "venue", "timezone", "starts", "ends")
    return {
        **{key: exported[key] for key in keep},
        "rooms": [{k: r[k] for k in ("name", "capacity", "location")} for r in exported["rooms"]],
        "rounds": [{k: r[k] for k in ("label", "starts", "ends")} for r in exported["rounds"]],
        "pitches": [{k: p[k] for k in ("title", "story", "author", "status")} for p in exported["pitches"]],
    }


def test_import_export_import_round_trip(database: Database, tmp_path: Path) -> None:
    import_event(database, example(tmp_path))
    exported = export(database)
    other = Database(f"sqlite:///{tmp_path}/other.db")
    migrate.upgrade(other.engine)
    try:
        import_event(other, as_event_file(exported))
        again = export(other)
    finally:
        other.dispose()
    assert {**exported, "version": 0} == {**again, "version": 0}


def test_an_unknown_time_zone_is_refused(database: Database, tmp_path: Path) -> None:
    text = EXAMPLE.replace('language = "da"', 'language = "da"\ntimezone = "Europe/Odense"')
    assert refused(database, tmp_path, text).startswith("timezone: Europe/Odense is not a known time zone")
