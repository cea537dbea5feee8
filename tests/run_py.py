"""`python run.py` as a process of its own, the way the README starts it: for the end-to-end test, the browser
tests' restart and bench/browser.py.

It runs on a SQLite file it is given, on 127.0.0.1 and the given port (a restart keeps the port, so pages and
cookies carry over), and stops with SIGINT, as Ctrl-C would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from liveboard import ROOT

#: How long run.py may take to answer /healthz, and then to stop, in seconds.
START = 30.0
STOP = 15.0


class RunPy:
    """`password=None` leaves run.py to make one and print it (see `readline`). `keep_output=False` sends what
    it prints to /dev/null: over a long benchmark its access log would fill a pipe nobody reads."""

    def __init__(
        self,
        db_path: Path,
        port: int,
        *,
        password: str | None,
        demo: bool = False,
        keep_output: bool = True,
        args: tuple[str, ...] = (),
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        #: What it printed so far: read by `readline`, and the rest at `stop`.
        self.output = ""
        env = {**os.environ, "LIVEBOARD_DATABASE_URL": f"sqlite:///{db_path}", "PYTHONUNBUFFERED": "1"}
        env.pop("LIVEBOARD_ADMIN_PASSWORD", None)
        if password:
            env["LIVEBOARD_ADMIN_PASSWORD"] = password
        self.process = subprocess.Popen(
            [sys.executable, "run.py", *(["--demo"] if demo else []), "--port", str(port), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE if keep_output else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + START
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        pytest.fail(f"run.py did not answer /healthz within {START:.0f} s:\n{self.stop()}")

    def readline(self) -> str:
        """The next line it prints (waiting for it), kept in `output` too."""
        assert self.process.stdout is not None, "started with keep_output=False"
        line = self.process.stdout.readline()
        self.output += line
        return line

    def stop(self) -> str:
        """SIGINT, as Ctrl-C (a kill after `STOP` seconds); everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.output += self.process.stdout.read()
        return self.output
