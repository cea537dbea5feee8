"""The whole evening over HTTP against `python run.py`, the way the README starts it, across a restart."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.run_py import RunPy
from tests.servers import free_port

pytestmark = pytest.mark.e2e


def printed_password(server: RunPy) -> str:
    """The generated password, read from what the server printed at start."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        match = re.search(r"password[^:]*:\s*(\S+)", server.readline(), re.IGNORECASE)
        if match:
            return match.group(1)
    pytest.fail(f"no password printed:\n{server.output}")


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "liveboard.db"


def test_an_evening_over_http_survives_a_restart(db_path: Path) -> None:
    port = free_port()
    server = RunPy(db_path, port, password=None, demo=True)
    try:
        phone = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=10)
        host = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=10)

        page = phone.get("/e/demo")
        assert page.status_code == 200
        assert "lb_pid" in phone.cookies
        version = httpx.get(f"{server.url}/api/events/demo").json()["version"]

        sent = phone.post("/e/demo/pitches", data={"title": "Bænke ved stoppestedet", "story": "Vi står længe."})
        assert sent.status_code == 303
        snapshot = host.get("/api/events/demo").json()
        assert "Bænke ved stoppestedet" not in [p["title"] for p in snapshot["pitches"]]  # pending: hidden
        assert snapshot["version"] > version

        # The generated host password is printed once at start; the host logs in with it.
        password = printed_password(server)
        assert host.post("/host/login", data={"password": "not-it"}).status_code == 403
        assert host.post("/host/login", data={"password": password}).status_code == 303
        # admin invites a host, who chooses a password through the link and is logged in.
        made = host.post("/host/accounts", data={"username": "mette", "name": "Mette", "role": "host"})
        assert made.status_code == 201
        link = re.search(r'id="invite-link" href="([^"]+)"', made.text)
        assert link is not None
        mette = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=10)
        path = link.group(1).removeprefix(server.url)
        assert mette.post(path, data={"password": "bænke og busser"}).status_code == 303

        # A restart loses nothing, and keeps cookies valid: the secret key and the host sessions are in the database.
        server.stop()
        server = RunPy(db_path, port, password="e2e-secret", demo=True)
        assert "e2e-secret" not in server.output
        assert mette.get("/e/demo/host").status_code == 200  # her host cookie from before the restart
        # admin's password changed with the restart: browsers logged in with the old one are logged out.
        assert host.get("/e/demo/host").status_code == 303
        host = mette

        snapshot = host.get("/api/events/demo").json()
        pitch = next(p for p in snapshot["pitches"] if p["title"] == "Bænke ved stoppestedet")
        assert pitch["status"] == "pending"  # nothing submitted was lost across restarts
        assert host.post(f"/e/demo/host/pitches/{pitch['id']}/approve").status_code == 303

        taken = {(s["room_id"], s["round_id"]) for s in snapshot["sessions"]}
        room, round_ = next(
            (r["id"], d["id"]) for d in snapshot["rounds"] for r in snapshot["rooms"] if (r["id"], d["id"]) not in taken
        )
        placed = host.post("/e/demo/host/sessions", data={"pitch_id": pitch["id"], "room_id": room, "round_id": round_})
        assert placed.status_code == 303
        session = next(s for s in host.get("/api/events/demo").json()["sessions"] if s["pitch_id"] == pitch["id"])

        # The participant's cookie from before the restarts still works: same person, same interest toggle.
        assert phone.post(f"/e/demo/pitches/{pitch['id']}/interest").status_code == 303
        assert phone.post(f"/e/demo/sessions/{session['id']}/join").status_code == 303
        note = phone.post(
            f"/e/demo/sessions/{session['id']}/notes", data={"kind": "proposal", "text": "Flere bænke i Vollsmose"}
        )
        assert note.status_code == 303

        after = httpx.get(f"{server.url}/api/events/demo").json()
        mine = next(s for s in after["sessions"] if s["id"] == session["id"])
        assert mine["present"] == 1
        assert next(p for p in after["pitches"] if p["id"] == pitch["id"])["interest"] == 1
        assert "Flere bænke i Vollsmose" in httpx.get(f"{server.url}/e/demo/report").text
        for path in ("/e/demo", "/e/demo/screen", f"/e/demo/screen?room={room}", "/e/demo/host", "/e/demo/report"):
            assert host.get(path).status_code == 200, path
    finally:
        server.stop()


@pytest.mark.parametrize("flag", [False, True], ids=["quiet", "access-log"])
def test_a_line_per_request_only_with_access_log(db_path: Path, flag: bool) -> None:
    """The proxy logs requests; `--access-log` adds the server's own line for each request and socket (they cost
    it time at a round start and when a hall reloads, docs/performance.md). A refused socket is always told."""
    args = ("--access-log",) if flag else ()
    server = RunPy(db_path, free_port(), password="hemmeligt-kodeord", demo=True, args=args)
    try:
        assert httpx.get(f"{server.url}/api/events/ingen-her", timeout=10).status_code == 404
        socket_url = server.url.replace("http", "ws", 1) + "/e/demo/ws?view=screen&v="
        with connect(socket_url, origin=Origin(server.url), open_timeout=10) as ws:
            ws.recv(timeout=10)
        with pytest.raises(InvalidStatus):
            connect(socket_url, origin=Origin("https://elsewhere.example"), open_timeout=10)
    finally:
        output = server.stop()
    assert ('"GET /api/events/ingen-her HTTP/1.1" 404' in output) is flag, output
    assert ('"WebSocket /e/demo/ws?view=screen&v=" [accepted]' in output) is flag, output
    assert ("connection open" in output) is flag, output
    assert '"WebSocket /e/demo/ws?view=screen&v=" 403' in output, output
