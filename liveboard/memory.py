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

import ctypes
import gc
import os

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


def collect_less() -> None:
    """Set `GC_THRESHOLDS`, and leave what start-up made (modules, templates, the routes) out of every later
    collection: it lives as long as the process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
