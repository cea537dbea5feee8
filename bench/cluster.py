"""PostgreSQL and Redis for `bench/fanout.py --cluster`: started once per benchmark, a fresh demo database per run.

The servers are the ones the tests use (`tests/servers.py`: Debian's postgresql and redis-server as subprocesses
on 127.0.0.1, throwaway data directories, PostgreSQL run as `postgres` when we are root). The demo is migrated
and loaded once into a template database; every run gets a file copy of it (`CREATE DATABASE … TEMPLATE`), which
takes a fraction of a second. The demo's rounds are placed around the moment it is loaded, so the template is
made again when it is older than `TEMPLATE_MAX_AGE` (a run never sees a round start or end: a clock tick would
send every client a frame in the middle of the measurements).

Also here: the CPU that Redis and PostgreSQL (postmaster and backends) used, from /proc; `RedisTap`, a
subscriber of the instances' channels that notes when each change's message went through Redis; and
`LockSampler`, which counts PostgreSQL's running statements and lock waits during a storm.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: Seconds a template's demo may age before it is loaded again (round 1 started 10 minutes before loading, and
#: lasts 40: the first round change would come 30 minutes after loading).
TEMPLATE_MAX_AGE = 600.0


def process_cpu(pid: int) -> float:
    """utime + stime of one process (all its threads), seconds; NaN when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu(pid: int) -> float:
    """utime + stime of a process and its live children, seconds: PostgreSQL's postmaster and its backends (each
    backend calls setsid(), so a process group would not find them). Backends that exited are not counted; the
    instances' pooled connections live for the whole run."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) == pid or int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            continue
    return total


class Backends:
    """One PostgreSQL and one Redis for the whole benchmark."""

    def __init__(self, workdir: Path) -> None:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from tests.servers import PostgresServer, RedisServer  # the tests' servers, not a copy of them

        self.workdir = workdir
        self.pg = PostgresServer(Path(tempfile.mkdtemp(prefix="pg-", dir=workdir)))
        redis_dir = workdir / "redis"
        redis_dir.mkdir(exist_ok=True)
        self.redis = RedisServer(redis_dir)
        self.template = ""
        self.template_made = 0.0
        self.databases: list[str] = []

    def start(self) -> None:
        t = time.perf_counter()
        self.pg.start()
        self.redis.start()
        print(
            f"PostgreSQL on :{self.pg.port} (pid {self.pg.pid()}), Redis on :{self.redis.port} "
            f"(pid {self.redis_pid}), in {time.perf_counter() - t:.1f}s",
            flush=True,
        )

    @property
    def redis_url(self) -> str:
        return self.redis.url

    @property
    def redis_pid(self) -> int | None:
        return self.redis.process.pid if self.redis.process is not None else None

    def _make_template(self) -> None:
        from liveboard import migrate
        from liveboard.db import Database
        from liveboard.demo import load_demo

        t = time.perf_counter()
        if self.template:
            self.pg.drop_database(self.template)
        name = f"demo_template_{secrets.token_hex(4)}"
        self.pg.create_database(name)
        database = Database(self.pg.url(name))
        try:
            migrate.upgrade(database.engine)
            load_demo(database)
        finally:
            database.dispose()  # nobody may be connected to a template while it is copied
        self.template, self.template_made = name, time.monotonic()
        print(f"demo template {name} migrated and loaded in {time.perf_counter() - t:.1f}s", flush=True)

    def fresh_database(self) -> str:
        """A new database holding the demo, as just loaded; returns its SQLAlchemy URL. Redis is emptied too: a run
        is a new evening, and the rate limits' windows (1,500 new participants a minute from one address) are
        shared there, so the next run's 1,000 new phones within the minute would be the last run's too."""
        import redis

        with redis.Redis.from_url(self.redis.url, socket_timeout=5) as client:
            client.flushall()
        if not self.template or time.monotonic() - self.template_made > TEMPLATE_MAX_AGE:
            self._make_template()
        name = f"run_{secrets.token_hex(5)}"
        self.pg.create_database(name, template=self.template)
        self.databases.append(name)
        return self.pg.url(name)

    def drop_databases(self) -> None:
        """Drop the runs' databases (their instances are stopped), so PostgreSQL's cache is not filled with them."""
        while self.databases:
            self.pg.drop_database(self.databases.pop())

    def redis_cpu(self) -> float:
        pid = self.redis_pid
        return process_cpu(pid) if pid else float("nan")

    def postgres_cpu(self) -> float:
        pid = self.pg.pid()
        return tree_cpu(pid) if pid else float("nan")

    def close(self) -> None:
        try:
            self.redis.stop()
        finally:
            self.pg.close()


class RedisTap(asyncio.Protocol):
    """A subscriber of its own on the instances' channels (`liveboard:event:*`), in the load process: when each
    change's message went through Redis, as another instance would see it (arrival time, `time.perf_counter()`,
    by version). RESP parsed by hand: only the push messages of one PSUBSCRIBE come back."""

    def __init__(self) -> None:
        self.buf = b""
        self.seen: dict[int, float] = {}
        self.messages = 0
        self.transport: asyncio.Transport | None = None

    @classmethod
    async def open(cls, port: int, pattern: str = "liveboard:event:*", timeout: float = 5.0) -> RedisTap:
        loop = asyncio.get_running_loop()
        tap = cls()
        await asyncio.wait_for(loop.create_connection(lambda: tap, "127.0.0.1", port), timeout)
        assert tap.transport is not None
        tap.transport.write(f"*2\r\n$10\r\nPSUBSCRIBE\r\n${len(pattern)}\r\n{pattern}\r\n".encode())
        return tap

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        t = time.perf_counter()
        self.buf += data
        while True:
            parsed = _resp_array(self.buf)
            if parsed is None:
                return
            items, used = parsed
            self.buf = self.buf[used:]
            if items and items[0] == b"pmessage" and len(items) == 4:
                self.messages += 1
                with contextlib.suppress(ValueError, KeyError, TypeError, IndexError):
                    for change in json.loads(items[3])["changes"]:
                        self.seen.setdefault(int(change[1]), t)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _resp_array(buf: bytes) -> tuple[list[bytes | int], int] | None:
    """One RESP array of bulk strings and integers from the start of `buf`: (items, bytes used), or None while
    incomplete."""
    end = buf.find(b"\r\n")
    if end < 0:
        return None
    if not buf.startswith(b"*"):
        raise ValueError(f"unexpected reply from Redis: {buf[:80]!r}")
    count, pos, items = int(buf[1:end]), end + 2, []
    for _ in range(count):
        end = buf.find(b"\r\n", pos)
        if end < 0:
            return None
        kind, value = buf[pos : pos + 1], buf[pos + 1 : end]
        if kind == b":":
            items.append(int(value))
            pos = end + 2
        elif kind == b"$":
            size = int(value)
            if len(buf) < end + 2 + size + 2:
                return None
            items.append(buf[end + 2 : end + 2 + size])
            pos = end + 2 + size + 2
        else:
            raise ValueError(f"unexpected RESP item from Redis: {buf[pos : pos + 80]!r}")
    return items, pos


class LockSampler:
    """What the database's connections are doing, every `every` seconds, from a connection of its own: how many
    run a statement (`active`) and how many of those wait for a lock (a write waiting for the event's row lock,
    which every write of an event takes first). Tells a storm held up by that lock from one held up by CPU."""

    def __init__(self, url: str, every: float = 0.05) -> None:
        self.conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.every = every
        self.samples: list[tuple[float, int, int]] = []  # (perf_counter, active, waiting for a lock)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import psycopg

        self._conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, connect_timeout=5), 10
        )
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        sql = (
            "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE wait_event_type = 'Lock') "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        while True:
            row = await (await asyncio.wait_for(self._conn.execute(sql), 5)).fetchone()
            if row is not None:
                self.samples.append((time.perf_counter(), int(row[0]), int(row[1])))
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._conn.close(), 5)

    def summary(self, t_from: float, t_to: float) -> dict[str, float]:
        """Mean and most of active statements and lock waits between two moments (perf_counter)."""
        inside = [(a, w) for t, a, w in self.samples if t_from <= t <= t_to]
        if not inside:
            return {}
        return {
            "samples": len(inside),
            "active_mean": sum(a for a, _ in inside) / len(inside),
            "active_max": max(a for a, _ in inside),
            "lock_waits_mean": sum(w for _, w in inside) / len(inside),
            "lock_waits_max": max(w for _, w in inside),
        }
