"""A graceful stop: SIGTERM to `python run.py`, as systemd, Docker or Kubernetes send it for a restart.

What the contract promises ("Operations"): requests under way finish; live sockets are closed with code 1012
(service restart), so clients reconnect at once and are caught up. And the process ends by itself, with exit
status 0 (a clean stop, not a crash, for whatever supervises it).

The request under way is a real one held open by its client: its headers are sent before the signal, and the app
has begun to read its form (the server said "100 Continue"); the form follows only once the server has begun to
shut down (its sockets got their 1012). So it is certainly in flight when the signal arrives.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import consistency
import pytest
from servers import free_port
from storm import WAIT, Screen, counts_in

from tests.conftest import HOST_PASSWORD
from tests.run_py import RunPy

pytestmark = pytest.mark.e2e

#: How long the process may take to stop once its last request is answered: lifespan shutdown, the writer's last
#: batch. Bounds a broken run; not a measure of speed.
STOP = 15.0


class HeldRequest:
    """A form POST sent by hand with `Expect: 100-continue`: the server says "100 Continue" when the app starts to
    read the form, so the request is surely under way, and the form follows only when the test says."""

    def __init__(self, base: str, path: str, fields: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=WAIT)
        self.body = urlencode(fields).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: {base}\r\nCookie: lb_lang=en\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n"
            f"Content-Length: {len(self.body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode())
        self.data = b""
        while b"\r\n\r\n" not in self.data:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the connection"
            self.data += chunk
        interim, self.data = self.data.split(b"\r\n\r\n", 1)
        assert interim == b"HTTP/1.1 100 Continue", interim

    def finish(self) -> tuple[int, dict[str, str]]:
        """Send the form; the status and headers of the answer (read until the server closes the connection)."""
        self.sock.sendall(self.body)
        while chunk := self.sock.recv(65536):
            self.data += chunk
        self.sock.close()
        head = self.data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in head[1:])
        return int(head[0].split()[1]), {k.lower(): v for k, v in headers.items()}


def test_sigterm_finishes_requests_under_way_closes_sockets_with_1012_and_exits_0(
    tmp_path: Path, demo_file: Path
) -> None:
    path = tmp_path / "liveboard.db"
    shutil.copyfile(demo_file, path)
    port = free_port()
    server = RunPy(path, port, password=HOST_PASSWORD)
    screens = [Screen(server.url), Screen(server.url)]
    try:
        for screen in screens:
            screen.load()
            screen.connect()
        held = HeldRequest(server.url, "/e/demo/pitches", {"title": "Sent as the server stops", "story": "x" * 400})

        server.process.send_signal(signal.SIGTERM)
        assert [screen.wait_closed() for screen in screens] == [1012, 1012], "service restart"
        status, headers = held.finish()
        assert status == 303, headers
        assert headers["connection"] == "close"
        try:
            code = server.process.wait(STOP)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {STOP} s after its last request:\n{server.stop()}")
        assert code == 0, server.stop()
        assert "Traceback" not in server.stop()

        db = consistency.connect(path)
        with db:
            titles = [row[0] for row in db.execute("SELECT title FROM pitch")]
        db.close()
        assert "Sent as the server stops" in titles
        version = int(headers["x-liveboard-version"])
        consistency.check(path)

        # Started again, the screens reconnect with the version they show and are caught up.
        server = RunPy(path, port, password=HOST_PASSWORD)
        for screen in screens:
            screen.connect()
        for screen in screens:
            screen.wait(lambda s: s.version == version, f"caught up to v{version}")
        assert counts_in(path) == (version, screens[0].counts)
    finally:
        for screen in screens:
            screen.close()
        server.stop()
