"""Overload benchmark: the wifi comes back (or the projector reboots) and the whole hall reloads at once.

    .venv/bin/python bench/overload.py                         # 1,500 phones in 10 s, 20 screens, 3 runs
    .venv/bin/python bench/overload.py --repeat 1 --phones 300 --seconds 3      # a quick look
    .venv/bin/python bench/overload.py --root /path/to/older/checkout           # the same storm on other code

One LiveBoard process (`python run.py --demo`, a fresh SQLite file) per run:

1. Before: `--phones` participants, each with their own cookie, have opened the phone page, picked a session of
   the round running now (their marks are on the board, as in the hall) and had their socket open; then the
   wifi drops (their sockets are cut without a close). `--screens` wall screens watch over WebSocket. The
   server's memory (VmRSS) is read here, `--settle` seconds later: "before".
2. The reload: phone i reloads at `i·seconds/phones` (evenly, 150 a second by default): `GET /e/demo` with its
   cookie as a browser's navigation does (gzip accepted), then opens its socket
   (`/e/demo/ws?view=phone&v=<the page's data-v>`), as `static/js` does. Static files are not fetched: a
   reload takes them from the browser's cache (they are served with a year's `immutable` caching).
3. Meanwhile the evening goes on: `--movers` of the phones (10 %) change their session half a second after
   their socket is open (htmx, as the phone page sends it), so there is something to catch up on.
4. After: every page and every socket must have succeeded; every socket (phones and screens) must show the
   final version of the event (`/api/events/demo`) once the frames are quiet; the phones then leave (close
   their sockets) and after `--settle` seconds the memory is read again: "after", against "before".

Targets (the issue's), each printed with ✓/✗: no failed request, page p99 ≤ 1 s, everyone caught up, memory
back where it was (after ≤ 1.1 × before). Every figure is the median of `--repeat` runs. Results: a markdown
table on stdout with the command that reproduces it, JSON in `--out`. Everything goes to 127.0.0.1; every wait
has a time limit; servers are killed at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shlex
import statistics
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fanout
from fanout import HOST, SLUG, LiveBoard, http, machine_cpu, phone_headers, summary_ms
from loadclient import Load, LoopLag, cpu_seconds, raise_nofile

PAGE_V = re.compile(rb'id="lb-v" hidden data-v="(\d+)"')
MEMORY_BACK = 1.10  # "after" within 10 % of "before"
PAGE_P99_MS = 1000.0


def reload_headers(origin: str, cookie: str) -> dict[str, str]:
    """What a phone's browser sends when the page is reloaded."""
    return {
        "Cookie": cookie,
        "Accept": "text/html,application/xhtml+xml",
        "Accept-Language": "da",
        "Accept-Encoding": "gzip, deflate, br",
        "Sec-Fetch-Site": "same-origin",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
        "Cache-Control": "max-age=0",
        "Referer": f"{origin}/e/{SLUG}",
    }


@dataclass
class Phone:
    cookie: str
    session: int  # the session picked before the reload
    other: int  # where a mover goes
    page_ms: float = math.nan
    socket_ms: float = math.nan
    status: int = 0
    socket_ok: bool = False
    moved: int = 0  # the status of a mover's join, 0 if it did not move
    error: str = ""


async def prepare(lb: LiveBoard, phones: int) -> list[Phone]:
    """`phones` participants with a cookie each, every one in a session of the round running now (round-robin)."""
    snap = await lb.snapshot()
    now_round = next((r for r in snap["rounds"] if r.get("now")), None) or min(
        snap["rounds"], key=lambda r: (r.get("starts") or "", r["id"])
    )
    sessions = [s for s in snap["sessions"] if s["round_id"] == now_round["id"]]
    rooms = {r["id"]: r for r in snap["rooms"]}
    for s in sessions:
        room = rooms[s["room_id"]]
        if room["capacity"] < s["present"] + phones:
            await lb.set_capacity(room, s["present"] + phones)
    cookies = await lb.participants(phones, concurrency=8)
    ids = [s["id"] for s in sessions]
    out = [Phone(c, ids[i % len(ids)], ids[(i + 1) % len(ids)]) for i, c in enumerate(cookies)]
    sem = asyncio.Semaphore(16)

    async def pick(phone: Phone) -> None:
        async with sem:
            path = f"/e/{SLUG}/sessions/{phone.session}/join"
            reply = await http(lb.server.port, "POST", path, phone_headers(lb.origin, phone.cookie, True), {})
            if reply.status != 200:
                raise RuntimeError(f"preparing: join {phone.session}: {reply.status} {reply.body[:200]!r}")

    await asyncio.gather(*(pick(p) for p in out))
    return out


async def reload(lb: LiveBoard, load: Load, phone: Phone, due: float, mover: bool, after: float) -> None:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    try:
        reply = await http(lb.server.port, "GET", f"/e/{SLUG}", reload_headers(lb.origin, phone.cookie), timeout=30)
    except (OSError, TimeoutError, ValueError, IndexError) as exc:
        phone.status, phone.error = -1, f"page: {exc!r}"
        return
    phone.status, phone.page_ms = reply.status, (reply.t1 - reply.t0) * 1000
    body = reply.body
    if (reply.header("Content-Encoding") or "").lower() == "gzip":
        body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
    found = PAGE_V.search(body)
    if reply.status != 200 or found is None:
        phone.error = f"page: {reply.status} {body[:200]!r}"
        return
    version = int(found.group(1))
    t = time.perf_counter()
    opened, _ = await load.connect([(lb.ws_path("phone", version), "phone")], version, timeout=30)
    phone.socket_ms, phone.socket_ok = (time.perf_counter() - t) * 1000, opened == 1
    if not phone.socket_ok:
        phone.error = "socket refused"
        return
    if mover:
        await asyncio.sleep(after)
        path = f"/e/{SLUG}/sessions/{phone.other}/join"
        try:
            moved = await http(lb.server.port, "POST", path, phone_headers(lb.origin, phone.cookie, True), {})
            phone.moved = moved.status
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            phone.moved, phone.error = -1, f"move: {exc!r}"


async def the_hall_drops(load: Load, lb: LiveBoard, phones: int, version: int) -> None:
    """Before the wifi dropped, the phones had their sockets open; then they were cut, without a goodbye."""
    _opened, refused = await load.connect([(lb.ws_path("phone", version), "phone")] * phones, version, timeout=30)
    if refused:
        raise RuntimeError(f"{refused} phones could not connect before the drop: {load.stats.errors[:3]}")
    await asyncio.sleep(1.0)
    for client in load.clients:
        client.closed = True  # not an error of the run: the wifi went
        if client.transport is not None:
            client.transport.abort()
    load.clients = []


async def the_reload(
    args: argparse.Namespace, lb: LiveBoard, load: Load, phones: list[Phone], movers: set[int], start: float
) -> tuple[list[Any], int, int]:
    """Every phone reloads at its time; returns their sockets, the final version and how many lag behind it."""
    opened_before = len(load.clients)
    spacing = args.seconds / len(phones)
    await asyncio.wait_for(
        asyncio.gather(
            *(reload(lb, load, p, start + i * spacing, i in movers, args.move_after) for i, p in enumerate(phones))
        ),
        args.seconds + 120,
    )
    await load.quiet(2.0, limit=30)
    final = (await lb.snapshot())["version"]
    behind = await load.wait_for_version(final, time.perf_counter() + 10)
    return load.clients[opened_before:], final, behind


async def leave(load: Load, screens: list[Any], settle: float) -> None:
    """The phones close their sockets (the screens stay); then the server has `settle` seconds to tidy up."""
    for client in load.clients:
        if client not in screens:
            client.close()
    load.clients = list(screens)
    await asyncio.sleep(settle)


async def rss_sampler(lb: LiveBoard, into: list[int], every: float = 0.25) -> None:
    while True:
        into.append(lb.server.rss_kb())
        await asyncio.sleep(every)


async def one_run(args: argparse.Namespace, workdir: Path, run: int) -> dict[str, Any]:
    lb = LiveBoard(args.python)
    await lb.start(workdir)
    load = Load(HOST, lb.server.port)
    try:
        t = time.perf_counter()
        phones = await prepare(lb, args.phones)
        print(f"run {run}: {len(phones)} phones in their sessions in {time.perf_counter() - t:.1f}s", flush=True)
        v0 = (await lb.snapshot())["version"]
        await the_hall_drops(load, lb, len(phones), v0)
        _opened, refused = await load.connect([(lb.ws_path("screen", v0), "screen")] * args.screens, v0, timeout=30)
        if refused:
            raise RuntimeError(f"{refused} screens could not connect: {load.stats.errors[:3]}")
        screens = list(load.clients)
        await asyncio.sleep(args.settle)
        before_kb, threads_before = lb.server.rss_kb(), fanout._status_kb(lb.server.pid, "Threads")
        rss: list[int] = []
        sampler = asyncio.create_task(rss_sampler(lb, rss))
        movers = set(range(0, args.phones, max(1, round(1 / args.movers)))) if args.movers > 0 else set()
        lag = LoopLag()
        lag.start()
        cpu0, lcpu0, mcpu0 = lb.server.cpu(), cpu_seconds(), machine_cpu()
        start = time.perf_counter() + 0.5
        phone_clients, final, behind = await the_reload(args, lb, load, phones, movers, start)
        t_last = time.perf_counter()
        lag.stop()
        cpu1, lcpu1, mcpu1 = lb.server.cpu(), cpu_seconds(), machine_cpu()
        peak_kb = max(rss) if rss else 0
        await leave(load, screens, args.settle)
        after_kb, threads_after = lb.server.rss_kb(), fanout._status_kb(lb.server.pid, "Threads")
        again_kb = []
        for _ in range(args.again):  # the same hall reloading again: memory must not climb
            fresh = [Phone(p.cookie, p.session, p.other) for p in phones]
            await the_reload(args, lb, load, fresh, movers, time.perf_counter() + 0.5)
            await leave(load, screens, args.settle)
            again_kb.append(lb.server.rss_kb())
        sampler.cancel()
        errors = [p.error for p in phones if p.error]
        failed_pages = sum(1 for p in phones if p.status != 200)
        failed_sockets = sum(1 for p in phones if p.status == 200 and not p.socket_ok)
        failed_moves = sum(1 for i in movers if phones[i].moved != 200)
        caught_up = sum(1 for c in phone_clients if c.maxv >= final)
        screens_caught_up = sum(1 for c in screens if c.maxv >= final)
        result = {
            "phones": len(phones),
            "screens": len(screens),
            "seconds": args.seconds,
            "movers": len(movers),
            "page_ms": summary_ms([p.page_ms / 1000 for p in phones if not math.isnan(p.page_ms)]),
            "socket_ms": summary_ms([p.socket_ms / 1000 for p in phones if not math.isnan(p.socket_ms)]),
            "failed_pages": failed_pages,
            "failed_sockets": failed_sockets,
            "failed_moves": failed_moves,
            "errors": errors[:10],
            "socket_errors": load.stats.errors[:10],
            "final_version": final,
            "v0": v0,
            "phones_caught_up": caught_up,
            "phone_sockets": len(phone_clients),
            "screens_caught_up": screens_caught_up,
            "not_caught_up": behind,
            "rss_before_mb": before_kb / 1024,
            "rss_peak_mb": peak_kb / 1024,
            "rss_after_mb": after_kb / 1024,
            "threads_before": threads_before,
            "threads_after": threads_after,
            "rss_after_again_mb": [kb / 1024 for kb in again_kb],
            "memory_ratio": after_kb / before_kb if before_kb else math.nan,
            "server_cpu_s": cpu1 - cpu0,
            "server_cpu_ms_per_phone": (cpu1 - cpu0) / len(phones) * 1000,
            "load_cpu_s": lcpu1 - lcpu0,
            "machine_cpu_s": mcpu1 - mcpu0,
            "wall_s": t_last - start,
            "loop_lag_ms": lag.summary_ms(),
        }
        print_run(result)
        return result
    finally:
        load.close()
        lb.stop()


def targets(r: dict[str, Any]) -> list[tuple[str, str, bool]]:
    failures = r["failed_pages"] + r["failed_sockets"] + r["failed_moves"]
    everyone = r["phones_caught_up"] == r["phone_sockets"] == r["phones"] and r["screens_caught_up"] == r["screens"]
    return [
        ("no failed request", f"{failures:g} failed", failures == 0),
        ("page p99 ≤ 1 s", f"{r['page_ms']['p99']:.0f} ms", r["page_ms"]["p99"] <= PAGE_P99_MS),
        (
            "everyone caught up",
            f"{r['phones_caught_up']:g}/{r['phones']:g} phones, {r['screens_caught_up']:g}/{r['screens']:g} screens",
            everyone,
        ),
        (
            f"memory back (≤ {MEMORY_BACK:g}×)",
            f"{r['rss_after_mb']:.0f} MB after, {r['rss_before_mb']:.0f} before: {r['memory_ratio']:.2f}×",
            r["memory_ratio"] <= MEMORY_BACK,
        ),
    ]


def print_run(r: dict[str, Any]) -> None:
    p, s = r["page_ms"], r["socket_ms"]
    print(
        f"  pages p50/p99/max {p['p50']:.0f}/{p['p99']:.0f}/{p['max']:.0f} ms; sockets p50/p99 "
        f"{s['p50']:.0f}/{s['p99']:.0f} ms; server CPU {r['server_cpu_s']:.1f} s "
        f"({r['server_cpu_ms_per_phone']:.1f} ms a phone), load CPU {r['load_cpu_s']:.1f} s; threads "
        f"{r['threads_before']} → {r['threads_after']}; RSS {r['rss_before_mb']:.0f} → peak "
        f"{r['rss_peak_mb']:.0f} → {r['rss_after_mb']:.0f} MB"
        + (
            f" (after each reload again: {', '.join(f'{mb:.0f}' for mb in r['rss_after_again_mb'])} MB)"
            if r["rss_after_again_mb"]
            else ""
        ),
        flush=True,
    )
    for name, value, ok in targets(r):
        print(f"  {'✓' if ok else '✗'} {name}: {value}")
    if r["errors"] or r["socket_errors"]:
        print(f"  errors: {r['errors'][:3]} {r['socket_errors'][:3]}")


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs (nested summaries too); lists are kept from every run."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            out[key] = median_of([r[key] for r in runs])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in runs)
        else:
            out[key] = [r[key] for r in runs] if isinstance(value, list) else value
    return out


def table(m: dict[str, Any], runs: list[dict[str, Any]], command: str) -> str:
    p, s = m["page_ms"], m["socket_ms"]
    each = ", ".join(f"{r['page_ms']['p99']:.0f}" for r in runs)
    rows = [
        ("phones reloading / screens watching", f"{m['phones']:g} in {m['seconds']:g} s / {m['screens']:g}"),
        ("page p50 / p99 / max", f"{p['p50']:.0f} / {p['p99']:.0f} / {p['max']:.0f} ms (p99 per run: {each})"),
        ("socket open p50 / p99", f"{s['p50']:.0f} / {s['p99']:.0f} ms"),
        ("failed pages / sockets / moves", f"{m['failed_pages']:g} / {m['failed_sockets']:g} / {m['failed_moves']:g}"),
        ("server CPU", f"{m['server_cpu_s']:.1f} s ({m['server_cpu_ms_per_phone']:.1f} ms a phone)"),
        (
            "RSS before / peak / after",
            f"{m['rss_before_mb']:.0f} / {m['rss_peak_mb']:.0f} / {m['rss_after_mb']:.0f} MB",
        ),
    ]
    lines = ["| | |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
    lines += [f"| {'✓' if ok else '✗'} {name} | {value} |" for name, value, ok in targets(m)]
    return "\n".join([f"`{command}`", "", *lines])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=10.0, help="the reloads are spread over this many seconds")
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--movers", type=float, default=0.1, help="share of phones that change session after")
    parser.add_argument("--move-after", type=float, default=0.5, help="seconds after the socket opened")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before memory is read, before/after")
    parser.add_argument("--again", type=int, default=0, help="reload and leave this many more times (memory only)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the server")
    parser.add_argument("--root", type=Path, default=fanout.ROOT, help="the checkout whose run.py is measured")
    parser.add_argument("--out", type=Path, help="write the JSON results here")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    fanout.ROOT = args.root.resolve()  # the servers start from there (their cwd and PYTHONPATH)
    print(f"code: {fanout.code_state()} at {fanout.ROOT}", flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="lb-overload-") as tmp:
        for run in range(1, args.repeat + 1):
            runs.append(await one_run(args, Path(tmp), run))
    summary = median_of(runs)
    command = "python bench/overload.py " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "python bench/overload.py"
    print(f"\n== overload, median of {len(runs)} ==\n{table(summary, runs, command.strip())}")
    out = {"command": command, "code": fanout.code_state(), "runs": runs, "median": summary}
    if args.out:
        args.out.write_text(json.dumps(out, indent=2, default=str))
    return out


def run() -> int:
    raise_nofile()
    args = parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    result = asyncio.run(main(args))
    return 0 if all(ok for _, _, ok in targets(result["median"])) else 1


if __name__ == "__main__":
    sys.exit(run())
