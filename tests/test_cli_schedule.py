"""`liveboard schedule --problem FILE.json`, run as a script runs it: the answer alone on stdout, nothing stored, and
a bad file refused with `error: FILE: where: what` on stderr, a non-zero exit and no answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from liveboard import ROOT

PROBLEM = {
    "rooms": [{"id": "A", "capacity": 40}, {"id": 2, "capacity": 10}],
    "rounds": [{"id": "R1"}, {"id": 2}],
    "pitches": [
        {"id": "p1", "host": "h1", "interested": ["u1", "u2", 3]},
        {"id": 2, "host": "h1", "interested": ["u1"]},
        {"id": "p3", "interested": ["u1", "u2"]},
        {"id": "p4", "host": "", "interested": []},
    ],
    "pinned": [{"pitch": "p1", "room": "A", "round": "R1"}],
}


@pytest.fixture
def schedule(tmp_path: Path):
    """`python -m liveboard schedule …` from a directory of its own, with a database URL that must stay unused."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": f"sqlite:///{tmp_path}/never.db"}

    def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run(
            [sys.executable, "-m", "liveboard", "schedule", *args],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            timeout=60,
        )
        assert b"Traceback" not in done.stderr, done.stderr.decode()
        assert not (tmp_path / "never.db").exists(), "the problem-file mode opened the database"
        return done

    return run


def write(tmp_path: Path, content: bytes | dict, name: str = "problem.json") -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return str(path)


def test_prints_the_answer_and_nothing_else(schedule, tmp_path: Path) -> None:
    done = schedule("--problem", write(tmp_path, PROBLEM))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    answer = json.loads(done.stdout)  # stdout is the JSON alone: no solver banner, no log line
    assert set(answer) == {"cells", "unplaced", "measures", "seconds"}
    assert answer["measures"] == {"missed": 1, "overflow": 0, "unplaced_interest": 0, "score": 1}
    cells = {(c["pitch"], c["room"], c["round"]) for c in answer["cells"]}
    assert ("p1", "A", "R1") in cells  # the pin, as given
    assert (2, 2, 2) in cells  # integer ids stay integers
    assert all(set(c) == {"pitch", "room", "round", "reason"} for c in answer["cells"])
    assert answer["unplaced"] == []


def test_seed_and_time_limit_and_stdin(schedule, tmp_path: Path) -> None:
    first = schedule("--problem", write(tmp_path, PROBLEM), "--seed", "7", "--time-limit", "5")
    second = schedule("--problem", "-", "--seed", "7", "--time-limit", "5", stdin=json.dumps(PROBLEM).encode())
    assert first.returncode == second.returncode == 0
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    one.pop("seconds"), two.pop("seconds")
    assert one == two


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"rooms: []", "not JSON: Expecting value at line 1, column 1"),
        (b'{"rooms": [], "rounds": [], "pitches": [{"id": "caf\xe9"}]}', "not UTF-8: byte 0xe9 at offset"),
        ({"rooms": [], "pitches": []}, 'the problem: missing key "rounds"'),
        ({"rooms": [{"id": "A", "capacity": "40"}], "rounds": [], "pitches": []}, "rooms[0].capacity: must be a whole"),
        (
            {"rooms": [], "rounds": [], "pitches": [{"id": "p", "interested": ["u", ["v"]]}]},
            "pitches[0].interested[1]: must be a string or an integer, not a list",
        ),
        ({**PROBLEM, "pinned": [{"pitch": "p1", "room": "B", "round": "R1"}]}, 'pinned[0]: room "B" is not one of'),
        (
            {
                **PROBLEM,
                "pinned": [{"pitch": "p1", "room": "A", "round": "R1"}, {"pitch": 2, "room": 2, "round": "R1"}],
            },
            'pinned[1]: host "h1" already has pinned[0] in round "R1"',
        ),
    ],
    ids=["not JSON", "not UTF-8", "missing key", "wrong type", "nested wrong type", "bad reference", "host twice"],
)
def test_a_bad_file_says_where_and_what_and_prints_no_answer(schedule, tmp_path: Path, content, message: str) -> None:
    path = write(tmp_path, content)
    done = schedule("--problem", path)
    assert done.returncode == 2
    assert done.stdout == b""
    error = done.stderr.decode()
    assert error.startswith(f"error: {path}: "), error
    assert message in error


def test_a_missing_file(schedule, tmp_path: Path) -> None:
    done = schedule("--problem", str(tmp_path / "nowhere.json"))
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode().startswith(f"error: {tmp_path / 'nowhere.json'}: No such file")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give an event's SLUG, or a problem file with --problem FILE.json"),
        (["--problem", "x.json", "--apply"], "--problem takes no SLUG, --mode or --apply"),
        (["--problem", "x.json", "--time-limit", "0"], "must be more than 0 seconds"),
        (["demo", "--mode", "everything"], "invalid choice: 'everything'"),
    ],
)
def test_usage_errors(schedule, args: list[str], message: str) -> None:
    done = schedule(*args)
    assert (done.returncode, done.stdout) == (2, b"")
    assert message in done.stderr.decode()
