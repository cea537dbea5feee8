"""The whole evening over HTTP against `python run.py`, the way the README starts it, across a restart."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liveboard import ROOT

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, db_path: Path, port: int, password: str | None = None) -> None:
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "LIVEBOARD_DATABASE_URL": f"sqlite:///{db_path}", "PYTHONUNBUFFERED": "1"}
        env.pop("LIVEBOARD_ADMIN_PASSWORD", None)
        if password:
            env["LIVEBOARD_ADMIN_PASSWORD"] = password
        self.process = subprocess.Popen(
            [sys.executable, "run.py", "--demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            self.stop()
            pytest.fail(f"run.py did not answer /healthz within 30 s:\n{self.output}")

    def password(self) -> str:
        """The generated password, read from what the server printed at start."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            self.output += line
            match = re.search(r"password[^:]*:\s*(\S+)", line, re.IGNORECASE)
            if match:
                return match.group(1)
        pytest.fail(f"no password printed:\n{self.output}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        assert self.process.stdout is not None
        self.output += self.process.stdout.read()
        return self.output


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "liveboard.db"


def test_an_evening_over_http_survives_a_restart(db_path: Path) -> None:
    port = free_port()
    server = Server(db_path, port)
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
        password = server.password()
        assert host.post("/host/login", data={"password": "not-it"}).status_code == 403
        assert host.post("/host/login", data={"password": password}).status_code == 303

        # A restart loses nothing, and keeps cookies valid: the secret key is kept in the database.
        server.stop()
        server = Server(db_path, port, password="e2e-secret")
        assert "e2e-secret" not in server.output
        assert host.get("/e/demo/host").status_code == 200  # the host cookie from before the restart

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
