"""What the metrics cost on the hot paths, in-process: a live flush to 5,000 clients, and a request's way through
the app's middleware.

Runs against whatever `liveboard` is on the path, so the same script measures a checkout before the metrics and
one after:

    PYTHONPATH=/path/to/checkout python bench/metrics_overhead.py [--clients 5000] [--rounds 400]

The fan-out is the real `Channel.flush` (one changed element, rendered by a stand-in renderer, as 90 % phones and
10 % screens) writing to sockets whose transports drop the bytes: what is measured is the channel's own work per
client, which is what counting frames and bytes could slow down. The request is the real app's middleware stack
(the guard, compression, the error pages) in front of a trivial endpoint; Starlette's test client is not used,
the ASGI app is called directly, so the figure is the middleware's own time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from liveboard.live.channel import Channel, Client
from liveboard.live.elements import Element
from liveboard.live.wire import Wire


class Transport:
    def write(self, data: bytes) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False


def protocol() -> SimpleNamespace:
    return SimpleNamespace(transport=Transport(), conn=None, close_sent=False, disconnected=False)


async def fanout(clients: int, rounds: int) -> list[float]:
    version = 0

    def load(_id: int, _views: frozenset[str]) -> int:
        return version

    def render(view: str, lang: str, board: int, dirty: object, relaying: bool = True) -> list[Element]:
        return [Element("announcement", f'<p id="announcement">{view} {board} ' + "x" * 80 + "</p>")]

    channel = Channel(1, load, lambda: datetime.now(UTC), renderer=render, facts=lambda board: (board, []))
    for i in range(clients):
        view = "screen" if i % 10 == 0 else "phone"
        channel.clients.setdefault((view, "da"), set()).add(
            Client(Wire(protocol(), None), view, "da", version=0, pending=False)  # type: ignore[arg-type]
        )
    times = []
    for _ in range(rounds):
        version += 1
        channel.dirty.kinds.add("announce")
        started = time.perf_counter()
        await channel.flush()
        times.append(time.perf_counter() - started)
    channel.close()
    return times


async def requests(rounds: int) -> list[float]:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from liveboard import app as application
    from liveboard.config import Settings

    async def tiny(_request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    original = application.routes
    application.routes = lambda: [Route("/tiny", tiny)]  # type: ignore[assignment]
    try:
        app = application.create_app(Settings(database_url="sqlite:///:memory:", admin_password="x" * 12))
    finally:
        application.routes = original  # type: ignore[assignment]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/tiny",
        "raw_path": b"/tiny",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", b"lb_lang=da")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict) -> None:
        pass

    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await app(dict(scope), receive, send)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    flush = asyncio.run(fanout(args.clients, args.rounds))[20:]
    request = asyncio.run(requests(args.rounds * 25))[200:]
    print(
        f"flush to {args.clients} clients: median {statistics.median(flush) * 1e3:.3f} ms, "
        f"per client {statistics.median(flush) / args.clients * 1e9:.0f} ns (min {min(flush) * 1e3:.3f} ms)"
    )
    print(
        f"request through the middleware: median {statistics.median(request) * 1e6:.1f} µs "
        f"(min {min(request) * 1e6:.1f} µs)"
    )


if __name__ == "__main__":
    main()
