"""`liveboard accounts add|list|disable`, run as a script would run it, on a database a real server then uses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import _live_server
from sqlmodel import select

from liveboard import ROOT
from liveboard.cli import main
from liveboard.db import Database
from liveboard.domain import accounts
from liveboard.models import Account, AuditEntry

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


@pytest.fixture
def run(tmp_path: Path, url: str) -> Run:
    """`python -m liveboard …` on the database at `url`, from a directory that is not the repo."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("LIVEBOARD_")}
    base.update({"PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": url})

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "liveboard", *args],
            cwd=tmp_path,
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    return run


@pytest.fixture
def cli(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple]:
    """`liveboard …` run in this process, on the database at `url`: `main` as the script calls it, without paying
    for a Python start and the imports each time (the subprocess tests above show the script itself works)."""
    for key in [key for key in os.environ if key.startswith("LIVEBOARD_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("LIVEBOARD_DATABASE_URL", url)

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as stopped:  # argparse's usage errors
            code = int(stopped.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return call


def rows(url: str) -> list[Account]:
    database = Database(url)
    try:
        with database.read() as db:
            return list(db.exec(select(Account).order_by(Account.username)))
    finally:
        database.dispose()


LINK = re.compile(r"(?P<base>https?://[^/]+)/host/invite/(?P<token>[A-Za-z0-9_-]{40,})")


def test_add_prints_only_the_link_and_the_link_works_on_a_server(
    run: Run, url: str, _stopping: list[threading.Thread]
) -> None:
    done = run("accounts", "add", "mette", "--role", "host", "--name", "Mette Hansen")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    line = done.stdout.strip()
    assert done.stdout == line + "\n"
    found = LINK.fullmatch(line)
    assert found and found["base"] == "http://127.0.0.1:8000"
    (account,) = rows(url)
    assert (account.username, account.name, account.role, account.password_hash) == (
        "mette",
        "Mette Hansen",
        "host",
        None,
    )
    database = Database(url)
    with database.read() as db:
        _, invited = accounts.invitation(db, found["token"], datetime.now(UTC))
        assert invited.username == "mette"
        (entry,) = db.exec(select(AuditEntry)).all()
        assert (entry.action, entry.actor, entry.subject) == ("account.add", "@cli", "account:mette")
    database.dispose()
    # A server on the same database takes the link as it was printed (with its own address in front).
    with _live_server(url, _stopping.append) as server:
        path = line.removeprefix(found["base"])
        browser = server.client()
        assert browser.get(path).status_code == 200
        assert browser.post(path, data={"password": "chosen at home, 2026"}).status_code == 303
        assert browser.get("/host").status_code == 200
        assert browser.get(path).status_code == 410
        # admin now exists too (the server made it), and the command line cannot disable it.
        refused = run("accounts", "disable", "admin")
        assert refused.returncode == 2 and refused.stdout == ""
        assert "admin account cannot be disabled" in refused.stderr


def test_the_links_address_comes_from_the_public_url_or_url(run: Run) -> None:
    public = run("accounts", "add", "ole", "--role", "organiser", env={"LIVEBOARD_PUBLIC_URL": "https://lb.odense.dk/"})
    assert public.returncode == 0, public.stderr
    assert public.stdout.startswith("https://lb.odense.dk/host/invite/")
    given = run(
        "accounts", "add", "sara", "--role", "host", "--url", "https://dialog.kk.dk", env={"LIVEBOARD_PUBLIC_URL": "x"}
    )
    assert given.returncode == 0, given.stderr
    assert given.stdout.startswith("https://dialog.kk.dk/host/invite/")
    bad = run("accounts", "add", "bo.b", "--role", "host", "--url", "lb.odense.dk")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.startswith("error: --url must start with")


def test_list_shows_status_and_last_login(run: Run, url: str) -> None:
    assert run("accounts", "add", "mette", "--role", "host", "--name", "Mette Hansen").returncode == 0
    assert run("accounts", "add", "ole", "--role", "organiser").returncode == 0
    assert run("accounts", "disable", "ole").returncode == 0
    done = run("accounts", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["USERNAME", "NAME", "ROLE", "STATUS", "LAST", "LOGIN"]
    assert re.fullmatch(
        r"mette +Mette Hansen +host +invited, link valid until \d{4}-\d\d-\d\d \d\d:\d\d +never", lines[1]
    ), lines[1]
    assert re.fullmatch(r"ole +ole +organiser +disabled since \d{4}-\d\d-\d\d \d\d:\d\d +never", lines[2]), lines[2]


def test_disable_ends_the_sessions(run: Run, url: str, _stopping: list[threading.Thread]) -> None:
    with _live_server(url, _stopping.append) as server:
        server.add_account("mette", "host")
        browser = server.client(account="mette")
        assert browser.get("/host").status_code == 200
        done = run("accounts", "disable", "mette")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "Disabled mette: it can no longer log in, and its 1 sessions have ended."
        assert browser.get("/host").status_code == 303
        entry = server.audit()[-1]
        assert (entry.action, entry.actor, entry.subject) == ("account.disable", "@cli", "account:mette")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("add", "mette", "--role", "boss"), "error: role must be one of: organiser, host."),
        (("add", "mette", "--role", ""), "error: role must be one of: organiser, host."),
        (("add", "me", "--role", "host"), "error: username must be 3–40 of a–z, 0–9, dot, _ and -."),
        (("add", "mette hansen", "--role", "host"), "error: username must be 3–40"),
        (("add", "ole", "--role", "host", "--name", "x" * 81), "error: name must be at most 80 characters"),
        (("add", "taken", "--role", "host"), "error: There is already an account called taken."),
        (("add", "admin", "--role", "host"), "error: There is already an account called admin."),
        (("disable", "nobody"), "error: There is no account called nobody."),
    ],
    ids=["role", "no-role", "short", "space", "long-name", "taken", "admin", "unknown"],
)
def test_errors_say_what_on_stderr_print_nothing_and_change_nothing(
    cli: Callable[..., tuple], url: str, args: tuple[str, ...], words: str
) -> None:
    assert cli("accounts", "add", "taken", "--role", "host")[0] == 0
    before = [(a.username, a.name, a.role, a.disabled_at) for a in rows(url)]
    code, out, err = cli("accounts", *args)
    assert code == 2
    assert out == ""
    assert err.startswith(words), err
    assert [(a.username, a.name, a.role, a.disabled_at) for a in rows(url)] == before


def test_a_missing_role_is_a_usage_error(cli: Callable[..., tuple]) -> None:
    code, out, err = cli("accounts", "add", "mette")
    assert code == 2 and out == ""
    assert "--role" in err
    assert cli("accounts", "list")[1].splitlines()[1:] == []
