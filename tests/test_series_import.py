"""Series files for `liveboard import` (`liveboard/eventfile.py`, `import_series`): the example in docs/examples,
re-import in place, and bad files refused whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

from liveboard import ROOT, migrate
from liveboard.db import Database
from liveboard.domain import items, series
from liveboard.eventfile import EventFileError, import_series, is_series_file, load_toml
from liveboard.models import Agenda, AuditEntry, Item, Meeting, Series

EXAMPLE = ROOT / "docs" / "examples" / "series.toml"


def dump(database: Database) -> dict[str, list[tuple]]:
    with database.engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(table.select().order_by(*table.primary_key))]
            for table in SQLModel.metadata.sorted_tables
            if table.name != "audit"
        }


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "series.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_imports(database: Database) -> None:
    data = load_toml(EXAMPLE)
    assert is_series_file(data)
    result = import_series(database, data)
    assert result.created and result.meetings == 2 and result.items == 2
    with database.read() as db:
        found = series.by_slug(db, "seniorer-vest")
        assert found.language == "da" and found.timezone == "Europe/Copenhagen"
        assert "bøv" in found.title and "\n" in found.description
        first, second = series.meetings(db, found)
        assert first.starts == datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
        assert second.starts == datetime(2026, 6, 4, 12, 0, tzinfo=UTC), "no offset: read in Copenhagen (summer)"
        assert first.organisations.splitlines() == ["Ældre Sagen", "Ældrerådet", "Frivilligcenter Vest"]
        agenda = items.agenda(db, found, first)
        assert [e.item.title for e in agenda] == [
            "MitID-appen virker ikke på ældre telefoner",
            "Tid til nyt pas kan kun bestilles på nettet",
        ]
        assert agenda[0].item.channel == "digital" and agenda[1].item.story == ""
        assert all(e.item.status == "new" and e.item.member_id is None for e in agenda)


def test_importing_again_changes_nothing_then_updates_in_place(database: Database, tmp_path: Path) -> None:
    import_series(database, load_toml(EXAMPLE))
    before = dump(database)
    again = import_series(database, load_toml(EXAMPLE))
    assert not again.created and again.added_meetings == 0 and again.added_items == 0
    assert dump(database)["meeting"] == before["meeting"]
    assert dump(database)["item"] == before["item"]
    assert dump(database)["agenda"] == before["agenda"]
    edited = EXAMPLE.read_text(encoding="utf-8")
    edited = edited.replace('place = "Borgerservice Vest, mødelokale 2"', 'place = "Lokalcentret"', 1)
    edited = edited.replace('service = "Pas"', 'service = "Pas og kørekort"')
    edited += '\n[[items]]\ntitle = "Lang ventetid hos Udbetaling Danmark"\nchannel = "physical"\n'
    result = import_series(database, load_toml(write(tmp_path, edited)))
    assert result.added_items == 1 and result.added_meetings == 0
    with database.read() as db:
        found = series.by_slug(db, "seniorer-vest")
        assert [m.place for m in series.meetings(db, found)] == ["Lokalcentret", "Borgerservice Vest, mødelokale 2"]
        titles = {i.title: i for i in db.exec(select(Item).where(Item.series_id == found.id))}
        assert len(titles) == 3
        assert titles["Tid til nyt pas kan kun bestilles på nettet"].service == "Pas og kørekort"
        assert db.exec(select(func.count()).select_from(Meeting)).one() == 2
        assert db.exec(select(func.count()).select_from(Agenda)).one() == 3
        imports = db.exec(select(AuditEntry).where(AuditEntry.action == "series.import")).all()
        assert len(imports) == 3


def test_a_reimport_keeps_what_the_file_leaves_out(database: Database, tmp_path: Path) -> None:
    import_series(database, load_toml(EXAMPLE))
    with database.write() as db:
        found = series.by_slug(db, "seniorer-vest")
        items.propose(db, found, None, {"title": "Fra en telefon"})
    import_series(database, load_toml(write(tmp_path, 'series = "seniorer-vest"\ntitle = "Ny titel"\n')))
    with database.read() as db:
        found = series.by_slug(db, "seniorer-vest")
        assert found.title == "Ny titel"
        assert "bøv" in found.description, "fields the file leaves out keep their values"
        assert len(series.meetings(db, found)) == 2
        assert db.exec(select(func.count()).select_from(Item)).one() == 3


BAD = [
    ('series = "Bad slug!"\ntitle = "x"\n', "series: may hold only letters"),
    ('series = "ok"\n', "title:"),
    ('series = "ok"\ntitle = "x"\nlanguage = "fr"\n', "language:"),
    ('series = "ok"\ntitle = "x"\ntimezone = "Mars/Olympus"\n', "timezone: Mars/Olympus is not a known time zone"),
    ('series = "ok"\ntitle = "x"\ncolour = "red"\n', "colour: unknown key"),
    ('series = "ok"\ntitle = "x"\n[[meetings]]\nstarts = "tomorrow"\n', "meetings[1].starts:"),
    (
        'series = "ok"\ntitle = "x"\n[[meetings]]\nstarts = "2026-03-05T14:00:00+01:00"\n'
        '[[meetings]]\nstarts = "2026-03-05T13:00:00Z"\n',
        "meetings[2].starts: meetings[1] starts at the same time",
    ),
    ('series = "ok"\ntitle = "x"\n[[meetings]]\nstarts = "2026-03-05T14:00"\nplase = "x"\n', "meetings[1].plase"),
    ('series = "ok"\ntitle = "x"\n[[meetings]]\nstarts = "2026-03-05T14:00"\norganisations = [1]\n', "organisations"),
    ('series = "ok"\ntitle = "x"\n[[items]]\ntitle = ""\n', "items[1].title:"),
    ('series = "ok"\ntitle = "x"\n[[items]]\ntitle = "a"\nchannel = "fax"\n', "items[1].channel:"),
    ('series = "ok"\ntitle = "x"\n[[items]]\ntitle = "a"\n[[items]]\ntitle = "a"\n', "items[2].title: a is already"),
    ('series = "ok"\ntitle = "x"\n[[items]]\ntitle = "' + "x" * 121 + '"\n', "items[1].title:"),
    ('series = "ok"\ntitle = "x"\nmeetings = "soon"\n', "meetings: must be a list of tables"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_file_is_refused_whole(database: Database, tmp_path: Path, text: str, message: str) -> None:
    import_series(database, load_toml(EXAMPLE))
    before = dump(database)
    # The same slug as the example, so a half-applied update would show.
    text = text.replace('series = "ok"', 'series = "seniorer-vest"')
    with pytest.raises(EventFileError) as caught:
        import_series(database, load_toml(write(tmp_path, text)))
    assert message in str(caught.value)
    assert dump(database) == before


def test_the_command_imports_a_series_and_refuses_a_bad_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "liveboard", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    first = run("import", str(EXAMPLE))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Imported series seniorer-vest: 2 meetings (2 new), 2 items (2 new) (created)"
    second = run("import", str(EXAMPLE))
    assert second.returncode == 0
    assert second.stdout.strip() == "Imported series seniorer-vest: 2 meetings (0 new), 2 items (0 new) (updated)"
    bad = write(tmp_path, 'series = "nyt"\ntitle = "Ny"\n[[items]]\ntitle = "a"\nchannel = "fax"\n')
    refused = run("import", str(bad))
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: items[1].channel:")
    database = Database(url)
    migrate.upgrade(database.engine)
    with database.read() as db:
        assert [s.slug for s in db.exec(select(Series))] == ["seniorer-vest"]
    database.dispose()


def test_the_command_prints_the_series_log(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "liveboard", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert run("import", str(EXAMPLE)).returncode == 0
    one = run("series-log", "seniorer-vest")
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["slug"] == "seniorer-vest"
    every = run("series-log", "--format", "csv")
    assert every.stdout.splitlines()[0].startswith("series,id,title")
    assert len(every.stdout.splitlines()) == 3
    md = run("series-log", "seniorer-vest", "--format", "md")
    assert md.stdout.startswith("# Hvad blev der af det?") or md.stdout.startswith("# ")
    missing = run("series-log", "nowhere")
    assert missing.returncode == 2 and missing.stderr.startswith("error:")
