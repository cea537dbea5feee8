"""How the server's process asks glibc's malloc to give memory back: set once, first thing in `liveboard serve`.

Two of glibc's defaults cost a server that runs all evening tens of megabytes for nothing (docs/performance.md,
"RSS at 5,000"):

- argon2 hashes a password in one 19 MiB block (`accounts._hasher`). malloc serves the first such block from
  mmap and unmaps it when freed, but then raises its mmap threshold to that size (and its trim threshold to twice
  that), so every later block is carved from a heap that keeps it: the admin account's check at start alone left
  19 MB resident for good, and every thread that logs a host in can keep another. A fixed threshold keeps blocks
  of `MMAP_THRESHOLD` and more on mmap, returned to the system as soon as they are freed.
- Each thread gets a heap (an arena) of its own, up to eight per core, and the worker threads that read the
  database and render each keep theirs, fragmented. Nearly every allocation happens under the GIL anyway, so
  `ARENA_MAX` arenas lose nothing to contention.

An operator's own `MALLOC_…` environment settings win. Other C libraries (musl) ignore or lack `mallopt`; nothing
changes there.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import time
from collections.abc import Callable

#: glibc's `mallopt` parameters (malloc.h).
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
#: Blocks this large or larger come from mmap and go back when freed (glibc's own starting value is 128 KiB; a
#: mebibyte keeps the many mid-sized buffers of a request on the heap).
MMAP_THRESHOLD = 1 << 20
#: Heaps shared by all threads.
ARENA_MAX = 2

#: (environment variable that already says it, parameter, value)
SETTINGS = (
    ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
    ("MALLOC_ARENA_MAX", M_ARENA_MAX, ARENA_MAX),
)


def return_freed_memory() -> list[str]:
    """Apply the settings this C library takes; the names of those applied."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return []
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    applied = []
    for variable, parameter, value in SETTINGS:
        if variable not in os.environ and mallopt(parameter, value) == 1:
            applied.append(variable)
    return applied


#: The cyclic garbage collector's thresholds while serving (CPython's are 700, 10, 10). A request allocates
#: thousands of container objects, nearly all freed by reference counting as it ends; with CPython's defaults the
#: collector still runs every few requests, and each full pass walks every object that a thousand open sockets
#: keep alive. In a round-start storm these thresholds and no access log took reply p99 from ~1 s to ~0.5 s
#: (docs/performance.md); garbage in cycles waits a little longer to be freed.
GC_THRESHOLDS = (20_000, 50, 1_000)


#: A crowd has left when this many sockets closed since the most there were at once: a hall's wifi dropping, the
#: phones leaving after the evening. Everyday comings and goings never add up to it between two collections.
CROWD = 200
#: Seconds between the crowd's leaving and the collection: the rest of it leaves meanwhile, and it is one pass.
AFTER_CROWD = 2.0

log = logging.getLogger("liveboard.memory")


def collect_leftovers() -> tuple[int, float]:
    """A full collection, then glibc's heap trimmed: (objects freed, milliseconds it took)."""
    started = time.perf_counter()
    freed = gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL(None).malloc_trim(0)
    return freed, (time.perf_counter() - started) * 1000


class Crowds:
    """Collects what a crowd left behind, once it has left.

    With `GC_THRESHOLDS` a full collection hardly ever runs by itself, so what 1,500 reloads leave in reference
    cycles stays, and the next crowd is served from new memory instead: after a hall reloaded, the process kept
    ~15 MB (12 %) more than before. One pass when a crowd has gone (`CROWD` sockets fewer than the most there were)
    gives it back: 1.13× → 1.04× in `bench/overload.py`. The pass stops the event loop while it runs, at a
    moment with fewer sockets to serve; each is logged."""

    def __init__(self, collect: Callable[[], tuple[int, float]] = collect_leftovers, after: float = AFTER_CROWD):
        self._collect, self._after = collect, after
        self.connected = self.most = 0
        self._pending: asyncio.TimerHandle | None = None

    def joined(self) -> None:
        self.connected += 1
        self.most = max(self.most, self.connected)

    def left(self) -> None:
        self.connected -= 1
        if self._pending is None and self.most - self.connected >= CROWD:
            with contextlib.suppress(RuntimeError):  # no loop: nobody is being served
                self._pending = asyncio.get_running_loop().call_later(self._after, self._collected)

    def _collected(self) -> None:
        self._pending = None
        gone = self.most - self.connected
        self.most = self.connected
        freed, took = self._collect()
        log.info("%d sockets closed: %d objects collected in %.0f ms", gone, freed, took)

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


def collect_less() -> None:
    """Set `GC_THRESHOLDS`, and leave what start-up made (modules, templates, the routes) out of every later
    collection: it lives as long as the process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
