"""Fan-out benchmark: LiveBoard's live updates against a bare `websockets` broadcast, measured the same way.

    .venv/bin/python bench/fanout.py                      # 500, 1,000, 2,000, 5,000 clients, 3 runs each, 3 storms
    .venv/bin/python bench/fanout.py --clients 2000,5000 --repeat 5 --no-storm
    .venv/bin/python bench/fanout.py --quick              # a minute: 500 clients, 5 changes, a small storm
    .venv/bin/python bench/fanout.py --baseline-only      # validates the load client against the baseline
    .venv/bin/python bench/fanout.py --storm-only --storm-repeat 1     # the issue's storm once, one process, SQLite
    .venv/bin/python bench/fanout.py --storm-only --quick              # a small storm: 300 joins in 3 s, 300 watch
    .venv/bin/python bench/fanout.py --storm-only --py-spy /tmp/prof   # py-spy next to python or on PATH
    .venv/bin/python bench/fanout.py --cluster-only --clients 2000,5000 --storm-joins 1000,250   # two instances
    .venv/bin/python bench/fanout.py --cluster-only --quick                 # two instances, about two minutes
    .venv/bin/python bench/fanout.py --cluster-only --storm-only --quick    # only the storms: two instances, one

The machine is shared and noisy: every figure is the median of `--repeat` runs, LiveBoard and baseline
alternating. See docs/performance.md for what the figures mean and the latest results.

For each client count N, twice — LiveBoard (`python run.py --demo`, fresh SQLite database), then the
baseline (`bench/baseline.py`) — each server as its own process:

1. N WebSocket clients connect from this process (`bench/loadclient.py`, a minimal asyncio protocol; 90 %
   phones, 10 % screens by default), in batches, offering permessage-deflate as browsers do.
2. K changes, one at a time: a participant joins the biggest session through the contract's form
   (`POST /e/demo/sessions/{id}/join`, a new participant each time; the baseline: `GET /change`). The time
   is taken just before the request; the response's `X-LiveBoard-Version: V` names the change; a client has
   it at its first frame with `data-v >= V`. The next change starts when every client has it (or 5 s passed)
   plus a short gap, so each is measured alone.
3. Latency per (client, change): p50/p95/p99/max; clients missing a change; frames and bytes per client per
   change; server RSS (VmRSS) idle and with N connections held; server and load-process CPU over the changes.

The baseline broadcasts frames of the median size LiveBoard sent for the same change, per view.

Then the round-start storm (LiveBoard), as phones make it: W watchers connect (the same view mix); the rooms
of the first round's sessions get room for everyone; J participants, each with their own cookie, send their
joins to those sessions round-robin, paced evenly over S seconds (default 1,000 in 5 s: 200 a second), as htmx
sends them from the phone page's join form (`HX-Request`, `HX-Current-URL`, `HX-Target: section#my-evening`,
gzip accepted; `--plain`: form posts answered with a 303). A fifth of them (`--change-mind 0.2`) join another
session of the round and a tenth (`--leave 0.1`; nobody does both) leave theirs, `--second-after 1` s after
their join's reply. Measured against the issue's targets, each printed with ✓/✗ and in the JSON and the table:

- every watcher exact within 1 s of the last request (of any kind): its counts start from `/api/events/demo`
  at connect and follow every count element in its frames, until they equal the final snapshot and stay so;
- reply p50/p99/max over all requests, p99 ≤ 500 ms;
- no error: a status other than 2xx/3xx, or no answer within `STORM_TIMEOUT`, is one, and is listed;
- the counts equal what the acknowledged replies imply (per participant, their acknowledged actions in order;
  a 4xx changed nothing; an unanswered one leaves that participant in doubt), summed per session: in the final
  `/api/events/demo` and in what every watcher ends up showing;
- and a check on the harness: the load process kept up (its CPU while sending, how late it sent, its event
  loop's lag), else the figures would be its lateness, not the server's.

`--storm-joins 1000,250` runs storms of each size.

`--cluster` (after the above) or `--cluster-only` (instead of it): PostgreSQL and Redis are started once
(`bench/cluster.py`, with the tests' servers from `tests/servers.py`), the demo is loaded into a template
database, and every LiveBoard run gets a fresh copy of it. For each N, `--repeat` times in turn:

- two instances (`--instances`), each `python run.py` with `LIVEBOARD_DATABASE_URL` on that copy and
  `LIVEBOARD_BROADCAST_URL=redis://…`: N/2 clients on each (the same view mix), changes through instance A's
  form; figures for A's clients (same instance as the change) and B's (reached through Redis) apart, each
  instance's CPU per change and RSS, Redis's and PostgreSQL's CPU, and when each change's message reached a
  subscriber of Redis in this process;
- one instance on the same PostgreSQL with `memory://`, holding all N clients: per-instance figures are
  reported as ratios to it;
- the baseline, as above.

Then the storms, on two instances (watchers half on each, participant i's requests through instance i mod 2;
convergence and frame rate per instance) and on one instance, in turn (`--no-single-storm`: two instances only).

Results: a markdown table on stdout (with the command that reproduces it), JSON in `--out`.
Everything goes to 127.0.0.1; every wait has a time limit; servers are killed at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import bisect
import contextlib
import datetime as dt
import json
import math
import os
import random
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadclient import Client, Load, LoopLag, cpu_seconds, raise_nofile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SLUG = "demo"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
MISSING_AFTER = 5.0  # seconds: a client without the change by then is missing it
#: A storm's request waits this long for its reply: a slow server is measured, not cut off (a request given up on
#: may still commit later, after the final counts were read). Given up on, it counts as an error.
STORM_TIMEOUT = 90.0

_servers: list[Server] = []


# --- processes ---------------------------------------------------------------------------------------------------


def _raise_nofile_child() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A server process of its own, with a raised open-file limit; its RSS and CPU read from /proc."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.name = name
        self.port = port
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_raise_nofile_child,
            start_new_session=True,
        )
        _servers.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self) -> int:
        return _status_kb(self.pid, "VmRSS")

    def hwm_kb(self) -> int:
        return _status_kb(self.pid, "VmHWM")

    def cpu(self) -> float:
        """utime + stime of the process (all its threads), seconds."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log_file.close()
        if self in _servers:
            _servers.remove(self)


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@atexit.register
def _stop_all() -> None:
    for server in list(_servers):
        with contextlib.suppress(Exception):
            server.stop()


# --- HTTP (raw, over asyncio streams) ----------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    t0: float  # perf_counter just before the request
    t1: float  # perf_counter when the whole response was read

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def cookies(self) -> dict[str, str]:
        out = {}
        for value in self.headers.get("set-cookie", []):
            name, _, rest = value.split(";", 1)[0].partition("=")
            out[name.strip()] = rest.strip()
        return out


async def http(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    timeout: float = 15.0,
) -> Reply:
    from urllib.parse import urlencode

    body = urlencode(form).encode() if form is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close", "User-Agent: liveboard-bench/1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if method == "POST":
        if not any(name.lower() == "content-type" for name in headers or {}):
            lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def go() -> Reply:
        t0 = time.perf_counter()
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(request)
            raw = await reader.read(-1)
        finally:
            writer.close()
        t1 = time.perf_counter()
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines_ = head.decode("latin-1").split("\r\n")
        status = int(lines_[0].split()[1])
        hdrs: dict[str, list[str]] = {}
        for line in lines_[1:]:
            name, _, value = line.partition(":")
            hdrs.setdefault(name.strip().lower(), []).append(value.strip())
        if "chunked" in (hdrs.get("transfer-encoding") or [""])[0]:
            rest = _dechunk(rest)
        return Reply(status, hdrs, rest, t0, t1)

    return await asyncio.wait_for(go(), timeout)


def _dechunk(data: bytes) -> bytes:
    out, pos = [], 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            break
        out.append(data[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2
    return b"".join(out)


async def wait_healthy(server: Server, timeout: float = 60.0, relaying: bool = False) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.tail()}")
        with contextlib.suppress(OSError, TimeoutError, ValueError, IndexError):
            reply = await http(server.port, "GET", "/healthz", timeout=2)
            if reply.status == 200 and (not relaying or json.loads(reply.body).get("relaying") is True):
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} not healthy after {timeout}s:\n{server.tail()}")


# --- the two targets ---------------------------------------------------------------------------------------------


class Target:
    """A server under test: how to start it, and how to make one change."""

    name = ""
    server: Server

    async def start(self, workdir: Path) -> None: ...
    async def prepare(self, changes: int) -> int:
        """Set up for `changes` changes; return the current version (clients connect with it)."""
        return 0

    async def change(self, i: int) -> tuple[Reply, int]:
        """Make change number i; return the reply and the version it produced."""
        raise NotImplementedError

    def ws_path(self, view: str, version: int) -> str:
        return f"/e/{SLUG}/ws?view={view}&v={version}&lang=da"

    def parts(self) -> list[tuple[str, Target]]:
        """The processes clients are spread over, with a label each: one, except for a cluster."""
        return [("", self)]

    def servers(self) -> list[Server]:
        return [part.server for _, part in self.parts()]

    def stop(self) -> None:
        self.server.stop()


class LiveBoard(Target):
    """One LiveBoard process. By default on a fresh SQLite database with the demo (`run.py --demo`); with
    `database_url`, on that database (the demo already in it) and `broadcast_url` (memory:// or redis://)."""

    name = "LiveBoard"

    def __init__(
        self,
        python: str,
        htmx: bool = False,
        *,
        database_url: str | None = None,
        broadcast_url: str | None = None,
        password: str | None = None,
        name: str | None = None,
    ) -> None:
        self.python = python
        self.htmx = htmx
        self.database_url = database_url
        self.broadcast_url = broadcast_url
        self.password = password or secrets.token_urlsafe(12)
        if name:
            self.name = name
        self.cookies: list[str] = []
        self.session_id = 0
        self.host_cookie = ""
        self.version_header_missing = 0

    async def start(self, workdir: Path) -> None:
        port = free_port()
        env = dict(os.environ)
        env.update(
            LIVEBOARD_DATABASE_URL=self.database_url or f"sqlite:///{workdir / f'bench-{port}.db'}",
            LIVEBOARD_BROADCAST_URL=self.broadcast_url or "memory://",
            LIVEBOARD_ADMIN_PASSWORD=self.password,
            LIVEBOARD_NPM_REGISTRY="http://127.0.0.1:9",  # never fetch from outside during a benchmark
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),  # only the app: nothing the load process has on its path (e.g. uvloop)
        )
        argv = [self.python, "run.py", *([] if self.database_url else ["--demo"]), "--host", HOST, "--port", str(port)]
        self.server = Server(self.name, argv, env, port, workdir / f"liveboard-{port}.log")
        # Through Redis, an instance counts as up once it is subscribed: before that it would miss changes.
        await wait_healthy(self.server, relaying=(self.broadcast_url or "memory://").startswith("redis"))

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.server.port}"

    async def snapshot(self) -> dict[str, Any]:
        reply = await http(self.server.port, "GET", f"/api/events/{SLUG}")
        if reply.status != 200:
            raise RuntimeError(f"/api/events/{SLUG}: {reply.status} {reply.body[:200]!r}")
        return json.loads(reply.body)

    async def new_participant(self) -> str:
        reply = await http(self.server.port, "GET", f"/e/{SLUG}")
        cookies = reply.cookies()
        if reply.status != 200 or "lb_pid" not in cookies:
            raise RuntimeError(f"GET /e/{SLUG}: {reply.status}, cookies {sorted(cookies)}")
        return "; ".join(f"{k}={v}" for k, v in cookies.items())

    async def participants(self, n: int, concurrency: int = 4) -> list[str]:
        out: list[str] = []
        sem = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with sem:
                out.append(await self.new_participant())

        await asyncio.gather(*(one() for _ in range(n)))
        return out

    async def login(self) -> None:
        reply = await http(
            self.server.port, "POST", "/host/login", {"Origin": self.origin}, {"password": self.password}
        )
        cookies = reply.cookies()
        if reply.status >= 400 or not cookies:
            raise RuntimeError(f"host login: {reply.status} {reply.body[:200]!r}")
        self.host_cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())

    async def set_capacity(self, room: dict[str, Any], capacity: int) -> None:
        if not self.host_cookie:
            await self.login()
        form = {"name": room["name"], "capacity": str(capacity), "location": room.get("location") or ""}
        reply = await http(
            self.server.port,
            "POST",
            f"/e/{SLUG}/host/rooms/{room['id']}",
            {"Origin": self.origin, "Cookie": self.host_cookie},
            form,
        )
        if reply.status >= 400:
            raise RuntimeError(f"room {room['id']} capacity {capacity}: {reply.status} {reply.body[:300]!r}")

    async def prepare(self, changes: int) -> int:
        snap = await self.snapshot()
        rooms = {r["id"]: r for r in snap["rooms"]}
        # The biggest session: the most room, then the fewest present.
        session = max(snap["sessions"], key=lambda s: (rooms[s["room_id"]]["capacity"], -s["present"]))
        self.session_id = session["id"]
        room = rooms[session["room_id"]]
        if room["capacity"] - session["present"] < changes:
            await self.set_capacity(room, session["present"] + changes + 10)
        self.cookies = await self.participants(changes)
        return (await self.snapshot())["version"]

    async def join(self, cookie: str, session_id: int, timeout: float = 15.0) -> tuple[Reply, int]:
        reply = await http(
            self.server.port,
            "POST",
            f"/e/{SLUG}/sessions/{session_id}/join",
            phone_headers(self.origin, cookie, self.htmx),
            {},
            timeout=timeout,
        )
        header = reply.header("X-LiveBoard-Version")
        if header is not None:
            return reply, int(header)
        self.version_header_missing += 1
        return reply, (await self.snapshot())["version"] if reply.status < 400 else -1

    async def change(self, i: int) -> tuple[Reply, int]:
        return await self.join(self.cookies[i], self.session_id)


class Cluster(Target):
    """Instances A, B, … of LiveBoard as processes of their own on one PostgreSQL database, relaying committed
    changes through Redis, with one admin password (a host logged in on one is logged in on all). Changes go
    through instance A's form; clients and storm joins are spread over all instances."""

    def __init__(self, python: str, htmx: bool, database_url: str, broadcast_url: str, count: int = 2) -> None:
        password = secrets.token_urlsafe(12)
        self.name = f"{count} instances"
        self.instances = [
            LiveBoard(
                python,
                htmx,
                database_url=database_url,
                broadcast_url=broadcast_url,
                password=password,
                name=f"instance {chr(ord('A') + i)}",
            )
            for i in range(count)
        ]

    @property  # type: ignore[override]
    def server(self) -> Server:
        return self.instances[0].server

    async def start(self, workdir: Path) -> None:
        await asyncio.gather(*(instance.start(workdir) for instance in self.instances))

    def parts(self) -> list[tuple[str, Target]]:
        return [(chr(ord("A") + i), instance) for i, instance in enumerate(self.instances)]

    async def prepare(self, changes: int) -> int:
        return await self.instances[0].prepare(changes)

    async def change(self, i: int) -> tuple[Reply, int]:
        return await self.instances[0].change(i)

    def stop(self) -> None:
        for instance in self.instances:
            if hasattr(instance, "server"):
                instance.server.stop()


class Baseline(Target):
    name = "baseline"

    def __init__(self, python: str, sizes: dict[str, int]) -> None:
        self.python = python
        self.sizes = sizes

    async def start(self, workdir: Path) -> None:
        port = free_port()
        argv = [self.python, str(ROOT / "bench" / "baseline.py"), "--host", HOST, "--port", str(port)]
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
        self.server = Server(self.name, argv, env, port, workdir / f"baseline-{port}.log")
        await wait_healthy(self.server)

    async def change(self, i: int) -> tuple[Reply, int]:
        query = "&".join(f"{view}={size}" for view, size in self.sizes.items())
        reply = await http(self.server.port, "GET", f"/change?{query}")
        return reply, int(reply.header("X-LiveBoard-Version") or -1)


# --- statistics --------------------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return float("nan")
    return values[max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))]


def summary_ms(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "p50": pct(values, 50) * 1000,
        "p95": pct(values, 95) * 1000,
        "p99": pct(values, 99) * 1000,
        "max": (values[-1] if values else float("nan")) * 1000,
        "n": len(values),
    }


# --- one fan-out run ---------------------------------------------------------------------------------------------


@dataclass
class Change:
    t0: float
    t1: float
    status: int
    version: int


@dataclass
class FanoutResult:
    target: str
    clients: int
    views: dict[str, int]
    connect_s: float = 0.0
    connect_failed: int = 0
    changes: list[Change] = field(default_factory=list)
    latency: dict[str, Any] = field(default_factory=dict)
    missing_pairs: int = 0
    clients_missing: int = 0
    frames_per_client_change: float = 0.0
    bytes_per_client_change: float = 0.0
    frame_payload_median: dict[str, float] = field(default_factory=dict)
    rss_idle_kb: int = 0
    rss_held_kb: int = 0
    rss_after_kb: int = 0
    hwm_kb: int = 0
    server_cpu_s: float = 0.0
    load_cpu_s: float = 0.0
    measure_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    sample_frames: dict[str, str] = field(default_factory=dict)
    repeats: int = 1
    first_ms: float = math.nan  # median over changes of the first client's latency
    reply_ms: float = math.nan  # median time until the change's HTTP reply was read
    other_cores: float = math.nan  # cores busy with anything but the server and the load process, on average
    #: Several instances: per instance (label "A", "B"), its clients' figures and its process's (see `analyse`).
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    redis_cpu_s: float = math.nan  # on PostgreSQL and Redis: their CPU over the changes
    #: Through Redis: median over the changes of when its message reached a subscriber in the load process, ms
    #: after the change's request was sent, and after its reply was read (negative: before the reply).
    relay_ms: float = math.nan
    relay_after_reply_ms: float = math.nan
    postgres_cpu_s: float = math.nan

    def row(self) -> dict[str, Any]:
        return {
            "p50 ms": self.latency.get("all", {}).get("p50"),
            "p95 ms": self.latency.get("all", {}).get("p95"),
            "p99 ms": self.latency.get("all", {}).get("p99"),
            "max ms": self.latency.get("all", {}).get("max"),
            "first client ms (median over changes)": self.first_ms,
            "HTTP reply of the change ms (median)": self.reply_ms,
            "missing (client, change)": self.missing_pairs,
            "frames / client / change": self.frames_per_client_change,
            "bytes / client / change": self.bytes_per_client_change,
            "server RSS held, MB": self.rss_held_kb / 1024,
            "server RSS for the connections, MB": (self.rss_held_kb - self.rss_idle_kb) / 1024,
            "server CPU / change, ms": self.server_cpu_ms,
            "load-process CPU / change, ms": self.load_cpu_ms,
            "other CPU on the machine meanwhile, cores": self.other_cores,
        }

    @property
    def server_cpu_ms(self) -> float:
        return self.server_cpu_s / max(1, len(self.changes)) * 1000

    @property
    def load_cpu_ms(self) -> float:
        return self.load_cpu_s / max(1, len(self.changes)) * 1000


def median_result(runs: list[FanoutResult]) -> FanoutResult:
    """The runs of one target and client count folded into one: medians, and missing changes added up."""
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    k = len(first.changes)

    def med(values: list[float]) -> float:
        return statistics.median(values)

    out = FanoutResult(first.target, first.clients, first.views, repeats=len(runs))
    out.changes = first.changes
    out.connect_s = med([r.connect_s for r in runs])
    out.connect_failed = sum(r.connect_failed for r in runs)
    views = {view for r in runs for view in r.latency}
    out.latency = {
        view: {
            stat: med([r.latency[view][stat] for r in runs if view in r.latency])
            for stat in ("p50", "p95", "p99", "max", "n")
        }
        for view in views
    }
    out.first_ms = med([r.first_ms for r in runs])
    out.reply_ms = med([r.reply_ms for r in runs])
    out.other_cores = med([r.other_cores for r in runs])
    out.missing_pairs = sum(r.missing_pairs for r in runs)
    out.clients_missing = sum(r.clients_missing for r in runs)
    out.frames_per_client_change = med([r.frames_per_client_change for r in runs])
    out.bytes_per_client_change = med([r.bytes_per_client_change for r in runs])
    out.frame_payload_median = first.frame_payload_median
    out.rss_idle_kb = int(med([r.rss_idle_kb for r in runs]))
    out.rss_held_kb = int(med([r.rss_held_kb for r in runs]))
    out.rss_after_kb = int(med([r.rss_after_kb for r in runs]))
    out.hwm_kb = max(r.hwm_kb for r in runs)
    out.server_cpu_s = med([r.server_cpu_ms for r in runs]) * k / 1000
    out.load_cpu_s = med([r.load_cpu_ms for r in runs]) * k / 1000
    out.errors = [e for r in runs for e in r.errors]
    out.sample_frames = first.sample_frames
    out.redis_cpu_s = med([r.redis_cpu_s for r in runs])
    out.relay_ms = med([r.relay_ms for r in runs])
    out.relay_after_reply_ms = med([r.relay_after_reply_ms for r in runs])
    out.postgres_cpu_s = med([r.postgres_cpu_s for r in runs])
    for label in first.instances:
        each = [r.instances[label] for r in runs if label in r.instances]
        merged: dict[str, Any] = {}
        for key, value in each[0].items():
            if key in ("missing_pairs", "clients_missing"):
                merged[key] = sum(e[key] for e in each)
            elif key == "latency":
                merged[key] = {
                    view: {stat: med([e[key][view][stat] for e in each if view in e[key]]) for stat in value[view]}
                    for view in value
                }
            elif isinstance(value, int | float):
                merged[key] = med([e[key] for e in each])
        out.instances[label] = merged
    return out


def views_for(n: int, screens: float) -> list[str]:
    n_screens = round(n * screens)
    # Interleaved, so every connect batch and every part of the client list has both kinds.
    out = ["phone"] * n
    if n_screens:
        step = n / n_screens
        for i in range(n_screens):
            out[int(i * step)] = "screen"
    return out


def shares(n: int, parts: int) -> list[int]:
    """n clients over `parts` processes, as evenly as can be (the first ones get the remainder)."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


async def run_fanout(
    target: Target, n: int, args: argparse.Namespace, workdir: Path, backends: Any = None
) -> FanoutResult:
    parts = target.parts()
    # Each process gets the same mix of views: its own share, interleaved as `views_for` does.
    split = [views_for(count, args.screens) for count in shares(n, len(parts))]
    views = [view for part_views in split for view in part_views]
    result = FanoutResult(target.name, n, {v: views.count(v) for v in sorted(set(views))})
    load = Load(HOST, 0)
    where = " + ".join(f"{label or target.name} {len(v)}" for (label, _), v in zip(parts, split, strict=True))
    print(f"\n== {target.name}, {n} clients {result.views} ({where}) ==", flush=True)
    await target.start(workdir)
    servers = target.servers()
    tap = None
    try:
        load.port = target.server.port
        total = args.warmup + args.changes
        v0 = await target.prepare(total)
        await asyncio.sleep(0.5)
        idle = [server.rss_kb() for server in servers]
        result.rss_idle_kb = sum(idle)
        t = time.perf_counter()
        groups: list[tuple[str, list[Client]]] = []
        ok = failed = 0
        for (label, part), part_views in zip(parts, split, strict=True):
            first = len(load.clients)
            opened, refused = await load.connect(
                [(part.ws_path(view, v0), view) for view in part_views],
                v0,
                batch=args.batch,
                timeout=30,
                port=part.server.port,
            )
            ok, failed = ok + opened, failed + refused
            groups.append((label, load.clients[first:]))
        result.connect_s = time.perf_counter() - t
        result.connect_failed = failed
        print(f"connected {ok} in {result.connect_s:.1f}s, failed {failed}", flush=True)
        if failed:
            print("  first errors:", load.stats.errors[:5], flush=True)
        await asyncio.sleep(1.0)  # let connect-time frames (clock) pass
        held = [server.rss_kb() for server in servers]
        result.rss_held_kb = sum(held)

        cpu0 = cpu1 = [0.0] * len(servers)
        lcpu0 = lcpu1 = mcpu0 = mcpu1 = cpu_wall = 0.0
        rcpu0 = rcpu1 = pcpu0 = pcpu1 = math.nan
        t_measure0 = t_end = 0.0
        profiler: list[subprocess.Popen] = []
        if backends is not None and len(parts) > 1:
            from cluster import RedisTap

            tap = await RedisTap.open(backends.redis.port)
        for i in range(total):
            measured = i >= args.warmup
            if measured and i == args.warmup:
                if args.py_spy and not isinstance(target, Baseline):
                    profiler = start_py_spy(
                        args, target, f"{n}-{target.name.replace(' ', '')}", workdir, args.changes * (args.gap + 0.5)
                    )
                t_measure0 = time.perf_counter()
                cpu0, lcpu0, mcpu0 = [server.cpu() for server in servers], cpu_seconds(), machine_cpu()
                if backends is not None:
                    rcpu0, pcpu0 = backends.redis_cpu(), backends.postgres_cpu()
            reply, version = await target.change(i)
            if reply.status >= 400 or version < 0:
                result.errors.append(f"change {i}: {reply.status} {reply.body[:200]!r}")
                continue
            not_reached = await load.wait_for_version(version, reply.t0 + MISSING_AFTER)
            if not_reached:
                result.errors.append(f"change {i} (v{version}): {not_reached} clients without it after 5s")
            if measured:
                result.changes.append(Change(reply.t0, reply.t1, reply.status, version))
            await asyncio.sleep(args.gap)
        if result.changes:
            t_end = time.perf_counter() - args.gap
            cpu1, lcpu1, mcpu1 = [server.cpu() for server in servers], cpu_seconds(), machine_cpu()
            if backends is not None:
                rcpu1, pcpu1 = backends.redis_cpu(), backends.postgres_cpu()
            cpu_wall = time.perf_counter() - t_measure0
        finish_py_spy(profiler)
        if tap is not None:
            tap.close()
            seen = [(tap.seen[c.version], c) for c in result.changes if c.version in tap.seen]
            if seen:
                result.relay_ms = statistics.median((t - c.t0) * 1000 for t, c in seen)
                result.relay_after_reply_ms = statistics.median((t - c.t1) * 1000 for t, c in seen)
            if len(seen) < len(result.changes):
                result.errors.append(f"Redis carried {len(seen)} of the {len(result.changes)} changes")
        result.measure_s = t_end - t_measure0
        cpus = [b - a for a, b in zip(cpu0, cpu1, strict=True)]
        result.server_cpu_s = sum(cpus)
        result.load_cpu_s = lcpu1 - lcpu0
        result.redis_cpu_s = rcpu1 - rcpu0
        result.postgres_cpu_s = pcpu1 - pcpu0
        ours = result.server_cpu_s + result.load_cpu_s
        ours += sum(x for x in (result.redis_cpu_s, result.postgres_cpu_s) if not math.isnan(x))
        # What else kept the machine busy meanwhile (other processes, and kernel work not charged to ours).
        result.other_cores = ((mcpu1 - mcpu0) - ours) / max(1e-9, cpu_wall)
        result.rss_after_kb = sum(server.rss_kb() for server in servers)
        result.hwm_kb = sum(server.hwm_kb() for server in servers)
        analyse(result, load, t_measure0, t_end)
        if len(groups) > 1:
            changes = sorted(result.changes, key=lambda c: c.version)
            for index, (label, clients) in enumerate(groups):
                group = client_figures(clients, load.stats.frames, changes, t_measure0, t_end)
                group.pop("sizes", None)
                group.update(
                    clients=len(clients),
                    rss_idle_kb=idle[index],
                    rss_held_kb=held[index],
                    server_cpu_ms=cpus[index] / max(1, len(result.changes)) * 1000,
                )
                result.instances[label] = group
        result.errors += load.stats.errors[:20]
        for _, part in parts:
            if isinstance(part, LiveBoard) and part.version_header_missing:
                result.errors.append(f"X-LiveBoard-Version missing on {part.version_header_missing} replies")
        if load.stats.compressed_offers_accepted:
            result.errors.append(f"permessage-deflate accepted on {load.stats.compressed_offers_accepted} connections")
    finally:
        if tap is not None:
            tap.close()
        for client in load.clients:
            if client.transport is not None:
                client.transport.abort()
        load.clients = []
        await asyncio.sleep(0.2)
        target.stop()
    print_fanout(result)
    return result


def client_figures(
    clients: list[Client], frames_store: list[bytes], changes: list[Change], t_from: float, t_to: float
) -> dict[str, Any]:
    """Latency per view and over all, the first client's, missing pairs, frames and bytes per client per change,
    of these clients for these changes (sorted by version)."""
    versions = [c.version for c in changes]
    per_view: dict[str, list[float]] = {}
    missing_pairs = clients_missing = frames = nbytes = 0
    first = [math.inf] * len(changes)
    sizes: dict[str, list[int]] = {}
    for client in clients:
        lat = per_view.setdefault(client.view, [])
        got = [False] * len(changes)
        for t, v, fid, size in client.events:
            if t < t_from or t > t_to:
                continue
            frames += 1
            nbytes += size
            sizes.setdefault(client.view, []).append(len(frames_store[fid]))
            # Every change up to v not yet seen by this client arrives with this frame.
            upto = bisect.bisect_right(versions, v)
            for j in range(upto):
                if not got[j]:
                    got[j] = True
                    delay = t - changes[j].t0
                    if delay <= MISSING_AFTER:
                        lat.append(delay)
                        if delay < first[j]:
                            first[j] = delay
                    else:
                        got[j] = False  # too late: counts as missing
        miss = got.count(False)
        missing_pairs += miss
        clients_missing += miss > 0
    latency = {view: summary_ms(values) for view, values in per_view.items()}
    latency["all"] = summary_ms([x for values in per_view.values() for x in values])
    pairs = max(1, len(clients) * len(changes))
    return {
        "latency": latency,
        "first_ms": statistics.median(x * 1000 for x in first) if first and max(first) < math.inf else math.nan,
        "missing_pairs": missing_pairs,
        "clients_missing": clients_missing,
        "frames_per_client_change": frames / pairs,
        "bytes_per_client_change": nbytes / pairs,
        "sizes": sizes,
    }


def analyse(result: FanoutResult, load: Load, t_from: float, t_to: float) -> None:
    changes = sorted(result.changes, key=lambda c: c.version)
    figures = client_figures(load.clients, load.stats.frames, changes, t_from, t_to)
    result.latency = figures["latency"]
    result.first_ms = figures["first_ms"]
    result.reply_ms = statistics.median((c.t1 - c.t0) * 1000 for c in changes) if changes else math.nan
    result.missing_pairs = figures["missing_pairs"]
    result.clients_missing = figures["clients_missing"]
    result.frames_per_client_change = figures["frames_per_client_change"]
    result.bytes_per_client_change = figures["bytes_per_client_change"]
    result.frame_payload_median = {view: statistics.median(s) for view, s in figures["sizes"].items() if s}
    for view in figures["sizes"]:
        sample = next((c for c in load.clients if c.view == view and c.events), None)
        if sample is not None:
            result.sample_frames[view] = load.stats.frames[sample.events[-1][2]].decode(errors="replace")[:600]


def start_py_spy(
    args: argparse.Namespace, target: Target, label: str, workdir: Path, seconds: float
) -> list[subprocess.Popen]:
    """One py-spy per server process of the target (instances A and B of a cluster: `-A`, `-B` in the name)."""
    exe = Path(args.python).parent / "py-spy"
    if not exe.exists():
        found = shutil.which("py-spy")
        if found is None:
            print("  (py-spy found neither next to the interpreter nor on PATH: no profile)", flush=True)
            return []
        exe = Path(found)
    seconds = max(5, int(seconds))
    out = []
    for part_label, part in target.parts():
        path = Path(args.py_spy) / f"fanout-{label}{'-' + part_label if part_label else ''}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"  py-spy: {path} (collapsed stacks) for {seconds}s", flush=True)
        # --gil: only the thread holding the GIL, i.e. where the one Python core goes; --nonblocking: the server
        # is not paused to be sampled, so the profile does not slow what it measures.
        argv = [str(exe), "record", "--gil", "--nonblocking", "-r", "100", "-f", "raw", "-o", str(path)]
        argv += ["--pid", str(part.server.pid), "--duration", str(seconds)]
        out.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=(workdir / "py-spy.log").open("ab")))
    return out


def profile_summary(path: Path, top: int = 25) -> str:
    """The functions with the most samples in a py-spy raw profile: own (self) samples and inclusive ones."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return f"(no profile at {path})"
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")[1:]]  # drop the process, and line numbers
        for f in set(frames):
            inclusive[f] = inclusive.get(f, 0) + n
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + n
    if not total:
        return "(empty profile)"
    out = [f"{total} samples of the GIL holder (100 Hz)", "", "self:"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in sorted(own.items(), key=lambda x: -x[1])[:top]]
    out += ["", "inclusive:"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in sorted(inclusive.items(), key=lambda x: -x[1])[: top * 2]]
    return "\n".join(out)


def finish_py_spy(profilers: list[subprocess.Popen]) -> None:
    for profiler in profilers:
        try:
            profiler.wait(60)
        except subprocess.TimeoutExpired:
            profiler.kill()
            profiler.wait(5)
        path = Path(profiler.args[profiler.args.index("-o") + 1])
        summary = profile_summary(path)
        path.with_suffix(".summary.txt").write_text(summary + "\n")
        print(f"  py-spy summary: {path.with_suffix('.summary.txt')}", flush=True)


def print_fanout(r: FanoutResult) -> None:
    lat = r.latency
    views = ", ".join(f"{v} p50/p99 {s['p50']:.1f}/{s['p99']:.1f} ms" for v, s in lat.items() if v != "all")
    a = lat.get("all", {})
    print(
        f"{r.target} {r.clients}: p50 {a.get('p50', 0):.1f} p95 {a.get('p95', 0):.1f} p99 {a.get('p99', 0):.1f} "
        f"max {a.get('max', 0):.1f} ms ({views}); missing {r.missing_pairs} pairs / {r.clients_missing} clients; "
        f"{r.frames_per_client_change:.2f} frames, {r.bytes_per_client_change:.0f} B per client per change; "
        f"RSS idle {r.rss_idle_kb / 1024:.0f} MB, held {r.rss_held_kb / 1024:.0f} MB; "
        f"CPU server {r.server_cpu_s:.2f}s, load {r.load_cpu_s:.2f}s over {len(r.changes)} changes",
        flush=True,
    )
    for e in r.errors[:8]:
        print("  !", e, flush=True)


# --- the round-start storm ---------------------------------------------------------------------------------------

#: The issue's targets for the storm (issue 14, point 1).
CONVERGE_TARGET_MS = 1000.0  # every watcher exact within 1 s of the storm's last request
REPLY_P99_TARGET_MS = 500.0
#: Who changes their mind and who leaves is drawn with this seed: the same people every time, so storms compare.
STORM_SEED = 14
#: The load process is called the bottleneck when, while it sends, it is this busy (cores; it has one) or sends
#: this late (p99, ms): then replies and frames would look later than the server made them.
LOAD_BUSY_CORES = 0.8
LOAD_LATE_MS = 20.0
#: The first join goes this long after the phones are set going: time for the load process to start a thousand
#: coroutines, so the first ones are not sent late.
STORM_LEAD = 0.2

COUNT_RE = re.compile(
    rb'id="(present|count)-(\d+)"[^>]*>(?:\s|<[^>]*>)*(\d+(?:(?:[.,]|\xc2\xa0|\xe2\x80\xaf)\d{3})*)(?!\d)'
)


def counts_in(payload: bytes) -> dict[int, int]:
    """The counts a frame shows, by session (thousands separators of either language allowed: "1.024")."""
    return {int(m.group(2)): int(re.sub(rb"\D", b"", m.group(3))) for m in COUNT_RE.finditer(payload)}


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best = lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@dataclass
class Plan:
    """What one participant of the storm does: join `first`; then, `then` = "change" (join `second`, another session
    of the round: a change of mind), "leave" (leave `first`) or nothing."""

    first: int
    then: str | None = None
    second: int | None = None


def storm_plan(joins: int, sessions: list[int], change_mind: float, leave: float) -> list[Plan]:
    """Participant i joins sessions[i mod k], round-robin; a share `change_mind` of them, and another `leave` (none
    in both), drawn at random but the same in every storm (`STORM_SEED`), so they are spread over the 5 s."""
    n_change, n_leave = round(joins * change_mind), round(joins * leave)
    if n_change + n_leave > joins:
        raise ValueError(f"--change-mind {change_mind} + --leave {leave} is more than everyone")
    if n_change and len(sessions) < 2:
        raise ValueError("a change of mind needs two sessions in the round")
    rng = random.Random(STORM_SEED)
    order = rng.sample(range(joins), joins)
    changers, leavers = set(order[:n_change]), set(order[n_change : n_change + n_leave])
    plans = []
    for i in range(joins):
        first = sessions[i % len(sessions)]
        if i in changers:
            plans.append(Plan(first, "change", rng.choice([s for s in sessions if s != first])))
        elif i in leavers:
            plans.append(Plan(first, "leave", first))
        else:
            plans.append(Plan(first))
    return plans


@dataclass
class Act:
    """One request of the storm: a participant's first join ("join"), their second join ("change") or their
    leave ("leave"), through instance `part`."""

    who: int
    kind: str
    session: int
    part: int
    due: float  # perf_counter it was meant to be sent at
    t0: float = math.nan  # sent (perf_counter just before connecting)
    t1: float = math.nan  # answered, or given up on
    status: int = 0  # -1: no answer (timeout, connection lost)
    error: str = ""
    nbytes: int = 0  # the reply's body on the wire
    fragment: bool | None = None  # htmx and 200: did the reply hold the phone's "where do I go now"?

    @property
    def acknowledged(self) -> bool:
        """A 2xx or 3xx: committed, the contract says."""
        return 200 <= self.status < 400

    @property
    def refused(self) -> bool:
        """A 4xx: changed nothing, the contract says."""
        return 400 <= self.status < 500

    @property
    def path(self) -> str:
        return f"/e/{SLUG}/sessions/{self.session}/{'leave' if self.kind == 'leave' else 'join'}"


def implied_counts(initial: dict[int, int], acts: list[Act]) -> tuple[dict[int, int], dict[int, int], int]:
    """Where the replies say everyone must be, summed per session: (low, high, participants in doubt).

    Per participant, their actions in order: an acknowledged join puts them in its session (and out of the
    round's others), an acknowledged leave takes them out of that session, a refusal (4xx) changes nothing. An
    action without an answer (5xx, timeout) may or may not have been committed: that participant may be in
    either place, which makes `low` and `high` differ. With nobody in doubt, low == high: the exact counts."""
    mine: dict[int, list[Act]] = {}
    for act in acts:  # in the order they were made: a participant's second action only after their first's reply
        mine.setdefault(act.who, []).append(act)
    low, high, doubt = dict(initial), dict(initial), 0
    for done in mine.values():
        possible: set[int | None] = {None}  # the storm's participants are new: in no session before
        for act in done:
            if act.refused or act.status == 0:
                continue
            if act.kind == "leave":
                after = {None if where == act.session else where for where in possible}
            else:
                after = {act.session}
            possible = after if act.acknowledged else possible | after
        doubt += len(possible) > 1
        for where in possible - {None}:
            high[where] = high.get(where, 0) + 1
            if possible == {where}:
                low[where] = low.get(where, 0) + 1
    return low, high, doubt


def within(counts: dict[int, int], low: dict[int, int], high: dict[int, int]) -> list[int]:
    """The sessions whose count is outside what the replies imply (for every session `low` knows)."""
    return [sid for sid in sorted(low) if not low[sid] <= counts.get(sid, -1) <= high[sid]]


def phone_headers(origin: str, cookie: str, htmx: bool) -> dict[str, str]:
    """What a phone's browser sends with a join or leave pressed on the phone page. htmx (4.x, `static/vendor`)
    on `templates/_join.html`'s forms (`hx-post`, `hx-target="#my-evening"`): its own headers (`HX-Source` is the
    form, which has no id; `HX-Target` the `<section id="my-evening">`, as `tag#id`) and a same-origin fetch's,
    gzip accepted, so the server compresses the reply as it would for a phone. Plain: the form posted without
    script (its 303 is not followed)."""
    page = f"{origin}/e/{SLUG}"
    headers = {
        "Origin": origin,
        "Cookie": cookie,
        "Referer": page,
        "Accept-Language": "da",
        "Sec-Fetch-Site": "same-origin",
    }
    if htmx:
        headers.update(
            {
                "HX-Request": "true",
                "HX-Source": "form",
                "HX-Current-URL": page,
                "HX-Target": "section#my-evening",
                "HX-Request-Type": "partial",
                "Accept": "text/html",
                "Accept-Encoding": "gzip, deflate, br",
                "Sec-Fetch-Mode": "cors",
                "Sec-Fetch-Dest": "empty",
                "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
            }
        )
    else:
        headers.update({"Accept": "text/html", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
    return headers


async def send(act: Act, part: LiveBoard, cookie: str, htmx: bool, sem: asyncio.Semaphore) -> None:
    """Send one act at its time, whatever the others are doing, and note what came back."""
    await asyncio.sleep(max(0.0, act.due - time.perf_counter()))
    async with sem:
        act.t0 = time.perf_counter()
        try:
            reply = await http(
                part.server.port, "POST", act.path, phone_headers(part.origin, cookie, htmx), {}, STORM_TIMEOUT
            )
        except (OSError, TimeoutError, ValueError, IndexError) as exc:  # no answer, or not one HTTP can read
            act.t1, act.status, act.error = time.perf_counter(), -1, repr(exc)
            return
    act.t0, act.t1, act.status, act.nbytes = reply.t0, reply.t1, reply.status, len(reply.body)
    if not act.acknowledged:
        act.error = reply.body[:200].decode(errors="replace")
    elif htmx and reply.status == 200:
        body = reply.body
        if (reply.header("Content-Encoding") or "").lower() == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        act.fragment = b'id="my-evening"' in body


async def crowd(
    plans: list[Plan],
    cookies: list[str],
    parts: list[LiveBoard],
    start: float,
    seconds: float,
    after: float,
    htmx: bool,
    inflight: int,
) -> list[Act]:
    """The storm's phones: participant i sends its join at start + i·seconds/joins through instance i mod k and,
    if its plan says so and the join was acknowledged, its second action `after` seconds after that reply (a
    phone whose join failed does not go on). Returns every act, in the order they were made."""
    acts: list[Act] = []
    sem = asyncio.Semaphore(inflight or 2 * len(plans))

    async def phone(i: int, plan: Plan) -> None:
        part = i % len(parts)
        first = Act(i, "join", plan.first, part, start + i * seconds / len(plans))
        acts.append(first)
        await send(first, parts[part], cookies[i], htmx, sem)
        if plan.then and plan.second is not None and first.acknowledged:
            second = Act(i, plan.then, plan.second, part, first.t1 + after)
            acts.append(second)
            await send(second, parts[part], cookies[i], htmx, sem)

    await asyncio.gather(*(phone(i, plan) for i, plan in enumerate(plans)))
    return acts


def watcher_figures(
    load: Load,
    group_of: dict[int, str],
    initial: dict[int, int],
    reference: dict[int, int],
    low: dict[int, int],
    high: dict[int, int],
    v0: int,
    t_from: float,
    t_last: float,
) -> dict[str, Any]:
    """Per watcher: its counts start from the snapshot at connect and follow every count element in its frames;
    it is *exact* once all of them equal `reference` (the final snapshot) and stay so; the time from the last
    request to that moment. Also what it ends up showing against what the replies imply, and its frame rate."""
    parsed: dict[int, dict[int, int]] = {}
    converge: dict[str, list[float]] = {}
    by_instance: dict[str, list[float]] = {}
    rate_by_instance: dict[str, int] = {}
    not_by_instance: dict[str, int] = {}
    not_converged: dict[str, int] = {}
    wrong_examples: list[str] = []
    end_wrong = 0
    end_wrong_examples: list[str] = []
    max_rate: list[int] = []
    frames_per_client: list[int] = []
    bytes_per_client: list[int] = []
    for client in load.clients:
        state = dict(initial)
        bad = {sid for sid in reference if state.get(sid) != reference[sid]}
        at: float | None = None
        times = []
        nbytes = 0
        for t, v, fid, size in client.events:
            if t < t_from or v <= v0:
                continue
            times.append(t)
            nbytes += size
            counts = parsed.get(fid)
            if counts is None:
                counts = parsed[fid] = counts_in(load.stats.frames[fid])
            for sid, value in counts.items():
                state[sid] = value
                if sid in reference:
                    if value == reference[sid]:
                        bad.discard(sid)
                    else:
                        bad.add(sid)
            if bad:
                at = None
            elif at is None:
                at = t
        frames_per_client.append(len(times))
        bytes_per_client.append(nbytes)
        max_rate.append(max_in_window(times))
        label = group_of.get(id(client), "")
        rate_by_instance[label] = max(rate_by_instance.get(label, 0), max_rate[-1])
        off = within(state, low, high)
        if off:
            end_wrong += 1
            if len(end_wrong_examples) < 5:
                end_wrong_examples.append(
                    f"{client.view}: " + ", ".join(f"{sid}: {state.get(sid)} not {low[sid]}" for sid in off)
                )
        if at is None:
            not_by_instance[label] = not_by_instance.get(label, 0) + 1
            not_converged[client.view] = not_converged.get(client.view, 0) + 1
            if len(wrong_examples) < 5:
                wrong_examples.append(
                    f"{client.view}: " + ", ".join(f"{sid}: {state.get(sid)}≠{reference[sid]}" for sid in sorted(bad))
                )
        else:
            converge.setdefault(client.view, []).append(at - t_last)
            by_instance.setdefault(label, []).append(at - t_last)
    out: dict[str, Any] = {}
    if len(set(group_of.values())) > 1:
        out.update(
            converged_by_instance={label: summary_ms(values) for label, values in sorted(by_instance.items())},
            max_frames_in_1s_by_instance=dict(sorted(rate_by_instance.items())),
            not_converged_by_instance=not_by_instance,
        )
    out.update(
        converged={view: summary_ms(values) for view, values in converge.items()},
        converged_all=summary_ms([x for values in converge.values() for x in values]),
        not_converged=not_converged,
        not_converged_examples=wrong_examples,
        watchers_end_not_implied=end_wrong,
        watchers_end_not_implied_examples=end_wrong_examples,
        max_frames_in_1s=max(max_rate, default=0),
        max_frames_in_1s_p50=statistics.median(max_rate) if max_rate else 0,
        frames_per_client_p50=statistics.median(frames_per_client) if frames_per_client else 0,
        bytes_per_client_p50=statistics.median(bytes_per_client) if bytes_per_client else 0,
    )
    return out


def storm_targets(out: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets for one storm, each with its value and whether it was met; then the check that the load
    process kept up (else the figures would be its own lateness, not the server's)."""
    rows: list[dict[str, Any]] = []

    def add(name: str, target: str, value: str, ok: bool, kind: str = "target") -> None:
        rows.append({"name": name, "target": target, "value": value, "ok": bool(ok), "kind": kind})

    conv, never = out["converged_all"], sum(out["not_converged"].values())
    worst = conv.get("max", math.nan) if conv.get("n") else math.nan
    add(
        "every watcher exact after the last request",
        f"≤ {CONVERGE_TARGET_MS:,.0f} ms",
        (f"{worst:,.0f} ms" if not math.isnan(worst) else "–") + (f", {never} never exact" if never else ""),
        never == 0 and worst <= CONVERGE_TARGET_MS,
    )
    r = out["reply_ms"]
    add(
        "replies p50 / p99 / max",
        f"p99 ≤ {REPLY_P99_TARGET_MS:,.0f} ms",
        f"{r['p50']:,.0f} / {r['p99']:,.0f} / {r['max']:,.0f} ms",
        r["p99"] <= REPLY_P99_TARGET_MS,
    )
    errors = out["errors_count"]
    add("errors (status not 2xx/3xx, or no answer)", "0", str(errors), errors == 0)
    doubt = out["implied_in_doubt"]
    note = f" ({doubt} participants in doubt: an action without an answer)" if doubt else ""
    sessions_off, n_sessions = len(out["snapshot_not_implied"]), len(out["implied_low"])
    add(
        "/api/events/demo present = what the acknowledged replies imply",
        "every session",
        f"{n_sessions - sessions_off} of {n_sessions} sessions{note}",
        sessions_off == 0 and not doubt,
    )
    wrong, watchers = out["watchers_end_not_implied"], out["watchers_connected"]
    add(
        "what every watcher ends up showing = what the replies imply",
        "every watcher",
        f"{watchers - wrong:,} of {watchers:,} watchers{note}",
        wrong == 0 and not doubt and watchers > 0,
    )
    load = out["load_process"]
    busy, late = load["cores_sending"] >= LOAD_BUSY_CORES, load["late_ms"]["p99"] >= LOAD_LATE_MS
    value = f"{load['cores_sending']:.2f} core / {load['late_ms']['p99']:.1f} ms / {load['loop_lag_ms']['max']:.0f} ms"
    if late and not busy:  # late, yet not busy itself: it waited for a core the machine's other work held
        value += f" (not its own work: {out['other_cores']:.2f} other cores busy)"
    add(
        "load process kept up (CPU while sending / sent late p99 / loop lag max)",
        f"< {LOAD_BUSY_CORES:g} core, p99 < {LOAD_LATE_MS:g} ms",
        value,
        not busy and not late,
        kind="check",
    )
    return rows


def print_targets(rows: list[dict[str, Any]], indent: str = "  ") -> None:
    for row in rows:
        mark = "✓" if row["ok"] else "✗"
        print(f"{indent}{mark} {row['name']}: {row['value']} (target {row['target']})", flush=True)


async def run_storm(
    args: argparse.Namespace,
    workdir: Path,
    target: Target | None = None,
    backends: Any = None,
    joins: int | None = None,
) -> dict[str, Any]:
    """The round-start storm against one LiveBoard (by default on SQLite) or a cluster: watchers and participants
    are spread over its instances (participant i through instance i mod k, both their requests); snapshots and
    the capacities through the first."""
    watchers, seconds = args.storm_watchers, args.storm_seconds
    joins = joins or args.storm_joins[0]
    htmx = not args.plain
    target = target or LiveBoard(args.python)
    parts: list[tuple[str, LiveBoard]] = target.parts()  # type: ignore[assignment]
    lead = parts[0][1]
    print(
        f"\n== storm on {target.name}: {joins} {'htmx' if htmx else 'plain'} joins in {seconds:g}s "
        f"({args.change_mind:.0%} change their mind, {args.leave:.0%} leave, {args.second_after:g}s after the "
        f"reply) while {watchers} watch ==",
        flush=True,
    )
    await target.start(workdir)
    servers = target.servers()
    load = Load(HOST, target.server.port)
    out: dict[str, Any] = {
        "target": target.name,
        "watchers": watchers,
        "joins": joins,
        "seconds": seconds,
        "htmx": htmx,
        "change_mind": args.change_mind,
        "leave": args.leave,
        "second_after": args.second_after,
        "loadavg_before": os.getloadavg(),
    }
    try:
        snap = await lead.snapshot()
        rounds = sorted(snap["rounds"], key=lambda r: (r.get("starts") or "", r["id"]))
        first = rounds[0]["id"]
        sessions = [s for s in snap["sessions"] if s["round_id"] == first]
        rooms = {r["id"]: r for r in snap["rooms"]}
        # Room for everyone in every session of the round: one session per participant per round, so the changes
        # of mind need no more than this either; nobody is refused for a full room.
        for s in sessions:
            room = rooms[s["room_id"]]
            if room["capacity"] < s["present"] + joins:
                await lead.set_capacity(room, s["present"] + joins)
        plans = storm_plan(joins, [s["id"] for s in sessions], args.change_mind, args.leave)
        t = time.perf_counter()
        cookies = await lead.participants(joins)
        print(f"{joins} participants in {time.perf_counter() - t:.1f}s; sessions {[s['id'] for s in sessions]}")
        snap = await lead.snapshot()
        v0 = snap["version"]
        initial = {s["id"]: s["present"] for s in snap["sessions"]}
        group_of: dict[int, str] = {}  # id(client) → its instance's label
        ok = failed = 0
        for (label, part), count in zip(parts, shares(watchers, len(parts)), strict=True):
            first_client = len(load.clients)
            opened, refused = await load.connect(
                [(part.ws_path(view, v0), view) for view in views_for(count, args.screens)],
                v0,
                batch=args.batch,
                timeout=30,
                port=part.server.port,
            )
            ok, failed = ok + opened, failed + refused
            group_of.update((id(c), label) for c in load.clients[first_client:])
        print(f"connected {ok} watchers, failed {failed}", flush=True)
        await asyncio.sleep(1.0)
        t_from = time.perf_counter()
        cpu0, lcpu0, mcpu0 = [server.cpu() for server in servers], cpu_seconds(), machine_cpu()
        rcpu0, pcpu0 = (backends.redis_cpu(), backends.postgres_cpu()) if backends else (math.nan, math.nan)
        sampler = None
        if lead.database_url and lead.database_url.startswith("postgresql"):
            from cluster import LockSampler

            sampler = LockSampler(lead.database_url)
            await sampler.start()
        label = "storm-" + target.name.replace(" ", "")
        profiler = start_py_spy(args, target, label, workdir, seconds + 5) if args.py_spy else []
        lag = LoopLag()
        lag.start()
        start = time.perf_counter() + STORM_LEAD
        lcpu_start = cpu_seconds()
        acts = await asyncio.wait_for(
            crowd(plans, cookies, [p for _, p in parts], start, seconds, args.second_after, htmx, args.storm_inflight),
            seconds + args.second_after + 2 * STORM_TIMEOUT + 30,
        )
        t_done, lcpu_done = time.perf_counter(), cpu_seconds()
        lag.stop()
        sent = [a for a in acts if not math.isnan(a.t0)]
        t_last = max(a.t0 for a in sent)
        t_last_reply = max(a.t1 for a in sent)
        last_snap = await lead.snapshot()
        await load.quiet(2.0, limit=30)
        final_snap = await lead.snapshot()  # after the frames went quiet: nothing committed late goes unseen
        cpu1, lcpu1, mcpu1 = [server.cpu() for server in servers], cpu_seconds(), machine_cpu()
        rcpu1, pcpu1 = (backends.redis_cpu(), backends.postgres_cpu()) if backends else (math.nan, math.nan)
        wall = time.perf_counter() - t_from
        finish_py_spy(profiler)
        if sampler is not None:
            await sampler.stop()
            out["postgres_activity"] = sampler.summary(start, t_last_reply)
        final = {s["id"]: s["present"] for s in final_snap["sessions"]}
        low, high, doubt = implied_counts(initial, acts)
        statuses: dict[str, int] = {}
        by_kind: dict[str, dict[str, Any]] = {}
        planned = {"join": len(plans), "change": 0, "leave": 0}
        for plan in plans:
            if plan.then:
                planned[plan.then] += 1
        for kind in ("join", "change", "leave"):
            mine = [a for a in sent if a.kind == kind]
            kind_statuses: dict[str, int] = {}
            for a in mine:
                kind_statuses[str(a.status)] = kind_statuses.get(str(a.status), 0) + 1
                statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
            by_kind[kind] = {
                "planned": planned[kind],
                "sent": len(mine),
                "statuses": kind_statuses,
                "reply_ms": summary_ms([a.t1 - a.t0 for a in mine]),
                "reply_bytes_p50": statistics.median(a.nbytes for a in mine) if mine else 0,
            }
        errors = [a for a in sent if not a.acknowledged]
        firsts = [a.t0 for a in sent if a.kind == "join"]
        out.update(
            connect_failed=failed,
            watchers_connected=ok,
            statuses=statuses,
            by_kind=by_kind,
            requests=len(sent),
            second_actions_not_sent=sum(planned[k] - by_kind[k]["sent"] for k in ("change", "leave")),
            joins_span_s=max(firsts) - min(firsts),
            requests_span_s=t_last - min(a.t0 for a in sent),
            last_reply_after_last_request_ms=(t_last_reply - t_last) * 1000,
            reply_ms=summary_ms([a.t1 - a.t0 for a in sent]),
            join_reply_ms=by_kind["join"]["reply_ms"],
            htmx_replies_without_fragment=sum(1 for a in sent if a.fragment is False),
            errors_count=len(errors),
            errors_list=[
                f"{a.kind} of participant {a.who} (session {a.session}, instance {parts[a.part][0] or target.name}) "
                f"at {a.t0 - start:.2f}s: {a.status if a.status > 0 else 'no answer'} after "
                f"{(a.t1 - a.t0) * 1000:.0f} ms {a.error[:120]}"
                for a in errors[:200]
            ],
            final_version=final_snap["version"],
            snapshot_moved_after_last_reply=final_snap["version"] != last_snap["version"],
            present_added=sum(final.values()) - sum(initial.values()),
            implied_low=low,
            implied_high=high,
            implied_in_doubt=doubt,
            snapshot_not_implied={sid: (final.get(sid), low[sid], high[sid]) for sid in within(final, low, high)},
            server_cpu_s=sum(cpu1) - sum(cpu0),
            server_cpu_each_s=[b - a for a, b in zip(cpu0, cpu1, strict=True)],
            load_cpu_s=lcpu1 - lcpu0,
            load_process={
                "cores_sending": (lcpu_done - lcpu_start) / max(1e-9, t_done - start),
                "late_ms": summary_ms([a.t0 - a.due for a in sent]),
                "loop_lag_ms": lag.summary_ms(),
            },
            redis_cpu_s=rcpu1 - rcpu0,
            postgres_cpu_s=pcpu1 - pcpu0,
            other_cores=(
                (mcpu1 - mcpu0)
                - (sum(cpu1) - sum(cpu0))
                - (lcpu1 - lcpu0)
                - sum(x for x in (rcpu1 - rcpu0, pcpu1 - pcpu0) if not math.isnan(x))
            )
            / max(1e-9, wall),
            storm_wall_s=wall,
            loadavg_after=os.getloadavg(),
            act_log=[
                (a.who, a.kind, a.session, round(a.t0 - start, 4), round((a.t1 - a.t0) * 1000, 1), a.status)
                for a in sent
            ],
            rss_kb=sum(server.rss_kb() for server in servers),
        )
        out.update(watcher_figures(load, group_of, initial, final, low, high, v0, t_from, t_last))
        out["errors"] = load.stats.errors[:20]
        out["targets"] = storm_targets(out)
    finally:
        for client in load.clients:
            if client.transport is not None:
                client.transport.abort()
        load.clients = []
        await asyncio.sleep(0.2)
        target.stop()
    c = out.get("converged_all", {})
    print(
        f"storm: replies {out.get('statuses')} ({out.get('requests')} requests), last reply "
        f"{out.get('last_reply_after_last_request_ms', 0):.0f} ms after the last request; every watcher exact after "
        f"{c.get('max', float('nan')):.0f} ms (p50 {c.get('p50', float('nan')):.0f}); not converged "
        f"{out.get('not_converged')}; max frames in 1 s {out.get('max_frames_in_1s')}",
        flush=True,
    )
    print_targets(out.get("targets", []))
    for line in out.get("errors_list", [])[:10]:
        print("  !", line, flush=True)
    return out


# --- report ------------------------------------------------------------------------------------------------------

TARGETS = {
    "p99 ms": ("≤ 1.3× baseline at 2,000 and 5,000", 1.3),
    "server RSS held, MB": ("≤ 2× baseline at 5,000", 2.0),
}


def fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}" if abs(value) >= 1000 else f"{value:.1f}"
    return str(value)


def _ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b and not math.isnan(a) and not math.isnan(b):
        return a / b
    return None


def paired_ratios(lives: list[FanoutResult], bases: list[FanoutResult]) -> dict[str, float]:
    """Per measure, the median of run-by-run ratios (LiveBoard run i / baseline run i, run one after the other):
    a slow moment of the machine then hits both sides of a ratio, not one."""
    if len(lives) != len(bases) or len(lives) < 2:
        return {}
    out = {}
    for key in lives[0].row():
        ratios = [_ratio(a.row()[key], b.row()[key]) for a, b in zip(lives, bases, strict=True)]
        if all(r is not None for r in ratios):
            out[key] = statistics.median(ratios)  # type: ignore[type-var]
    return out


def table(
    runs: list[tuple[FanoutResult | None, FanoutResult | None]], paired: list[dict[str, float]] | None = None
) -> str:
    lines = [
        "| clients | measure | LiveBoard | baseline | ratio | paired ratio |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for index, (live, base) in enumerate(runs):
        ref = live or base
        assert ref is not None
        lrow = live.row() if live else {}
        brow = base.row() if base else {}
        pairs = paired[index] if paired and index < len(paired) else {}
        for key in ref.row():
            lv, bv = lrow.get(key), brow.get(key)
            ratio = _ratio(lv, bv) if "other CPU" not in key else None
            pr = pairs.get(key) if "other CPU" not in key else None
            lines.append(
                f"| {ref.clients:,} | {key} | {fmt(lv)} | {fmt(bv)} | {fmt(ratio) + '×' if ratio else '–'} "
                f"| {fmt(pr) + '×' if pr else '–'} |"
            )
        if live:
            for view, s in live.latency.items():
                if view != "all":
                    lines.append(
                        f"| {ref.clients:,} | LiveBoard {view}s ({live.views.get(view, 0)}) p50 / p99 ms | "
                        f"{s['p50']:.1f} / {s['p99']:.1f} | | | |"
                    )
    return "\n".join(lines)


def merge_storms(storms: list[dict[str, Any]]) -> dict[str, Any]:
    """Several storms folded into one: medians of the times, worst frame rate, statuses, errors and misses added
    up; a target is met only if every storm met it, and its value is shown run by run."""
    if len(storms) == 1:
        return storms[0]
    out = dict(storms[0])
    out["repeats"] = len(storms)
    added = ("statuses", "not_converged", "not_converged_by_instance")
    for key, value in storms[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            if key in (
                "errors_count",
                "watchers_end_not_implied",
                "implied_in_doubt",
                "htmx_replies_without_fragment",
                "connect_failed",
                "second_actions_not_sent",
            ):
                out[key] = sum(s[key] for s in storms)
            else:
                out[key] = statistics.median(s[key] for s in storms)
        elif isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values()):
            keys = {k for s in storms for k in s.get(key, {})}
            if key in added:
                out[key] = {k: sum(s.get(key, {}).get(k, 0) for s in storms) for k in sorted(keys)}
            elif key == "max_frames_in_1s_by_instance":
                out[key] = {k: max(s.get(key, {}).get(k, 0) for s in storms) for k in sorted(keys)}
            elif key not in ("implied_low", "implied_high"):  # per run, not to be mixed
                out[key] = {k: statistics.median(s[key].get(k, float("nan")) for s in storms) for k in keys}
        elif key == "converged_by_instance":
            out[key] = {
                label: {
                    stat: statistics.median(s[key][label][stat] for s in storms if label in s.get(key, {}))
                    for stat in figures
                }
                for label, figures in value.items()
            }
        elif key == "server_cpu_each_s":
            out[key] = [statistics.median(s[key][i] for s in storms) for i in range(len(value))]
        elif key == "load_process":
            out[key] = {
                "cores_sending": max(s[key]["cores_sending"] for s in storms),
                "late_ms": {stat: max(s[key]["late_ms"][stat] for s in storms) for stat in value["late_ms"]},
                "loop_lag_ms": {
                    stat: max(s[key]["loop_lag_ms"][stat] for s in storms) for stat in value["loop_lag_ms"]
                },
            }
        elif key == "by_kind":
            out[key] = {kind: _merge_kind([s[key][kind] for s in storms if kind in s.get(key, {})]) for kind in value}
        elif key == "errors_list":
            out[key] = [f"storm {n + 1}: {line}" for n, s in enumerate(storms) for line in s.get(key, [])][:200]
    out["max_frames_in_1s"] = max(s.get("max_frames_in_1s", 0) for s in storms)
    out["converged_max_each_run_ms"] = [s.get("converged_all", {}).get("max") for s in storms]
    out["targets"] = [
        dict(
            row,
            ok=all(s["targets"][i]["ok"] for s in storms),
            value="; ".join(s["targets"][i]["value"] for s in storms),  # each run's; "|" would split the table
        )
        for i, row in enumerate(storms[0].get("targets", []))
    ]
    out.pop("act_log", None)
    return out


def _merge_kind(each: list[dict[str, Any]]) -> dict[str, Any]:
    """One kind of request (join, change, leave) over several storms: statuses added up, the rest medians."""
    statuses = {k: sum(e["statuses"].get(k, 0) for e in each) for k in sorted({k for e in each for k in e["statuses"]})}
    return {
        "planned": round(statistics.median(e["planned"] for e in each)),
        "sent": round(statistics.median(e["sent"] for e in each)),
        "statuses": statuses,
        "reply_ms": {stat: statistics.median(e["reply_ms"][stat] for e in each) for stat in each[0]["reply_ms"]},
        "reply_bytes_p50": statistics.median(e["reply_bytes_p50"] for e in each),
    }


def _storm_rows(storm: dict[str, Any]) -> list[tuple[str, str]]:
    """The storm's rows: its targets first (each run's value when several, ✓ when every run met it), then the
    figures behind them."""
    c = storm.get("converged_all", {})
    nan = float("nan")
    rows = [
        (
            f"{'target' if row['kind'] == 'target' else 'check'}: {row['name']} ({row['target']})",
            f"{row['value']} {'✓' if row['ok'] else '✗'}",
        )
        for row in storm.get("targets", [])
    ]
    kinds = storm.get("by_kind", {})
    plan = (
        f"{int(storm['watchers']):,} / {int(storm['joins']):,} {'htmx' if storm.get('htmx') else 'plain'} joins in "
        f"{storm['seconds']:g} s; {kinds.get('change', {}).get('planned', 0):,} change their mind, "
        f"{kinds.get('leave', {}).get('planned', 0):,} leave, {storm.get('second_after', 0):g} s after their join's "
        "reply"
    )
    rows += [
        (
            "watchers / participants / what they do",
            plan + (f" (medians of {storm['repeats']} storms)" if storm.get("repeats") else ""),
        ),
        ("replies (status: count)", ", ".join(f"{k}: {v}" for k, v in storm.get("statuses", {}).items())),
    ]
    if storm.get("htmx"):
        rows.append(("htmx 200s without the phone's #my-evening", str(storm.get("htmx_replies_without_fragment", 0))))
    if storm.get("second_actions_not_sent"):  # their join was not acknowledged: a phone does not go on from there
        rows.append(("changes / leaves not sent (their join failed)", str(storm["second_actions_not_sent"])))
    if storm.get("snapshot_moved_after_last_reply"):
        rows.append(("/api/events/demo changed after the last reply (a late commit)", "yes"))
    for kind, label in (("join", "joins"), ("change", "changes of mind"), ("leave", "leaves")):
        figures = kinds.get(kind)
        if figures and figures.get("sent"):
            r = figures["reply_ms"]
            rows.append(
                (
                    f"{label}: sent, reply p50 / p99 / max ms, reply bytes (median)",
                    f"{figures['sent']:,}: {r['p50']:.0f} / {r['p99']:.0f} / {r['max']:.0f}, "
                    f"{figures.get('reply_bytes_p50', 0):,.0f}",
                )
            )
    rows += [
        ("first joins sent over, s", f"{storm.get('joins_span_s', 0):.2f}"),
        ("all requests sent over, s", f"{storm.get('requests_span_s', 0):.2f}"),
        ("last reply after the last request, ms", f"{storm.get('last_reply_after_last_request_ms', 0):.0f}"),
        ("every watcher exact, ms after the last request", f"{c.get('max', nan):.0f}"),
        (
            "the same, each run, ms",
            " / ".join(f"{x:.0f}" for x in storm.get("converged_max_each_run_ms") or [c.get("max", nan)]),
        ),
        ("per watcher p50 / p99 ms", f"{c.get('p50', nan):.0f} / {c.get('p99', nan):.0f}"),
    ]
    by_instance = storm.get("converged_by_instance")
    if by_instance:
        rows.append(
            (
                "every watcher exact, by instance (" + " / ".join(by_instance) + "), ms",
                " / ".join(f"{figures['max']:.0f}" for figures in by_instance.values()),
            )
        )
    rows += [
        (
            "watchers that failed to connect / other watcher errors",
            f"{int(storm.get('connect_failed', 0))} / {len(storm.get('errors') or [])}",
        ),
        ("watchers not converged", json.dumps(storm.get("not_converged", {}))),
        ("most frames one client got in any 1 s", str(storm.get("max_frames_in_1s"))),
    ]
    if storm.get("max_frames_in_1s_by_instance"):
        rates = storm["max_frames_in_1s_by_instance"]
        rows.append(("the same, by instance (" + " / ".join(rates) + ")", " / ".join(str(r) for r in rates.values())))
    rows.append(
        (
            "frames / bytes per watcher (median)",
            f"{storm['frames_per_client_p50']:.0f} / {storm['bytes_per_client_p50']:,.0f}",
        )
    )
    each = storm.get("server_cpu_each_s") or []
    server = f"{storm.get('server_cpu_s', 0):.1f}"
    if len(each) > 1:
        server += " (" + " + ".join(f"{x:.1f}" for x in each) + ")"
    rows.append(
        (
            "CPU during the storm, s: server / load process",
            f"{server} / {storm.get('load_cpu_s', 0):.1f} (over {storm.get('storm_wall_s', 0):.1f} s)",
        )
    )
    rows.append(("other CPU on the machine meanwhile, cores", f"{storm.get('other_cores', nan):.2f}"))
    if storm.get("loadavg_before"):
        rows.append(("load average before (1 / 5 / 15 min)", " / ".join(f"{x:.2f}" for x in storm["loadavg_before"])))
    activity = storm.get("postgres_activity")
    if activity:
        rows.append(
            (
                "PostgreSQL statements running / waiting for a lock, mean (most)",
                f"{activity['active_mean']:.1f} ({activity['active_max']:.0f}) / "
                f"{activity['lock_waits_mean']:.1f} ({activity['lock_waits_max']:.0f})",
            )
        )
    if not math.isnan(storm.get("postgres_cpu_s", nan)):
        rows.append(
            (
                "CPU during the storm, s: PostgreSQL / Redis",
                f"{storm['postgres_cpu_s']:.1f} / {storm.get('redis_cpu_s', nan):.2f}",
            )
        )
    return rows


def storm_table(*storms: dict[str, Any]) -> str:
    """One column per storm (e.g. two instances, then one), the same rows for each."""
    columns = [dict(_storm_rows(storm)) for storm in storms]
    names: list[str] = []
    for column in columns:
        names += [name for name in column if name not in names]
    head = "| storm | " + " | ".join(str(storm.get("target", "")) for storm in storms) + " |"
    lines = [head, "| --- |" + " ---: |" * len(storms)]
    lines += [f"| {name} | " + " | ".join(column.get(name, "–") for column in columns) + " |" for name in names]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> dict[str, int]:
    out = {}
    for part in text.split(","):
        view, _, size = part.partition("=")
        out[view.strip()] = int(size)
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    nofile = raise_nofile()
    need = max(args.clients, default=0) + 100
    if nofile < need:
        print(f"warning: open-file limit {nofile} < {need}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="liveboard-fanout-"))
    print(f"work dir {workdir}; load process pid {os.getpid()}, open-file limit {nofile}", flush=True)
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": command_line(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "load_loop": type(asyncio.get_running_loop()).__module__,
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "code": code_state(),
        "fanout": [],
    }
    runs: list[tuple[FanoutResult | None, FanoutResult | None]] = []
    paired: list[dict[str, float]] = []
    if not args.storm_only and not args.cluster_only:
        for n in args.clients:
            lives: list[FanoutResult] = []
            bases: list[FanoutResult] = []
            sizes = dict(args.frame_size)
            for _ in range(args.repeat):  # alternating, so slow phases of the machine hit both alike
                if not args.baseline_only:
                    lives.append(await run_fanout(LiveBoard(args.python, args.htmx), n, args, workdir))
                    sizes.update({v: int(s) for v, s in lives[-1].frame_payload_median.items()})
                if not args.no_baseline:
                    bases.append(await run_fanout(Baseline(args.python, sizes), n, args, workdir))
            live = median_result(lives) if lives else None
            base = median_result(bases) if bases else None
            runs.append((live, base))
            paired.append(paired_ratios(lives, bases))
            results["fanout"].append(
                {
                    "clients": n,
                    "liveboard": _as_dict(live),
                    "baseline": _as_dict(base),
                    "baseline_sizes": sizes,
                    "paired_ratios": paired[-1],
                    "liveboard_runs": [_as_dict(r) for r in lives] if len(lives) > 1 else None,
                    "baseline_runs": [_as_dict(r) for r in bases] if len(bases) > 1 else None,
                }
            )
    merged_storms = []
    if not args.baseline_only and not args.no_storm and not args.cluster_only:
        for joins in args.storm_joins:
            storms = [await run_storm(args, workdir, joins=joins) for _ in range(args.storm_repeat)]
            merged_storms.append(merge_storms(storms))
            results.setdefault("storms", []).append({"joins": joins, "storm": merged_storms[-1], "runs": storms})
    if runs:
        print("\n## Fan-out: one join, time from just before its POST to its frame at each client\n")
        if args.repeat > 1:
            print(
                f"Medians of {args.repeat} runs per target, alternating; ratio = of the medians, paired ratio = median"
                " of the run-by-run ratios; missing changes added up over the runs.\n"
            )
        print(table(runs, paired))
    for storm in merged_storms:
        print()
        print(storm_table(storm))
    if args.cluster or args.cluster_only:
        cluster = await run_cluster_suite(args, workdir)
        results["cluster"] = cluster
        print_cluster(cluster, args)
    code = results["code"]
    print(f"\ncode: {code['head']} + {code['changed_files']} changed files (app tree {code['tree_sha256']})")
    print(f"command: {results['command']}")
    return results


# --- two instances on PostgreSQL and Redis ----------------------------------------------------------------------


async def run_cluster_suite(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Per client count, `--repeat` times in turn: two instances relaying through Redis (clients half on each,
    changes through A), one instance on the same PostgreSQL with `memory://` holding all the clients, and the
    bare baseline; then `--storm-repeat` storms on the two instances and on the one, in turn. PostgreSQL and
    Redis are started once; every LiveBoard run gets a fresh copy of the demo database."""
    from cluster import Backends

    backends = Backends(workdir)
    await asyncio.wait_for(asyncio.to_thread(backends.start), 120)
    out: dict[str, Any] = {"fanout": [], "postgres_port": backends.pg.port, "redis_port": backends.redis.port}

    async def fresh() -> str:
        return await asyncio.wait_for(asyncio.to_thread(backends.fresh_database), 120)

    try:
        if not args.storm_only:
            for n in args.clients:
                clusters: list[FanoutResult] = []
                singles: list[FanoutResult] = []
                bases: list[FanoutResult] = []
                sizes = dict(args.frame_size)
                for _ in range(args.repeat):
                    url = await fresh()
                    cluster = Cluster(args.python, args.htmx, url, backends.redis_url, args.instances)
                    clusters.append(await run_fanout(cluster, n, args, workdir, backends))
                    sizes.update({v: int(s) for v, s in clusters[-1].frame_payload_median.items()})
                    single = LiveBoard(
                        args.python, args.htmx, database_url=await fresh(), broadcast_url="memory://", name="1 instance"
                    )
                    singles.append(await run_fanout(single, n, args, workdir, backends))
                    if not args.no_baseline:
                        bases.append(await run_fanout(Baseline(args.python, sizes), n, args, workdir))
                    await asyncio.wait_for(asyncio.to_thread(backends.drop_databases), 60)
                out["fanout"].append(
                    {
                        "clients": n,
                        "cluster": _as_dict(median_result(clusters)),
                        "single": _as_dict(median_result(singles)),
                        "baseline": _as_dict(median_result(bases)) if bases else None,
                        "baseline_sizes": sizes,
                        "cluster_runs": [_as_dict(r) for r in clusters],
                        "single_runs": [_as_dict(r) for r in singles],
                        "baseline_runs": [_as_dict(r) for r in bases],
                        "paired_cluster_baseline": paired_ratios(clusters, bases),
                        "paired_single_baseline": paired_ratios(singles, bases),
                        "paired_cluster_single": paired_ratios(clusters, singles),
                    }
                )
        for joins in [] if args.no_storm else args.storm_joins:
            cluster_storms: list[dict[str, Any]] = []
            single_storms: list[dict[str, Any]] = []
            for _ in range(args.storm_repeat):
                target: Target = Cluster(args.python, args.htmx, await fresh(), backends.redis_url, args.instances)
                cluster_storms.append(await run_storm(args, workdir, target, backends, joins))
                if not args.no_single_storm:
                    target = LiveBoard(
                        args.python, args.htmx, database_url=await fresh(), broadcast_url="memory://", name="1 instance"
                    )
                    single_storms.append(await run_storm(args, workdir, target, backends, joins))
                await asyncio.wait_for(asyncio.to_thread(backends.drop_databases), 60)
            entry: dict[str, Any] = {
                "joins": joins,
                "cluster": merge_storms(cluster_storms),
                "cluster_runs": cluster_storms,
            }
            if single_storms:
                entry.update(single=merge_storms(single_storms), single_runs=single_storms)
            out.setdefault("storms", []).append(entry)
    finally:
        await asyncio.wait_for(asyncio.to_thread(backends.close), 120)
    return out


def _lat(figures: dict[str, Any] | None, stat: str) -> float:
    if not figures:
        return math.nan
    return figures.get("latency", {}).get("all", {}).get(stat, math.nan)


def redis_hop(runs: list[dict[str, Any]], a: str = "A", b: str = "B") -> dict[str, float]:
    """Per measure, the median over the runs of (clients on B) − (clients on A): what the relay adds."""
    out = {}
    for stat in ("p50", "p95", "p99", "max"):
        diffs = [_lat(r["instances"][b], stat) - _lat(r["instances"][a], stat) for r in runs if r["instances"]]
        out[stat] = statistics.median(diffs) if diffs else math.nan
    diffs = [r["instances"][b]["first_ms"] - r["instances"][a]["first_ms"] for r in runs if r["instances"]]
    out["first"] = statistics.median(diffs) if diffs else math.nan
    return out


def cluster_tables(entry: dict[str, Any]) -> str:
    """Per instance against the one instance holding all clients; then the whole system against the baseline."""
    n = entry["clients"]
    cluster, single, base = entry["cluster"], entry["single"] or {}, entry["baseline"] or {}
    labels = list(cluster["instances"])
    inst = cluster["instances"]

    def per(figures: dict[str, Any], key: str) -> float:
        if key.startswith("lat:"):
            return _lat(figures, key[4:])
        return figures.get(key, math.nan)

    def single_value(key: str) -> float:
        if key.startswith("lat:"):
            return _lat(single, key[4:])
        if key in ("rss_held_kb", "rss_idle_kb"):
            return single.get(key, math.nan)
        if key == "server_cpu_ms":
            return single.get("row", {}).get("server CPU / change, ms", math.nan)
        if key == "clients":
            return single.get("clients", math.nan)
        return single.get(key, math.nan)

    measures = [
        ("clients held", "clients", 1),
        ("p50 ms", "lat:p50", 1),
        ("p95 ms", "lat:p95", 1),
        ("p99 ms", "lat:p99", 1),
        ("max ms", "lat:max", 1),
        ("first client ms (median over changes)", "first_ms", 1),
        ("missing (client, change)", "missing_pairs", 1),
        ("frames / client / change", "frames_per_client_change", 1),
        ("server CPU / change, ms", "server_cpu_ms", 1),
        ("server RSS held, MB", "rss_held_kb", 1024),
        ("server RSS for the connections, MB", "rss_conn", 1024),
    ]
    head = (
        f"| clients | measure | {' | '.join(f'instance {x}' for x in labels)} | {labels[-1]} − {labels[0]} "
        f"| 1 instance, all {n:,} | {' | '.join(f'{x} / 1 instance' for x in labels)} |"
    )
    lines = [head, "| ---: | --- |" + " ---: |" * (2 * len(labels) + 2)]
    for name, key, scale in measures:
        if key == "rss_conn":
            values = [(inst[x]["rss_held_kb"] - inst[x]["rss_idle_kb"]) / scale for x in labels]
            one = (single_value("rss_held_kb") - single_value("rss_idle_kb")) / scale
        else:
            values = [per(inst[x], key) / scale for x in labels]
            one = single_value(key) / scale
        diff = values[-1] - values[0] if key.startswith("lat:") or key == "first_ms" else None
        ratios = [_ratio(v, one) for v in values] if key not in ("missing_pairs",) else [None] * len(values)
        lines.append(
            f"| {n:,} | {name} | {' | '.join(fmt(v) for v in values)} | {fmt(diff) if diff is not None else '–'} "
            f"| {fmt(one)} | {' | '.join(fmt(r) + '×' if r else '–' for r in ratios)} |"
        )
    hop = redis_hop(entry["cluster_runs"], labels[0], labels[-1])
    lines.append("")
    lines.append(
        f"Redis hop at {n:,} ({labels[-1]} − {labels[0]}, median of the run-by-run differences): "
        f"p50 {hop['p50']:+.1f} ms, p99 {hop['p99']:+.1f} ms, first client {hop['first']:+.1f} ms. "
        f"The change's message reached a Redis subscriber {cluster.get('relay_ms', math.nan):.1f} ms after the "
        f"request was sent ({cluster.get('relay_after_reply_ms', math.nan):+.1f} ms from its reply)."
    )
    lines.append("")
    # The whole system.
    crow, srow, brow = cluster.get("row", {}), single.get("row", {}), base.get("row", {})
    pc, ps = entry.get("paired_cluster_baseline") or {}, entry.get("paired_single_baseline") or {}
    lines += [
        f"| clients | measure | {len(labels)} instances (all) | 1 instance | baseline | {len(labels)} inst. / baseline "
        "| paired | 1 inst. / baseline | paired |",
        "| ---: | --- |" + " ---: |" * 7,
    ]
    for key in (
        "p50 ms",
        "p99 ms",
        "max ms",
        "missing (client, change)",
        "HTTP reply of the change ms (median)",
        "server CPU / change, ms",
        "server RSS held, MB",
        "load-process CPU / change, ms",
        "other CPU on the machine meanwhile, cores",
    ):
        cv, sv, bv = crow.get(key), srow.get(key), brow.get(key)
        ratio = key not in ("missing (client, change)", "other CPU on the machine meanwhile, cores")
        cells = [
            fmt(cv),
            fmt(sv),
            fmt(bv),
            *(
                [
                    fmt(_ratio(cv, bv)) + "×" if _ratio(cv, bv) else "–",
                    fmt(pc.get(key)) + "×" if pc.get(key) else "–",
                    fmt(_ratio(sv, bv)) + "×" if _ratio(sv, bv) else "–",
                    fmt(ps.get(key)) + "×" if ps.get(key) else "–",
                ]
                if ratio
                else ["–"] * 4
            ),
        ]
        lines.append(f"| {n:,} | {key} (all clients) | " + " | ".join(cells) + " |")
    changes = max(1, len(cluster.get("changes", [])))
    for key, label in (("redis_cpu_s", "Redis CPU / change, ms"), ("postgres_cpu_s", "PostgreSQL CPU / change, ms")):
        cv = cluster.get(key, math.nan) / changes * 1000
        sv = single.get(key, math.nan) / max(1, len(single.get("changes", []))) * 1000 if single else math.nan
        lines.append(f"| {n:,} | {label} | {fmt(cv)} | {fmt(sv)} | – | – | – | – | – |")
    return "\n".join(lines)


def print_cluster(cluster: dict[str, Any], args: argparse.Namespace) -> None:
    print("\n## Two instances on PostgreSQL and Redis, against one instance holding all the clients\n")
    print(
        f"Medians of {args.repeat} runs per client count (two instances, one, baseline in turn); changes through "
        "instance A; per-instance figures are that instance's clients and process.\n"
    )
    for entry in cluster.get("fanout", []):
        print(cluster_tables(entry))
        print()
    for entry in cluster.get("storms", []):
        print(storm_table(*[s for s in (entry.get("cluster"), entry.get("single")) if s]))
        print()


def _as_dict(r: FanoutResult | None) -> dict[str, Any] | None:
    if r is None:
        return None
    d = {k: v for k, v in r.__dict__.items() if k != "changes"}
    d["changes"] = [c.__dict__ for c in r.changes]
    d["row"] = r.row()
    return d


def code_state() -> dict[str, Any]:
    """Which code was measured: the commit, and a digest of the working tree's app files (edits not committed)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("liveboard/**/*.py"), *ROOT.glob("templates/**/*")]):
        if not path.is_file():
            continue
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "liveboard", "templates"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.count("\n")
    except (OSError, subprocess.SubprocessError):
        head, dirty = "", -1
    return {"head": head, "changed_files": dirty, "tree_sha256": digest.hexdigest()[:16]}


def command_line() -> str:
    return f"cd {shlex.quote(str(Path.cwd()))} && " + " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="LiveBoard fan-out benchmark (see the module docstring)")
    p.add_argument("--clients", default="500,1000,2000,5000", help="client counts, comma-separated")
    p.add_argument("--changes", type=int, default=20, help="measured changes per client count")
    p.add_argument("--warmup", type=int, default=2, help="changes made before measuring")
    p.add_argument("--gap", type=float, default=0.2, help="seconds between changes, after all clients have one")
    p.add_argument("--screens", type=float, default=0.1, help="share of the clients that are wall screens")
    p.add_argument("--batch", type=int, default=200, help="connections opened at a time")
    p.add_argument(
        "--frame-size",
        type=parse_sizes,
        default="phone=300,screen=250",
        help="baseline frame sizes when LiveBoard is not measured first",
    )
    p.add_argument("--baseline-only", action="store_true", help="only the baseline (validates the load client)")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--no-storm", action="store_true")
    p.add_argument("--storm-only", action="store_true")
    p.add_argument(
        "--htmx",
        action="store_true",
        help="the fan-out's changes as htmx sends them (fragments rendered in each reply); storms: unless --plain",
    )
    p.add_argument("--plain", action="store_true", help="storms: joins and leaves as plain form posts (303), not htmx")
    p.add_argument("--repeat", type=int, default=3, help="runs per client count and target; medians are shown")
    p.add_argument("--storm-repeat", type=int, default=3, help="storms; medians are shown, and the worst frame rate")
    p.add_argument("--storm-watchers", type=int, default=1000)
    p.add_argument("--storm-joins", default="1000", help="joins per storm; several, comma-separated: storms of each")
    p.add_argument("--storm-seconds", type=float, default=5.0, help="the first joins are paced evenly over this")
    p.add_argument(
        "--change-mind", type=float, default=0.2, help="share of the participants who then join another session"
    )
    p.add_argument(
        "--leave", type=float, default=0.1, help="share who then leave (none of them also change their mind)"
    )
    p.add_argument(
        "--second-after", type=float, default=1.0, help="seconds after a join's reply that the change or leave is sent"
    )
    p.add_argument(
        "--storm-inflight", type=int, default=0, help="most storm requests in flight at once (default: no limit)"
    )
    p.add_argument(
        "--cluster",
        action="store_true",
        help="then two instances on PostgreSQL and Redis against one on PostgreSQL (and the baseline); their storms",
    )
    p.add_argument("--cluster-only", action="store_true", help="only the --cluster part")
    p.add_argument("--instances", type=int, default=2, help="instances in the --cluster runs")
    p.add_argument("--no-single-storm", action="store_true", help="--cluster: no one-instance storms to compare")
    p.add_argument("--quick", action="store_true", help="500 clients, 5 changes, a 300-join storm")
    p.add_argument("--python", default=sys.executable, help="interpreter for the servers")
    p.add_argument(
        "--py-spy", metavar="DIR", help="profile LiveBoard with py-spy during the changes and the storm (raw stacks)"
    )
    p.add_argument(
        "--uvloop", action="store_true", help="run the load process on uvloop (if installed): a cheaper client"
    )
    p.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds")
    p.add_argument("--out", help="JSON results (default /tmp/fanout-DATE.json)")
    args = p.parse_args(argv)
    if args.quick:
        args.clients, args.changes = "500", 5
        args.storm_watchers, args.storm_joins, args.storm_seconds = 300, "300", 3.0
        args.repeat = args.storm_repeat = 1
    args.clients = [int(x) for x in str(args.clients).split(",") if x.strip()]
    args.storm_joins = [int(x) for x in str(args.storm_joins).split(",") if x.strip()]
    if not args.out:
        args.out = f"/tmp/fanout-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    return args


def run() -> int:
    args = parse_args()

    def bail(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, bail)
    try:
        loop_factory = None
        if args.uvloop:
            import uvloop  # optional, in this load process only: the servers run as they always do

            loop_factory = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            results = runner.run(asyncio.wait_for(main(args), args.timeout))
    finally:
        _stop_all()
    Path(args.out).write_text(json.dumps(results, indent=1, default=str))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
