"""One writer per process: waiting writes are taken in the order they came and committed together.

At a round start hundreds of phones press "join" within seconds. Run side by side on a pool of threads, each
join would wait for the database's write lock on its own: on SQLite in `busy_timeout`'s sleeps, which back off
instead of forming a queue (the unlucky wait seconds while later ones pass), on PostgreSQL on the event's row
lock with a pooled connection held the whole time. One thread that takes every write waiting at that moment
and runs them in one transaction, each inside a savepoint of its own, makes the queue fair (first come, first
committed) and cheaper: one BEGIN and one COMMIT, and one wait for the lock, per batch instead of per request.

A write that fails rolls back its own savepoint and raises its own error; the others in its batch commit. A
commit that fails fails every write of its batch: a reply says OK only for what is committed.

Writes of one kind that cost far less done as one than each on its own, as a round start's joins do (a few
statements for the whole batch, so the event's lock is held for milliseconds, not for a round trip per join),
come through `Writer.together`: consecutive ones in a batch are handed over at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session

from liveboard import metrics
from liveboard.domain.errors import DomainError

if TYPE_CHECKING:
    from liveboard.db import Database

T = TypeVar("T")

#: Writes committed in one transaction at most. A batch holds the lock while it runs; at ~1 ms a write, 64 keep
#: any one reply from waiting long behind a batch that started just before it arrived.
MAX_BATCH = 64


@dataclass
class Outcome:
    """What one write done together with others came to: its result or the error that refused it, and the
    versions its changes got."""

    result: Any = None
    error: DomainError | None = None
    versions: list[int] = field(default_factory=list)


#: Writes done as one (`Writer.together`): the items of the writes waiting together, in the order they came,
#: to an `Outcome` each, in the same order. It runs in the first one's context, so it takes what it needs from
#: the items, and it must refuse only before it writes, as a `clean` write does.
Together = Callable[[Session, list[Any]], list[Outcome]]


@dataclass(eq=False)
class Job:
    """One request's write: its work, who asked (for the audit log), and where its answer goes."""

    work: Callable[[Session], Any]
    actor: Any
    context: contextvars.Context
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    clean: bool = False
    result: Any = None
    error: BaseException | None = None
    versions: list[int] = field(default_factory=list)
    #: When it was queued (`time.perf_counter`), for the metrics' wait.
    queued: float = field(default_factory=time.perf_counter)
    #: For a write done together with others: how, and what of it.
    together: Together | None = None
    item: Any = None

    def answer(self) -> None:
        if not self.future.done():
            if self.error is not None:
                self.future.set_exception(self.error)
            else:
                self.future.set_result((self.result, self.versions))


class Writer:
    """The thread that runs a database's writes for the event loop, started on the first write."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Batches and writes committed: the benchmark's and the metrics' view of how well writes are grouped.
        self.batches = 0
        self.writes = 0

    async def run(self, work: Callable[[Session], T], actor: Any = None, *, clean: bool = False) -> tuple[T, list[int]]:
        """`work(session)`'s result, once committed, and the versions its changes got.

        `clean=True` promises that `work` refuses (raises a `DomainError`) only before it writes anything, as a
        join does: it then runs without a savepoint of its own, which is a good part of a join's cost."""
        loop = asyncio.get_running_loop()
        job = Job(work, actor, contextvars.copy_context(), loop, loop.create_future(), clean=clean)
        self._start()
        self._queue.put(job)
        return await job.future

    async def together(self, work: Together, item: Any, actor: Any = None) -> tuple[Any, list[int]]:
        """`run` for a write that is done together with the others of its kind waiting at the same moment
        (`work` the same function): `work(session, items)`, once for all of them. Alone it is
        `work(session, [item])`, a `clean` write (in a savepoint of its own when a batch runs again carefully)."""
        loop = asyncio.get_running_loop()
        alone = partial(_alone, work, item)
        job = Job(
            alone, actor, contextvars.copy_context(), loop, loop.create_future(), clean=True, together=work, item=item
        )
        self._start()
        self._queue.put(job)
        return await job.future

    def stop(self) -> None:
        """Finish the writes already queued, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="liveboard-writer", daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[Job], *, careful: bool = False) -> None:
        """One transaction for the batch. A write that fails unexpectedly without a savepoint of its own (a
        `clean` one that broke its promise, or the database refusing a statement) may have left half of itself
        in the transaction: the batch is then rolled back and the others run again, each in a savepoint."""
        began = time.perf_counter()
        for job in batch:
            job.result, job.error, job.versions = None, None, []
            if not careful:
                metrics.WRITE_WAIT.observe(began - job.queued)
        alone = len(batch) == 1
        try:
            with self.database.write() as session:
                for group in _groups(batch, careful):
                    if len(group) > 1:
                        self._many(session, group)
                    else:
                        self._one(session, group[0], nested=not alone and (careful or not group[0].clean))
            metrics.WRITE_BATCH.observe(time.perf_counter() - began)
        except _Unclean as unclean:
            others = [job for job in batch if job is not unclean.job]
            if unclean.job is not None:
                unclean.job.loop.call_soon_threadsafe(unclean.job.answer)
            if others:
                self._commit(others, careful=True)
            return
        except BaseException as error:  # every write of a failed commit must hear of it
            for job in batch:
                if job.error is None:
                    job.error = error
        self.batches += 1
        self.writes += len(batch)
        for job in batch:
            job.loop.call_soon_threadsafe(job.answer)

    @staticmethod
    def _one(session: Session, job: Job, *, nested: bool) -> None:
        changes: list = session.info.setdefault("changes", [])
        mark = len(changes)
        # The log lines of its host actions go out after the commit (`audit.record`): only if it commits.
        audited: list = session.info.setdefault("audited", [])
        audit_mark = len(audited)
        session.info["actor"] = job.actor
        try:
            if nested:
                try:
                    with session.begin_nested():
                        job.result = job.context.run(job.work, session)
                finally:
                    # The next write starts from the database, not from rows this one left in the session (a
                    # plain UPDATE of a join does not touch them): each sees what it would alone.
                    session.expunge_all()
            else:
                job.result = job.context.run(job.work, session)
                session.flush()
        except DomainError as error:
            job.error = error
            del changes[mark:], audited[audit_mark:]
            if not nested and not job.clean:
                raise
        except Exception as error:  # the request that sent it gets it back
            job.error = error
            del changes[mark:], audited[audit_mark:]
            if not nested:
                raise _Unclean(job) from error
            return
        else:
            job.versions = [change.version for change in changes[mark:]]

    @staticmethod
    def _many(session: Session, jobs: list[Job]) -> None:
        """Writes done together: one call for all. One that fails unexpectedly fails as a whole (`_Unclean`
        without a job), and the batch runs again carefully, where each is alone and the bad one fails alone."""
        changes: list = session.info.setdefault("changes", [])
        mark = len(changes)
        first = jobs[0]
        session.info["actor"] = first.actor
        try:
            outcomes = first.context.run(first.together, session, [job.item for job in jobs])  # type: ignore[arg-type]
            session.flush()
        except Exception as error:
            del changes[mark:]
            raise _Unclean(None) from error
        for job, outcome in zip(jobs, outcomes, strict=True):
            job.result, job.error, job.versions = outcome.result, outcome.error, outcome.versions


def _groups(batch: list[Job], careful: bool) -> Iterator[list[Job]]:
    """The batch as it runs: consecutive writes done together as one group, every other write alone (all of
    them alone when the batch runs carefully)."""
    group: list[Job] = []
    for job in batch:
        if group and not careful and job.together is not None and job.together is group[0].together:
            group.append(job)
            continue
        if group:
            yield group
        group = [job]
    if group:
        yield group


def _alone(work: Together, item: Any, session: Session) -> Any:
    (outcome,) = work(session, [item])
    if outcome.error is not None:
        raise outcome.error
    return outcome.result


class _Unclean(Exception):
    """A write without a savepoint failed where it may have written part of itself (None: one of a group done
    together, not known which)."""

    def __init__(self, job: Job | None) -> None:
        self.job = job
