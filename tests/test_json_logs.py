"""`liveboard serve --log-format json` (liveboard/logs.py): a real server process, real requests, every line read.

Every line is one JSON object; a request line (with `--access-log`) says method, route template, status and
duration; a host action says who did what to which ids. What a person sent never shows: no cookie, no password,
no Authorization header, no query string, no form body.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from liveboard import cli
from liveboard.db import Database
from liveboard.domain import events
from tests.conftest import HOST_PASSWORD
from tests.run_py import RunPy
from tests.servers import free_port

pytestmark = pytest.mark.e2e


def lines_of(output: str) -> list[dict[str, Any]]:
    """Every line it printed, each parsed as JSON (a line that is not fails the test)."""
    parsed = []
    for line in output.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert {"time", "level", "logger", "instance", "message"} <= set(entry), line
        parsed.append(entry)
    return parsed


@pytest.fixture
def db_path(tmp_path: Path, demo_file: Path) -> Path:
    shutil.copyfile(demo_file, tmp_path / "lb.db")
    return tmp_path / "lb.db"


def test_requests_and_host_actions_as_json_with_nothing_secret(db_path: Path) -> None:
    port = free_port()
    server = RunPy(db_path, port, password=HOST_PASSWORD, args=("--log-format", "json", "--access-log"))
    secret = {name: f"{name}-{secrets.token_hex(8)}" for name in ("cookie", "query", "bearer", "wrong", "typed")}
    try:
        with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}) as phone:
            phone.cookies.set("lb_pid", secret["cookie"], domain="127.0.0.1")
            page = phone.get(
                f"/e/demo?lang=en&ref={secret['query']}", headers={"Authorization": f"Bearer {secret['bearer']}"}
            )
            assert page.status_code == 200
        with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}) as host:
            refused = host.post("/host/login", data={"username": "admin", "password": secret["wrong"]})
            assert refused.status_code == 403, refused.text  # wrong password
            assert host.post("/host/login", data={"password": HOST_PASSWORD}).status_code == 303
            session = host.cookies["lb_host"]
            announced = host.post("/e/demo/host/announce", data={"text": f"Kaffe {secret['typed']}"})
            assert announced.status_code == 303
    finally:
        output = server.stop()

    database = Database(f"sqlite:///{db_path}")
    with database.read() as db:
        event_id = events.by_slug(db, "demo").id
    database.dispose()
    entries = lines_of(output)
    assert all(entry["instance"].endswith(f":{port}") for entry in entries)
    requests = [entry for entry in entries if entry["logger"] == "liveboard.access"]
    page_line = next(e for e in requests if e["method"] == "GET" and e["route"] == "/e/{slug}")
    assert page_line["status"] == 200 and isinstance(page_line["duration_ms"], float) and page_line["duration_ms"] >= 0
    assert {(e["method"], e["route"], e["status"]) for e in requests} >= {
        ("POST", "/host/login", 303),
        ("POST", "/e/{slug}/host/announce", 303),
        ("GET", "/healthz", 200),
    }
    actions = [entry for entry in entries if entry["logger"] == "liveboard.audit"]
    login = next(e for e in actions if e["action"] == "account.login")
    assert login["actor"] == "admin" and login["target"] == "account:admin"
    announce = next(e for e in actions if e["action"] == "announce")
    assert announce["actor"] == "admin" and announce["event"] == event_id
    assert announce["target"].startswith("announcement:")
    assert any(e["logger"] == "uvicorn.error" and "Uvicorn running" in e["message"] for e in entries)

    for name, value in {**secret, "password": HOST_PASSWORD, "session": session}.items():
        assert value not in output, f"the {name} is in the log"
    assert "Kaffe" not in output  # what the host typed stays in the database


def test_the_environment_chooses_json_and_requests_need_the_access_log(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEBOARD_LOG_FORMAT", "json")
    server = RunPy(db_path, free_port(), password=HOST_PASSWORD)
    try:
        with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}) as host:
            assert host.post("/host/login", data={"password": HOST_PASSWORD}).status_code == 303
            assert host.get("/e/demo").status_code == 200
    finally:
        output = server.stop()
    entries = lines_of(output)
    assert not [entry for entry in entries if entry["logger"] == "liveboard.access"]
    assert [entry["action"] for entry in entries if entry["logger"] == "liveboard.audit"] == ["account.login"]
    started = next(entry for entry in entries if entry["logger"] == "liveboard.serve")
    assert started["url"] == server.url and started["events"]
    assert HOST_PASSWORD not in output


def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LIVEBOARD_LOG_FORMAT", "xml")
    assert cli.main(["serve"]) == cli.USAGE_ERROR
    assert "LIVEBOARD_LOG_FORMAT must be text or json, not 'xml'" in capsys.readouterr().err
    monkeypatch.delenv("LIVEBOARD_LOG_FORMAT")
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--log-format", "xml"])
    assert exited.value.code == 2
