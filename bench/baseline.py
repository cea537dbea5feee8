"""The fan-out baseline: a bare `websockets` server that broadcasts one frame per change with `websockets.broadcast`.

It accepts the same WebSocket URL as LiveBoard (`/e/{slug}/ws?view=phone|screen&v=N`), sends nothing on
connect, and makes a "change" when the load process asks for it with a plain GET (websockets' server answers
non-upgrade requests through `process_request`, GET only):

    GET /change?phone=BYTES&screen=BYTES   -> version += 1; every phone gets a text frame of BYTES bytes,
                                              every screen one of its size; answers 200 with
                                              `X-LiveBoard-Version: N`, like LiveBoard's POSTs
    GET /healthz                           -> 200

Each frame starts like LiveBoard's (`<i id="lb-v" hidden data-v="N" hx-swap-oob="true"></i>`) and is padded
to the size measured from LiveBoard's frames for the same change. No compression (LiveBoard refuses it too).

    python bench/baseline.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import signal
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.http11 import Request, Response

VIEWS = ("phone", "screen", "host")
clients: dict[str, set[ServerConnection]] = {view: set() for view in VIEWS}
state = {"version": 0}


def frame_text(version: int, size: int, view: str) -> str:
    head = f'<i id="lb-v" hidden data-v="{version}" hx-swap-oob="true"></i>'
    body = f'<span class="present" id="{view}-0" hx-swap-oob="true">'
    tail = "</span>"
    pad = max(0, size - len(head) - len(body) - len(tail))
    return head + body + ("x" * pad) + tail


def process_request(connection: ServerConnection, request: Request) -> Response | None:
    parts = urlsplit(request.path)
    if parts.path == "/healthz":
        return connection.respond(HTTPStatus.OK, '{"ok": true}\n')
    if parts.path == "/change":
        query = parse_qs(parts.query)
        state["version"] += 1
        version = state["version"]
        for view in VIEWS:
            size = int(query.get(view, ["200"])[0])
            if clients[view]:
                broadcast(clients[view], frame_text(version, size, view))
        response = connection.respond(HTTPStatus.OK, "ok\n")
        response.headers["X-LiveBoard-Version"] = str(version)
        return response
    if parts.path.startswith("/e/") and parts.path.endswith("/ws"):
        return None  # the WebSocket handshake
    return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")


async def handler(connection: ServerConnection) -> None:
    query = parse_qs(urlsplit(connection.request.path).query) if connection.request else {}
    view = query.get("view", ["phone"])[0]
    group = clients.get(view, clients["phone"])
    group.add(connection)
    try:
        await connection.wait_closed()
    finally:
        group.discard(connection)


async def main(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(
        handler, host, port, process_request=process_request, compression=None, backlog=4096, max_size=2**16
    ):
        print(f"baseline listening on http://{host}:{port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="bare websockets fan-out baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.host, args.port))
