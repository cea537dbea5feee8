"""The command line, run as a person would run it: exit codes, messages, and never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from liveboard import ROOT
from liveboard.cli import _banner, _with_default_command, _ws_protocol

# The tests folder is on sys.path (pytest's default import mode); the example file's text lives there.
from test_eventfile import EXAMPLE  # isort: skip


@pytest.fixture
def run(tmp_path: Path):
    """`python -m liveboard …` against a database file of its own, from a directory that is not the repo."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIVEBOARD_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
    }

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

    return run


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "event.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return path


def test_import_creates_then_updates(run, example: Path) -> None:
    first = run("import", str(example))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Imported velfaerd-2013: 6 rooms, 3 rounds, 3 pitches (created)"
    second = run("import", str(example))
    assert second.returncode == 0
    assert second.stdout.strip().endswith("(updated)")


def test_import_of_a_bad_file_says_where(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.replace("capacity = 40", 'capacity = "fyrre"', 1), encoding="utf-8")
    done = run("import", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip() == "error: rooms[2].capacity: must be a whole number"
    assert done.stdout == ""


def test_import_of_broken_toml_names_the_line(run, tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('slug = "x"\ntitle = "y\n', encoding="utf-8")
    done = run("import", str(bad))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "line 2" in done.stderr


def test_import_of_a_missing_file(run, tmp_path: Path) -> None:
    done = run("import", str(tmp_path / "nowhere.toml"))
    assert done.returncode == 2
    assert "nowhere.toml: no such file" in done.stderr


def test_export_prints_the_event_as_json(run, example: Path) -> None:
    run("import", str(example))
    done = run("export", "velfaerd-2013")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"slug", "title", "version", "rooms", "rounds", "pitches", "sessions", "notes"} <= data.keys()
    assert len(data["rooms"]) == 6
    assert "Fremtidens velfærd" in done.stdout  # not \u-escaped
    explicit = run("export", "velfaerd-2013", "--format", "json")
    assert json.loads(explicit.stdout) == data


def test_export_as_markdown_and_csv(run, example: Path) -> None:
    run("import", str(example))
    markdown = run("export", "velfaerd-2013", "--format", "md")
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# Fremtidens velfærd – en ikke\\-konference\n")
    assert "\n## " in markdown.stdout
    table = run("export", "velfaerd-2013", "--format", "csv")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("note_id,session_id,session,room,round,kind,text,")


def test_export_of_an_unknown_slug(run) -> None:
    done = run("export", "findes-ikke")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: There is no event called findes-ikke."


def test_export_in_an_unknown_format_is_a_usage_error(run, example: Path) -> None:
    run("import", str(example))
    done = run("export", "velfaerd-2013", "--format", "xml")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_purge_without_yes_only_says_what_would_go(run, example: Path) -> None:
    run("import", str(example))
    before = run("export", "velfaerd-2013").stdout
    done = run("purge", "velfaerd-2013")
    assert done.returncode == 2
    assert "--yes" in done.stderr and "participants" in done.stderr
    assert run("export", "velfaerd-2013").stdout == before


def test_purge_with_yes(run, example: Path) -> None:
    run("import", str(example))
    done = run("purge", "velfaerd-2013", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Purged velfaerd-2013: 0 participants")
    assert json.loads(run("export", "velfaerd-2013").stdout)["version"] >= 1


def test_purge_of_an_unknown_slug(run) -> None:
    done = run("purge", "findes-ikke", "--yes")
    assert done.returncode == 2
    assert "There is no event called findes-ikke." in done.stderr


def test_no_subcommand_means_serve() -> None:
    assert _with_default_command([]) == ["serve"]
    assert _with_default_command(["--demo", "--port", "9000"]) == ["serve", "--demo", "--port", "9000"]
    assert _with_default_command(["--help"]) == ["--help"]
    assert _with_default_command(["import", "x.toml"]) == ["import", "x.toml"]


def test_the_banner_lists_addresses_and_a_generated_password() -> None:
    event = SimpleNamespace(slug="demo", title="Fremtidens velfærd")
    state = SimpleNamespace(admin_password="s3cret", admin_password_generated=True)
    text = _banner("http://127.0.0.1:8000", [event], state, demo_first=True)  # type: ignore[list-item]
    for line in ("/e/demo", "/e/demo/screen", "/e/demo/host", "/host/login", "s3cret", "LIVEBOARD_ADMIN_PASSWORD"):
        assert line in text
    quiet = _banner(
        "http://x", [], SimpleNamespace(admin_password="p", admin_password_generated=False), demo_first=False
    )
    assert "p\n" not in quiet and "Admin password" not in quiet


def test_the_websocket_implementation_is_uvicorns_sans_io_one() -> None:
    from uvicorn.config import WS_PROTOCOLS
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    assert _ws_protocol(access_log=True) == "websockets-sansio" and "websockets-sansio" in WS_PROTOCOLS
    assert issubclass(_ws_protocol(access_log=False), WebSocketsSansIOProtocol)
