"""What an instance tells its monitoring at `/metrics`: live clients, frames and bytes sent, slow clients, request
and write latency, the live flush.

Two kinds of figures. Those that happen (a request, a write, a flush, a frame) are counted where they happen, in
instruments made once for the process; their labelled children are bound once (`live_meter`, `request_meter`) so
no hot loop looks a label up. Those that are (clients connected now, writes committed so far) are read only
when `/metrics` is asked, on the event loop, from the objects that hold them (`State`): the fan-out and the
writer do nothing for them.

Each app gets a registry of its own with the process's instruments and its own `State`, so several apps in one
process (the tests) do not collide. Each instance is scraped on its own; the figures are the instance's.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from liveboard.db import Database
    from liveboard.live.hub import Hub
    from liveboard.live.registry import Live

# No `_created` series beside every counter and histogram: a restart shows in process_start_time_seconds.
disable_created_metrics()

#: Seconds. A join takes ~5 ms; a page a few more; a flush to 2,500 clients tens of ms (docs/performance.md).
LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: The views each kind of channel serves (`live.elements.VIEWS`, `live.series.VIEWS`), reported even at zero so
#: an alert on them has a series to look at.
LIVE_VIEWS = {"event": ("phone", "screen", "host", "report"), "series": ("phone", "screen", "host")}

REQUESTS = Histogram(
    "liveboard_request_seconds",
    "HTTP requests, by route template and status class, from the first byte in to the last byte out.",
    ["route", "status"],
    buckets=LATENCY,
    registry=None,
)
WRITE_WAIT = Histogram(
    "liveboard_write_wait_seconds",
    "How long a write waited for the writer thread before its batch began.",
    buckets=LATENCY,
    registry=None,
)
WRITE_BATCH = Histogram(
    "liveboard_write_batch_seconds",
    "One batch of writes: its transaction, from BEGIN to COMMIT.",
    buckets=LATENCY,
    registry=None,
)
FLUSH = Histogram(
    "liveboard_live_flush_seconds",
    "A live channel's flush: reading the event, rendering each view once, writing to every client.",
    ["scope"],
    buckets=LATENCY,
    registry=None,
)
FRAMES = Counter(
    "liveboard_live_frames", "Frames written to live clients (one per client).", ["scope", "view"], registry=None
)
SENT = Counter(
    "liveboard_live_sent_bytes", "Bytes of frames written to live clients.", ["scope", "view"], registry=None
)
STALE = Counter(
    "liveboard_live_stale",
    "Times a live client was too slow to read (64 KB unsent) and was skipped until it drained.",
    ["scope", "view"],
    registry=None,
)
DROPPED = Counter(
    "liveboard_live_dropped",
    "Live clients disconnected after 30 s without reading.",
    ["scope", "view"],
    registry=None,
)
INSTRUMENTS = (REQUESTS, WRITE_WAIT, WRITE_BATCH, FLUSH, FRAMES, SENT, STALE, DROPPED)


class LiveMeter:
    """One view's counters, bound once: a flush adds its totals for the view, not a figure per client."""

    __slots__ = ("bytes", "dropped", "frames", "stale")

    def __init__(self, scope: str, view: str) -> None:
        self.frames = FRAMES.labels(scope, view)
        self.bytes = SENT.labels(scope, view)
        self.stale = STALE.labels(scope, view)
        self.dropped = DROPPED.labels(scope, view)

    def sent(self, frames: int, size: int) -> None:
        self.frames.inc(frames)
        self.bytes.inc(size)


@cache
def live_meter(scope: str, view: str) -> LiveMeter:
    return LiveMeter(scope, view)


@cache
def flush_meter(scope: str) -> Any:
    return FLUSH.labels(scope)


#: (route template, status class) → its histogram child: a dict lookup per request instead of `labels()`.
_REQUEST_METERS: dict[tuple[str, str], Any] = {}


def request_meter(route: str, status: str) -> Any:
    meter = _REQUEST_METERS.get((route, status))
    if meter is None:
        meter = _REQUEST_METERS[(route, status)] = REQUESTS.labels(route, status)
    return meter


class State(Collector):
    """What is, read when scraped: live clients by view, stale ones, channels, the writer's totals, the relay."""

    def __init__(self, live: Live, database: Database, hub: Hub) -> None:
        self.live = live
        self.database = database
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        clients = GaugeMetricFamily(
            "liveboard_live_clients", "Live clients connected now, by view.", labels=["scope", "view"]
        )
        stale = GaugeMetricFamily(
            "liveboard_live_clients_stale",
            "Live clients skipped now because they do not read fast enough.",
            labels=["scope", "view"],
        )
        counts = {(scope, view): [0, 0] for scope, views in LIVE_VIEWS.items() for view in views}
        channels = {scope: 0 for scope in LIVE_VIEWS}
        # A copy: a scrape runs on the event loop, but a list is cheap insurance against a change while iterating.
        for channel in list(self.live.channels.values()):
            scope = channel.topic[0]
            channels[scope] = channels.get(scope, 0) + 1
            for (view, _lang), group in list(channel.clients.items()):
                count = counts.setdefault((scope, view), [0, 0])
                count[0] += len(group)
                count[1] += sum(1 for client in group if client.stale_since is not None)
        for (scope, view), (connected, slow) in sorted(counts.items()):
            clients.add_metric([scope, view], connected)
            stale.add_metric([scope, view], slow)
        yield clients
        yield stale
        topics = GaugeMetricFamily(
            "liveboard_live_channels", "Events and series with live clients now.", labels=["scope"]
        )
        for scope, count in sorted(channels.items()):
            topics.add_metric([scope], count)
        yield topics
        writer = self.database.writer
        yield CounterMetricFamily("liveboard_writes", "Writes committed.", value=writer.writes)
        yield CounterMetricFamily(
            "liveboard_write_batches", "Transactions the writes were committed in.", value=writer.batches
        )
        yield GaugeMetricFamily(
            "liveboard_relaying",
            "1 while other instances' changes reach this one (always, with one process); 0 while Redis is away.",
            value=1 if self.hub.relaying else 0,
        )


def registry_for(live: Live, database: Database, hub: Hub) -> CollectorRegistry:
    """An app's registry: the process's instruments, the app's `State`, and the process itself (CPU, memory, open
    files, the garbage collector)."""
    registry = CollectorRegistry(auto_describe=True)
    for instrument in INSTRUMENTS:
        registry.register(instrument)
    registry.register(State(live, database, hub))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
