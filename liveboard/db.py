"""The database: one engine per process, short transactions, and the hand-off of committed changes.

SQLite runs in WAL mode with a busy timeout, and write transactions start with BEGIN IMMEDIATE so two writers
queue for the lock instead of failing halfway through. Every write transaction of an event bumps the event's
version first (see `domain.changes`), which on PostgreSQL locks the event row: writes to one event are
serialised, and the rules that span rows (capacity, a pitch once per round) hold under concurrency.

Durability on SQLite: WAL with `synchronous=NORMAL`. A COMMIT returns once the transaction is written to the WAL
file (not yet fsynced), and a reply is sent only after its write's COMMIT (`writer.py`): whatever the process
suffers (SIGKILL, the OOM killer, a crash), the operating system has the bytes, and every acknowledged action is
there when the server starts again (tests/test_crash_restart.py). A power cut or a kernel crash may lose the
transactions committed since the WAL was last synced (at each checkpoint), never the file's consistency;
`synchronous=FULL` would cover that too at an fsync per batch. Backups (`liveboard backup`, docs/deploy.md) are
the answer to a lost machine.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from liveboard.domain import audit, events
from liveboard.domain.changes import Change, take_changes
from liveboard.quick_reads import QuickReads
from liveboard.writer import Writer

Listener = Callable[[list[Change]], None]
T = TypeVar("T")
#: Threads for reads off the event loop: as many as the pool lends connections at once without a wait, about.
READERS = 16


def make_engine(url: str) -> Engine:
    """The engine for `url`, set up for short transactions from many worker threads.

    PostgreSQL: a pooled connection is checked before use, so one cut by a database restart is replaced instead of
    failing a request; a new connection gives up after 5 s (unless the URL says otherwise), so while PostgreSQL is
    down a request fails fast instead of waiting minutes on TCP. The pool keeps 10 connections and opens up to 20
    more in a rush: transactions last milliseconds, so that serves a busy evening, and a few instances together
    stay under PostgreSQL's default of 100 connections.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = 5
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, instead of pysqlite's implicit, deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writer") else "BEGIN")

    return engine


class Database:
    """Sessions for reading and for writing, and the listeners told about committed changes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = self.engine.execution_options(writer=True) if self.is_sqlite else self.engine
        self.listeners: list[Listener] = []
        #: slug → event id, for `events.ref`: an event keeps its slug and is never deleted.
        self.event_ids: dict[str, int] = {}
        #: The thread the web layer's writes run on, in order and in batches (`liveboard.writer`).
        self.writer = Writer(self)
        self._readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="liveboard-read")
        #: One-statement reads past the Session, for what a hall asks by the thousand (`quick_reads.py`).
        self.quick = QuickReads(self.engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def event_id(self, slug: str) -> int:
        """The id of the event called `slug` (`events.ref`, remembered in `event_ids`): read once per process,
        through a Session, for the reads that go past one (`quick`). NotFound when there is none."""
        event_id = self.event_ids.get(slug)
        if event_id is None:
            with self.read() as session:
                event_id = events.ref(session, slug, self.event_ids).id
        return event_id

    async def off_loop(self, work: Callable[[], T]) -> T:
        """Run blocking database work on a reader thread, so the event loop keeps serving meanwhile.

        A plain executor rather than Starlette's `run_in_threadpool`: anyio's capacity limiter and cancel scopes
        cost the event loop ~0.3 ms a call, a twentieth of a phone's reload (bench/overload.py)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, contextvars.copy_context().run, work)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits when the block ends, then tells the listeners what changed."""
        with Session(self._writer, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                take_changes(session)
                session.info.pop("audited", None)
                raise
            changes = take_changes(session)
            audited = session.info.pop("audited", None)
        if changes:
            for listener in self.listeners:
                listener(changes)
        if audited:
            audit.log_committed(audited)

    def dispose(self) -> None:
        self.writer.stop()
        self._readers.shutdown(wait=False)
        self.engine.dispose()
