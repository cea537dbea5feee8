"""`liveboard schedule SLUG [--mode fill|replan] [--apply]`: the proposal for an event, kept and printed as the host's
page's JSON; with --apply, put in the grid as one change by the command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liveboard import ROOT
from liveboard.db import Database
from liveboard.models import AuditEntry, ScheduleProposal
from liveboard.models import Session as Slot


@pytest.fixture
def db_file(tmp_path: Path, demo_file: Path) -> Path:
    shutil.copyfile(demo_file, tmp_path / "lb.db")
    return tmp_path / "lb.db"


def run(db_file: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": f"sqlite:///{db_file}"}
    done = subprocess.run(
        [sys.executable, "-m", "liveboard", "schedule", *args], env=env, capture_output=True, timeout=120
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    return done


def rows(db_file: Path, model: type) -> list:
    database = Database(f"sqlite:///{db_file}")
    try:
        with database.read() as db:
            return list(db.exec(__import__("sqlmodel").select(model)))
    finally:
        database.dispose()


def test_prints_a_kept_proposal_and_changes_nothing(db_file: Path) -> None:
    before = {(s.pitch_id, s.room_id, s.round_id) for s in rows(db_file, Slot)}
    done = run(db_file, "demo")
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads(done.stdout)
    assert set(data) >= {"id", "version", "cells", "unplaced", "measures", "seconds"}
    assert before <= {(c["pitch"], c["room"], c["round"]) for c in data["cells"]}  # fill keeps what is placed
    assert {(s.pitch_id, s.room_id, s.round_id) for s in rows(db_file, Slot)} == before
    assert [p.id for p in rows(db_file, ScheduleProposal)] == [data["id"]]


def test_apply_puts_it_in_the_grid_as_the_command_line(db_file: Path) -> None:
    done = run(db_file, "demo", "--mode", "replan", "--apply")
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads(done.stdout)
    assert {(s.pitch_id, s.room_id, s.round_id) for s in rows(db_file, Slot)} == {
        (c["pitch"], c["room"], c["round"]) for c in data["cells"]
    }
    applied = [e for e in rows(db_file, AuditEntry) if e.action == "schedule.apply"]
    assert [(e.actor, e.data["proposal"]) for e in applied] == [("@cli", data["id"])]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("nope",), "There is no event called nope."),
        (("demo", "--mode", "refill"), "invalid choice"),
        (("demo", "--problem", "x.json"), "--problem takes no SLUG"),
    ],
)
def test_refused_with_a_message_and_no_answer(db_file: Path, args: tuple[str, ...], says: str) -> None:
    done = run(db_file, *args)
    assert done.returncode == 2
    assert says in done.stderr.decode()
    assert done.stdout == b""
    assert rows(db_file, ScheduleProposal) == []
