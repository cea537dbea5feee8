"""`liveboard backup FILE`, run as an operator's timer runs it: while a real server takes joins, pitches, notes and
items from sixteen phones, each copy opens, passes SQLite's integrity check, and is one consistent moment of the
evening (the rules hold, every version has its write). And what it refuses, with exit status 2 and a message that
says what to do: PostgreSQL, an existing FILE without --force, a missing directory, no database at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import consistency
import pytest
from storm import Storm

from liveboard import ROOT
from liveboard.cli import main
from tests.conftest import LiveServer


def backup(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m liveboard backup …`, a process of its own as cron or a systemd timer would start it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "liveboard", "backup", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def run(database_url: str, *args: str, cwd: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The same command in this process (cheaper than starting Python): exit status, stdout, stderr."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVEBOARD_DATABASE_URL", database_url)
        patch.chdir(cwd)
        status = main(["backup", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_backups_taken_while_the_evening_goes_on_are_each_one_consistent_moment(
    sqlite_server: LiveServer, tmp_path: Path
) -> None:
    path = Path(sqlite_server.database.url.removeprefix("sqlite:///"))
    before = consistency.check(path)
    storm = Storm(sqlite_server.url, path, 16, steps=1000)
    storm.start()
    copies = []
    try:
        for number in range(2):
            storm.wait_for(40 * (number + 1))
            target = tmp_path / f"backup-{number}.db"
            started = storm.acknowledged()
            done = backup(sqlite_server.database.url, str(target), cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            assert storm.acknowledged() > started, "the phones went on while the copy was made"
            assert done.stdout.startswith(f"Backed up {path} to {target} (")
            copies.append(target)
    finally:
        storm.finish()
    assert all(phone.actions for phone in storm.phones)
    tallies = []
    for copy in copies:
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(copy.name)) == [copy.name], "one file"
        tallies.append(consistency.check(copy, before))
        mode = consistency.connect(copy).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "delete", "a plain file: restored by copying it back, nothing beside it"
    # Taken one after another while the phones went on: each later than the one before, all before the end.
    versions = [tally.event_version for tally in tallies]
    assert versions == sorted(versions) and versions[0] > before.event_version
    assert versions[-1] <= consistency.check(path, before).event_version
    # A copy is a database LiveBoard starts on: the rows are there as they were.
    assert consistency.Tally.of(consistency.connect(copies[-1])) == tallies[-1]


def test_force_replaces_an_existing_copy_and_without_it_nothing_is_touched(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{demo_file}"
    target = tmp_path / "copy.db"
    target.write_text("yesterday's copy")
    status, _, err = run(url, str(target), cwd=tmp_path, capsys=capsys)
    assert status == 2
    assert err == f"error: {target} exists; use --force to replace it, or give another file\n"
    assert target.read_text() == "yesterday's copy"
    status, _, err = run(url, str(target), "--force", cwd=tmp_path, capsys=capsys)
    assert status == 0, err
    assert consistency.check(target) == consistency.check(demo_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db"], "no temporary file left behind"


def test_a_relative_file_and_database_are_taken_from_the_working_directory(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copyfile(demo_file, tmp_path / "liveboard.db")
    status, out, err = run("sqlite:///liveboard.db", "night.db", cwd=tmp_path, capsys=capsys)
    assert status == 0, err
    assert out.startswith("Backed up liveboard.db to night.db (")
    consistency.check(tmp_path / "night.db")


@pytest.mark.parametrize(
    ("url", "file", "message"),
    [
        (
            "postgresql+psycopg://liveboard:secret@127.0.0.1:5432/liveboard",
            "copy.db",
            "error: liveboard backup copies a SQLite database; this one is postgresql. Back up PostgreSQL with "
            "pg_dump (custom format): docs/deploy.md, section Backups, says how and how often.\n",
        ),
        ("sqlite:///DEMO", "missing/copy.db", "error: the directory missing does not exist; make it first\n"),
        (
            "sqlite:///DEMO",
            ".",
            "error: . is a directory; give the backup's file name, e.g. liveboard.db\n",
        ),
        ("sqlite:///DEMO", "DEMO", "error: {demo} is the database itself; give another file\n"),
        (
            "sqlite:///{tmp}/nothing.db",
            "copy.db",
            "error: there is no database at {tmp}/nothing.db (LIVEBOARD_DATABASE_URL=sqlite:///{tmp}/nothing.db)\n",
        ),
        (
            "sqlite://",
            "copy.db",
            "error: LIVEBOARD_DATABASE_URL names an in-memory SQLite database: there is no file to copy.\n",
        ),
    ],
    ids=["postgresql", "no-directory", "a-directory", "itself", "no-database", "in-memory"],
)
def test_what_backup_refuses(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, file: str, message: str
) -> None:
    def fill(text: str) -> str:
        return text.replace("DEMO", str(demo_file)).replace("{tmp}", str(tmp_path)).replace("{demo}", str(demo_file))

    before = sorted(tmp_path.iterdir())
    status, out, err = run(fill(url), fill(file), cwd=tmp_path, capsys=capsys)
    assert status == 2
    assert err == fill(message)
    assert out == ""
    assert sorted(tmp_path.iterdir()) == before, "nothing made, nothing touched"
