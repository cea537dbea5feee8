"""The WebSocket endpoints `/e/{slug}/ws` and `/s/{series}/ws`: a client joins its event's (or series')
channel and listens until it leaves.

The client says which view it shows (`view=phone|screen|host`), in which language, and the version it has
(`v`); the channel brings it to the current state in its next flush. Nothing the client sends is needed.

`Sockets` is called by the app's outermost ASGI callable for every `websocket` scope, past the HTTP-only
middleware and the router: a connection lives for hours, and every coroutine on its way in (compression, the
error pages, routing) would be kept, frame and all, for as long. What a connection holds once it is in its
channel is its `Client` and the one coroutine below that waits for it to leave; the handshake's headers, the
`WebSocket` object and the event's row are let go after `accept` (at 5,000 connections, tens of megabytes).

On a stop (SIGTERM, Ctrl-C) uvicorn closes every open socket with 1012, "service restart", before it waits for
the HTTP requests under way (all three of its WebSocket implementations do); the loop below then sees the
disconnect and leaves its channel. app.js reconnects at once on 1012 (tests/test_sigterm.py,
tests/browser/test_restart.py).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import compile_path
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from liveboard import i18n
from liveboard.db import Database
from liveboard.domain import accounts, events
from liveboard.domain import series as series_domain
from liveboard.domain.accounts import Host
from liveboard.domain.errors import N_, NotFound
from liveboard.live import series as series_live
from liveboard.live.channel import Channel, Client
from liveboard.live.elements import VIEWS
from liveboard.live.registry import Live
from liveboard.live.wire import Wire, forget_handshake, protocol_of
from liveboard.web import auth, security
from liveboard.web.errors import UNAVAILABLE

#: How often an open host console checks that its session still holds (logout elsewhere, account disabled).
HOST_RECHECK = 30.0
#: The close code for a handshake refused by policy: a foreign page, an unknown view or event, no host login.
POLICY = 1008
#: The close code for "try again later": the database is away; the page reconnects with backoff.
TRY_AGAIN = 1013
#: The largest message a client may send, in bytes: pages send nothing, so a larger one is no page's. `serve`
#: passes it to uvicorn too (`ws_max_size`), which then never buffers more; the check here holds under any server.
MAX_MESSAGE = 4 * 1024
#: The close code for a message over `MAX_MESSAGE` (RFC 6455 "message too big").
TOO_BIG = 1009


@dataclass(frozen=True)
class Topic:
    """What a socket listens to: the channels' scope, its views, and how to find its row from the path."""

    scope: str
    views: tuple[str, ...]
    #: (the database, the path's parameters) → what has an `id`; run on a reader thread
    find: Callable[[Database, dict[str, Any]], Any]


def _event(database: Database, params: dict[str, Any]) -> events.EventRef:
    """The event by its remembered id (`events.ref`) and the version it is at: one statement on a DBAPI
    connection (`Database.quick`), which finds a database that is away at once. A hall reopening its sockets
    reads this 1,500 times in a few seconds."""
    slug = params["slug"]
    event_id = database.event_id(slug)
    version = database.quick.scalar(events.VERSION, event=event_id)
    if version is None:
        raise NotFound(N_("There is no event called {slug}."), slug=slug)
    return events.EventRef(event_id, slug, version)


def _series(database: Database, params: dict[str, Any]) -> Any:
    with database.read() as db:
        return series_domain.by_slug(db, params["series"])


EVENT = Topic("event", VIEWS, _event)
SERIES = Topic("series", series_live.VIEWS, _series)


@dataclass(frozen=True)
class SocketRoute:
    path: str
    topic: Topic

    @property
    def regex(self) -> re.Pattern[str]:
        return compile_path(self.path)[0]


class Sockets:
    """The app's WebSocket side: the same-origin rule and the language (as `security.Guard` applies them to
    HTTP), then the route's endpoint. A path that is no socket's is closed before the handshake (403), as
    Starlette's router does."""

    def __init__(self, routes: list[SocketRoute], allowed_hosts: set[str]) -> None:
        self.routes = [(route.regex, route.topic) for route in routes]
        self.allowed = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Nothing of the checks may stay in this frame: it lives as long as the connection.
        if not self._same_site(scope):
            await send({"type": "websocket.close", "code": POLICY, "reason": "cross-site"})
            return
        topic = self._route(scope)
        if topic is None:
            await send({"type": "websocket.close", "code": 1000, "reason": ""})
            return
        await serve(scope, receive, send, topic)

    def _same_site(self, scope: Scope) -> bool:
        """The same-origin rule; on the way, the request's language goes into the scope's state."""
        headers = Headers(scope=scope)
        if security.cross_site_socket(headers, self.allowed):
            return False
        scope.setdefault("state", {})["lang"] = security.language(scope, headers)[0]
        return True

    def _route(self, scope: Scope) -> Topic | None:
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for regex, topic in self.routes:
            match = regex.match(path)
            if match is not None:
                scope["path_params"] = match.groupdict()
                return topic
        return None


async def serve(scope: Scope, receive: Receive, send: Send, topic: Topic) -> None:
    """Join the client to its channel, then wait for it to leave (a host console also checks its login)."""
    joined = await _join(scope, receive, send, topic)
    if joined is None:
        return
    live, channel, client, host = joined
    database: Database = scope["app"].state.db
    try:
        while True:
            if host is None:
                message = await receive()
            else:
                try:
                    message = await asyncio.wait_for(receive(), timeout=HOST_RECHECK)
                except TimeoutError:
                    if not await _still_logged_in(database, host):
                        await send({"type": "websocket.close", "code": POLICY, "reason": ""})
                        break
                    continue
            if message["type"] == "websocket.disconnect":
                break
            if _size(message) > MAX_MESSAGE:
                await send({"type": "websocket.close", "code": TOO_BIG, "reason": ""})
                break
    finally:
        live.disconnect(channel, client)


def _size(message: dict[str, Any]) -> int:
    """A received message's size in bytes, as it came over the wire."""
    if message.get("bytes") is not None:
        return len(message["bytes"])
    text = message.get("text")
    return len(text.encode()) if text is not None else 0


async def _join(
    scope: Scope, receive: Receive, send: Send, topic: Topic
) -> tuple[Live, Channel, Client, Host | None] | None:
    """The handshake: unknown views, a host view without a host session, and unknown events or series are
    refused (1008). Returns what the connection keeps; everything else read here is let go with this frame."""
    websocket = WebSocket(scope, receive, send)
    params = websocket.query_params
    view = params.get("view", "phone")
    host = await auth.current_host(websocket) if view == "host" else None
    if view not in topic.views or (view == "host" and host is None):
        await websocket.close(code=POLICY)
        return None
    database: Database = scope["app"].state.db
    try:
        found = await database.off_loop(lambda: topic.find(database, scope["path_params"]))
    except NotFound:
        await websocket.close(code=POLICY)
        return None
    except UNAVAILABLE:
        # Accepted only to say "try again later"; the page reconnects with backoff.
        await websocket.accept()
        await websocket.close(code=TRY_AGAIN)
        return None
    raw_version = params.get("v", "")
    version = int(raw_version) if raw_version.isascii() and raw_version.isdigit() else None
    lang = scope["state"].get("lang") or i18n.DEFAULT
    await websocket.accept()
    protocol = protocol_of(send)
    forget_handshake(scope, protocol)
    live: Live = scope["app"].state.live
    client = Client(Wire(protocol, send), view, lang, version)
    channel = live.connect((topic.scope, found.id), client)
    return live, channel, client, host


async def _still_logged_in(database: Database, host: Host) -> bool:
    """Whether a host console's session still holds: a logout or a disabled account elsewhere ends it here too,
    within `HOST_RECHECK`. A database that is away does not log anyone out."""
    moment = datetime.now(UTC)

    def look() -> bool:
        with database.read() as db:
            return accounts.session_host_by_hash(db, host.session, moment)[0] is not None

    try:
        return await database.off_loop(look)
    except UNAVAILABLE:
        return True
