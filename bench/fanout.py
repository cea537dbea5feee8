"""Fan-out benchmark: LiveBoard's live updates against a bare `websockets` broadcast, measured the same way.

    .venv/bin/python bench/fanout.py                      # 500, 1,000, 2,000, 5,000 clients, 3 runs each, 3 storms
    .venv/bin/python bench/fanout.py --clients 2000,5000 --repeat 5 --no-storm
    .venv/bin/python bench/fanout.py --quick              # a minute: 500 clients, 5 changes, a small storm
    .venv/bin/python bench/fanout.py --baseline-only      # validates the load client against the baseline
    .venv/bin/python bench/fanout.py --storm-only --py-spy /tmp/prof   # with py-spy installed next to python

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

Then the round-start storm (LiveBoard): W watchers, then J distinct participants join the first round's
sessions (capacities raised first), paced evenly over S seconds; per watcher, the time from the last join's
request until its page shows the exact counts of `/api/events/demo` for every session, and its most frames
in any one-second window.

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
import re
import resource
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadclient import Load, cpu_seconds, raise_nofile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SLUG = "demo"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
MISSING_AFTER = 5.0  # seconds: a client without the change by then is missing it

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
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
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


async def wait_healthy(server: Server, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.tail()}")
        with contextlib.suppress(OSError, TimeoutError, ValueError, IndexError):
            if (await http(server.port, "GET", "/healthz", timeout=2)).status == 200:
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

    def stop(self) -> None:
        self.server.stop()


class LiveBoard(Target):
    name = "LiveBoard"

    def __init__(self, python: str, htmx: bool = False) -> None:
        self.python = python
        self.htmx = htmx
        self.password = secrets.token_urlsafe(12)
        self.cookies: list[str] = []
        self.session_id = 0
        self.host_cookie = ""
        self.version_header_missing = 0

    async def start(self, workdir: Path) -> None:
        port = free_port()
        db = workdir / f"bench-{port}.db"
        env = dict(os.environ)
        env.update(
            LIVEBOARD_DATABASE_URL=f"sqlite:///{db}",
            LIVEBOARD_ADMIN_PASSWORD=self.password,
            LIVEBOARD_NPM_REGISTRY="http://127.0.0.1:9",  # never fetch from outside during a benchmark
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),  # only the app: nothing the load process has on its path (e.g. uvloop)
        )
        argv = [self.python, "run.py", "--demo", "--host", HOST, "--port", str(port)]
        self.server = Server(self.name, argv, env, port, workdir / f"liveboard-{port}.log")
        await wait_healthy(self.server)

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

    async def join(self, cookie: str, session_id: int) -> tuple[Reply, int]:
        reply = await http(
            self.server.port,
            "POST",
            f"/e/{SLUG}/sessions/{session_id}/join",
            {"Origin": self.origin, "Cookie": cookie, **({"HX-Request": "true"} if self.htmx else {})},
            {},
        )
        header = reply.header("X-LiveBoard-Version")
        if header is not None:
            return reply, int(header)
        self.version_header_missing += 1
        return reply, (await self.snapshot())["version"] if reply.status < 400 else -1

    async def change(self, i: int) -> tuple[Reply, int]:
        return await self.join(self.cookies[i], self.session_id)


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


async def run_fanout(target: Target, n: int, args: argparse.Namespace, workdir: Path) -> FanoutResult:
    views = views_for(n, args.screens)
    result = FanoutResult(target.name, n, {v: views.count(v) for v in sorted(set(views))})
    load = Load(HOST, 0)
    print(f"\n== {target.name}, {n} clients {result.views} ==", flush=True)
    await target.start(workdir)
    try:
        load.port = target.server.port
        total = args.warmup + args.changes
        v0 = await target.prepare(total)
        await asyncio.sleep(0.5)
        result.rss_idle_kb = target.server.rss_kb()
        t = time.perf_counter()
        ok, failed = await load.connect(
            [(target.ws_path(view, v0), view) for view in views], v0, batch=args.batch, timeout=30
        )
        result.connect_s = time.perf_counter() - t
        result.connect_failed = failed
        print(f"connected {ok} in {result.connect_s:.1f}s, failed {failed}", flush=True)
        if failed:
            print("  first errors:", load.stats.errors[:5], flush=True)
        await asyncio.sleep(1.0)  # let connect-time frames (clock) pass
        result.rss_held_kb = target.server.rss_kb()

        cpu0 = cpu1 = lcpu0 = lcpu1 = mcpu0 = mcpu1 = cpu_wall = 0.0
        t_measure0 = t_end = 0.0
        profiler = None
        for i in range(total):
            measured = i >= args.warmup
            if measured and i == args.warmup:
                if args.py_spy and isinstance(target, LiveBoard):
                    profiler = start_py_spy(args, target, str(n), workdir, args.changes * (args.gap + 0.5))
                t_measure0 = time.perf_counter()
                cpu0, lcpu0, mcpu0 = target.server.cpu(), cpu_seconds(), machine_cpu()
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
            cpu1, lcpu1, mcpu1 = target.server.cpu(), cpu_seconds(), machine_cpu()
            cpu_wall = time.perf_counter() - t_measure0
        finish_py_spy(profiler)
        result.measure_s = t_end - t_measure0
        result.server_cpu_s = cpu1 - cpu0
        result.load_cpu_s = lcpu1 - lcpu0
        # What else kept the machine busy meanwhile (other processes, and kernel work not charged to ours).
        result.other_cores = ((mcpu1 - mcpu0) - result.server_cpu_s - result.load_cpu_s) / max(1e-9, cpu_wall)
        result.rss_after_kb = target.server.rss_kb()
        result.hwm_kb = target.server.hwm_kb()
        analyse(result, load, t_measure0, t_end)
        result.errors += load.stats.errors[:20]
        if isinstance(target, LiveBoard) and target.version_header_missing:
            result.errors.append(f"X-LiveBoard-Version missing on {target.version_header_missing} replies")
        if load.stats.compressed_offers_accepted:
            result.errors.append(f"permessage-deflate accepted on {load.stats.compressed_offers_accepted} connections")
    finally:
        for client in load.clients:
            if client.transport is not None:
                client.transport.abort()
        load.clients = []
        await asyncio.sleep(0.2)
        target.stop()
    print_fanout(result)
    return result


def analyse(result: FanoutResult, load: Load, t_from: float, t_to: float) -> None:
    changes = sorted(result.changes, key=lambda c: c.version)
    versions = [c.version for c in changes]
    per_view: dict[str, list[float]] = {}
    missing_pairs = clients_missing = frames = nbytes = 0
    first = [math.inf] * len(changes)
    sizes: dict[str, list[int]] = {}
    for client in load.clients:
        lat = per_view.setdefault(client.view, [])
        got = [False] * len(changes)
        for t, v, fid, size in client.events:
            if t < t_from or t > t_to:
                continue
            frames += 1
            nbytes += size
            sizes.setdefault(client.view, []).append(len(load.stats.frames[fid]))
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
    result.latency = {view: summary_ms(values) for view, values in per_view.items()}
    result.latency["all"] = summary_ms([x for values in per_view.values() for x in values])
    result.first_ms = statistics.median(x * 1000 for x in first) if first and max(first) < math.inf else math.nan
    result.reply_ms = statistics.median((c.t1 - c.t0) * 1000 for c in changes) if changes else math.nan
    result.missing_pairs = missing_pairs
    result.clients_missing = clients_missing
    pairs = max(1, len(load.clients) * len(changes))
    result.frames_per_client_change = frames / pairs
    result.bytes_per_client_change = nbytes / pairs
    result.frame_payload_median = {view: statistics.median(s) for view, s in sizes.items() if s}
    for view in per_view:
        sample = next((c for c in load.clients if c.view == view and c.events), None)
        if sample is not None:
            result.sample_frames[view] = load.stats.frames[sample.events[-1][2]].decode(errors="replace")[:600]


def start_py_spy(
    args: argparse.Namespace, target: Target, label: str, workdir: Path, seconds: float
) -> subprocess.Popen | None:
    exe = Path(args.python).parent / "py-spy"
    if not exe.exists():
        print("  (py-spy not found next to the interpreter: no profile)", flush=True)
        return None
    out = Path(args.py_spy) / f"fanout-{label}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    seconds = max(5, int(seconds))
    print(f"  py-spy: {out} (collapsed stacks) for {seconds}s", flush=True)
    # --gil: only the thread holding the GIL, i.e. where the one Python core goes; --nonblocking: the server
    # is not paused to be sampled, so the profile does not slow what it measures.
    argv = [str(exe), "record", "--gil", "--nonblocking", "-r", "100", "-f", "raw", "-o", str(out)]
    argv += ["--pid", str(target.server.pid), "--duration", str(seconds)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=(workdir / "py-spy.log").open("ab"))


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


def finish_py_spy(profiler: subprocess.Popen | None) -> None:
    if profiler is None:
        return
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

COUNT_RE = re.compile(rb'id="(present|count)-(\d+)"[^>]*>(?:\s|<[^>]*>)*(\d+)')


def counts_in(payload: bytes) -> dict[int, int]:
    return {int(m.group(2)): int(m.group(3)) for m in COUNT_RE.finditer(payload)}


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best = lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def run_storm(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    watchers, joins, seconds = args.storm_watchers, args.storm_joins, args.storm_seconds
    print(f"\n== storm: {joins} joins in {seconds:g}s while {watchers} watch ==", flush=True)
    target = LiveBoard(args.python, args.htmx)
    await target.start(workdir)
    load = Load(HOST, target.server.port)
    out: dict[str, Any] = {"watchers": watchers, "joins": joins, "seconds": seconds}
    try:
        snap = await target.snapshot()
        rounds = sorted(snap["rounds"], key=lambda r: (r.get("starts") or "", r["id"]))
        first = rounds[0]["id"]
        sessions = [s for s in snap["sessions"] if s["round_id"] == first]
        rooms = {r["id"]: r for r in snap["rooms"]}
        for s in sessions:
            room = rooms[s["room_id"]]
            if room["capacity"] < s["present"] + joins:
                await target.set_capacity(room, s["present"] + joins)
        t = time.perf_counter()
        cookies = await target.participants(joins)
        print(f"{joins} participants in {time.perf_counter() - t:.1f}s; sessions {[s['id'] for s in sessions]}")
        snap = await target.snapshot()
        v0 = snap["version"]
        initial = {s["id"]: s["present"] for s in snap["sessions"]}
        views = views_for(watchers, args.screens)
        ok, failed = await load.connect(
            [(target.ws_path(view, v0), view) for view in views], v0, batch=args.batch, timeout=30
        )
        print(f"connected {ok} watchers, failed {failed}", flush=True)
        await asyncio.sleep(1.0)
        t_from = time.perf_counter()
        cpu0, lcpu0 = target.server.cpu(), cpu_seconds()
        profiler = start_py_spy(args, target, "storm", workdir, seconds + 5) if args.py_spy else None
        sem = asyncio.Semaphore(args.storm_inflight or joins)
        replies: list[tuple[float, int, int, float]] = []
        log: list[tuple[int, int, float, float, int]] = []  # (join, session, start, reply ms, status)

        async def one(i: int, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            async with sem:
                try:
                    sid = sessions[i % len(sessions)]["id"]
                    reply, version = await target.join(cookies[i], sid)
                    replies.append((reply.t0, reply.status, version, reply.t1))
                    log.append((i, sid, reply.t0 - start, reply.t1 - reply.t0, reply.status))
                except (OSError, TimeoutError) as exc:
                    replies.append((time.perf_counter(), -1, -1, time.perf_counter()))
                    load.stats.errors.append(f"join {i}: {exc!r}")

        start = time.perf_counter() + 0.05
        await asyncio.wait_for(
            asyncio.gather(*(one(i, start + i * seconds / joins) for i in range(joins))), seconds + 120
        )
        t_last = max(r[0] for r in replies)
        t_last_reply = max(r[3] for r in replies)
        statuses: dict[str, int] = {}
        for r in replies:
            statuses[str(r[1])] = statuses.get(str(r[1]), 0) + 1
        final_snap = await target.snapshot()
        final = {s["id"]: s["present"] for s in final_snap["sessions"]}
        await load.quiet(2.0, limit=30)
        cpu1, lcpu1 = target.server.cpu(), cpu_seconds()
        wall = time.perf_counter() - t_from
        finish_py_spy(profiler)
        out.update(
            connect_failed=failed,
            statuses=statuses,
            joins_span_s=t_last - min(r[0] for r in replies),
            last_reply_after_last_join_ms=(t_last_reply - t_last) * 1000,
            join_reply_ms=summary_ms([r[3] - r[0] for r in replies]),
            final_version=final_snap["version"],
            present_added=sum(final.values()) - sum(initial.values()),
            server_cpu_s=cpu1 - cpu0,
            load_cpu_s=lcpu1 - lcpu0,
            storm_wall_s=wall,
            join_log=[(i, sid, round(t, 4), round(ms * 1000, 1), st) for i, sid, t, ms, st in sorted(log)],
            rss_kb=target.server.rss_kb(),
        )
        parsed: dict[int, dict[int, int]] = {}
        converge: dict[str, list[float]] = {}
        not_converged: dict[str, int] = {}
        wrong_examples: list[str] = []
        max_rate: list[int] = []
        frames_per_client: list[int] = []
        bytes_per_client: list[int] = []
        for client in load.clients:
            state = dict(initial)
            bad = {sid for sid in final if state.get(sid) != final[sid]}
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
                    if sid in final:
                        if value == final[sid]:
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
            if at is None:
                not_converged[client.view] = not_converged.get(client.view, 0) + 1
                if len(wrong_examples) < 5:
                    wrong_examples.append(
                        f"{client.view}: " + ", ".join(f"{sid}: {state.get(sid)}≠{final[sid]}" for sid in sorted(bad))
                    )
            else:
                converge.setdefault(client.view, []).append(at - t_last)
        all_conv = [x for values in converge.values() for x in values]
        out.update(
            converged={view: summary_ms(values) for view, values in converge.items()},
            converged_all=summary_ms(all_conv),
            not_converged=not_converged,
            not_converged_examples=wrong_examples,
            max_frames_in_1s=max(max_rate, default=0),
            max_frames_in_1s_p50=statistics.median(max_rate) if max_rate else 0,
            frames_per_client_p50=statistics.median(frames_per_client) if frames_per_client else 0,
            bytes_per_client_p50=statistics.median(bytes_per_client) if bytes_per_client else 0,
            errors=load.stats.errors[:20],
        )
    finally:
        for client in load.clients:
            if client.transport is not None:
                client.transport.abort()
        load.clients = []
        await asyncio.sleep(0.2)
        target.stop()
    c = out.get("converged_all", {})
    print(
        f"storm: joins {out.get('statuses')}, last reply {out.get('last_reply_after_last_join_ms', 0):.0f} ms after "
        f"the last join's request; every watcher exact after {c.get('max', float('nan')):.0f} ms "
        f"(p50 {c.get('p50', float('nan')):.0f}); not converged {out.get('not_converged')}; "
        f"max frames in 1 s {out.get('max_frames_in_1s')}",
        flush=True,
    )
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
    """Several storms folded into one: medians of the times, worst frame rate, statuses and misses added up."""
    if len(storms) == 1:
        return storms[0]
    out = dict(storms[0])
    out["repeats"] = len(storms)
    for key, value in storms[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = statistics.median(s[key] for s in storms)
        elif isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values()):
            keys = {k for s in storms for k in s.get(key, {})}
            if key in ("statuses", "not_converged"):
                out[key] = {k: sum(s.get(key, {}).get(k, 0) for s in storms) for k in sorted(keys)}
            else:
                out[key] = {k: statistics.median(s[key].get(k, float("nan")) for s in storms) for k in keys}
    out["max_frames_in_1s"] = max(s.get("max_frames_in_1s", 0) for s in storms)
    out["converged_max_each_run_ms"] = [s.get("converged_all", {}).get("max") for s in storms]
    out.pop("join_log", None)
    return out


def storm_table(storm: dict[str, Any]) -> str:
    c = storm.get("converged_all", {})
    rows = [
        (
            "watchers / joins / pacing",
            f"{int(storm['watchers']):,} / {int(storm['joins']):,} in {storm['seconds']:g} s"
            + (f" (medians of {storm['repeats']} storms)" if storm.get("repeats") else ""),
        ),
        ("join replies (status: count)", ", ".join(f"{k}: {v}" for k, v in storm.get("statuses", {}).items())),
        ("join reply time p50 / p99 ms", f"{storm['join_reply_ms']['p50']:.0f} / {storm['join_reply_ms']['p99']:.0f}"),
        ("joins actually sent over, s", f"{storm.get('joins_span_s', 0):.2f}"),
        ("join reply time max ms", f"{storm['join_reply_ms']['max']:.0f}"),
        ("last join's reply after its request, ms", f"{storm.get('last_reply_after_last_join_ms', 0):.0f}"),
        ("every watcher exact, ms after the last join's request", f"{c.get('max', float('nan')):.0f}"),
        (
            "the same, each run, ms",
            " / ".join(f"{x:.0f}" for x in storm.get("converged_max_each_run_ms") or [c.get("max", float("nan"))]),
        ),
        ("per watcher p50 / p99 ms", f"{c.get('p50', float('nan')):.0f} / {c.get('p99', float('nan')):.0f}"),
        ("watchers not converged", json.dumps(storm.get("not_converged", {}))),
        ("most frames one client got in any 1 s", str(storm.get("max_frames_in_1s"))),
        (
            "frames / bytes per watcher (median)",
            f"{storm['frames_per_client_p50']:.0f} / {storm['bytes_per_client_p50']:,.0f}",
        ),
        (
            "CPU during the storm, s: server / load process",
            f"{storm.get('server_cpu_s', 0):.1f} / {storm.get('load_cpu_s', 0):.1f} "
            f"(over {storm.get('storm_wall_s', 0):.1f} s)",
        ),
    ]
    return "\n".join(["| storm | |", "| --- | ---: |"] + [f"| {k} | {v} |" for k, v in rows])


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
    if not args.storm_only:
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
    storm = None
    if not args.baseline_only and not args.no_storm:
        storms = [await run_storm(args, workdir) for _ in range(args.storm_repeat)]
        storm = merge_storms(storms)
        results["storm"] = storm
        if len(storms) > 1:
            results["storm_runs"] = storms
    print("\n## Fan-out: one join, time from just before its POST to its frame at each client\n")
    if args.repeat > 1:
        print(
            f"Medians of {args.repeat} runs per target, alternating; ratio = of the medians, paired ratio = median of"
            " the run-by-run ratios; missing changes added up over the runs.\n"
        )
    if runs:
        print(table(runs, paired))
    if storm:
        print()
        print(storm_table(storm))
    code = results["code"]
    print(f"\ncode: {code['head']} + {code['changed_files']} changed files (app tree {code['tree_sha256']})")
    print(f"command: {results['command']}")
    return results


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
    for path in sorted([*ROOT.glob("liveboard/**/*.py"), *ROOT.glob("templates/*")]):
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
        "--htmx", action="store_true", help="joins as htmx sends them (HX-Request: fragments rendered in the reply)"
    )
    p.add_argument("--repeat", type=int, default=3, help="runs per client count and target; medians are shown")
    p.add_argument("--storm-repeat", type=int, default=3, help="storms; medians are shown, and the worst frame rate")
    p.add_argument("--storm-watchers", type=int, default=1000)
    p.add_argument("--storm-joins", type=int, default=1000)
    p.add_argument("--storm-seconds", type=float, default=5.0)
    p.add_argument(
        "--storm-inflight", type=int, default=0, help="most join requests in flight at once (default: no limit)"
    )
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
        args.storm_watchers, args.storm_joins, args.storm_seconds = 300, 300, 3.0
        args.repeat = args.storm_repeat = 1
    args.clients = [int(x) for x in str(args.clients).split(",") if x.strip()]
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
