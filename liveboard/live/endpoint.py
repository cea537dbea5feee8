"""The WebSocket endpoints `/e/{slug}/ws` and `/s/{series}/ws`: a client joins its event's (or series')
channel and listens until it leaves.

The client says which view it shows (`view=phone|screen|host`), in which language, and the version it has
(`v`); the channel brings it to the current state in its next flush. Nothing the client sends is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session
from starlette.websockets import WebSocket, WebSocketDisconnect

from liveboard import i18n
from liveboard.domain import accounts, events
from liveboard.domain import series as series_domain
from liveboard.domain.accounts import Host
from liveboard.domain.errors import NotFound
from liveboard.live import series as series_live
from liveboard.live.channel import Client
from liveboard.live.elements import VIEWS
from liveboard.live.wire import PROTOCOL_KEY, Wire
from liveboard.web import auth
from liveboard.web.errors import UNAVAILABLE
from liveboard.web.requests import read

#: How often an open host console checks that its session still holds (logout elsewhere, account disabled).
HOST_RECHECK = 30.0


async def event_socket(websocket: WebSocket) -> None:
    await _socket(websocket, "event", VIEWS, lambda db: events.by_slug(db, websocket.path_params["slug"]))


async def series_socket(websocket: WebSocket) -> None:
    await _socket(
        websocket, "series", series_live.VIEWS, lambda db: series_domain.by_slug(db, websocket.path_params["series"])
    )


async def _socket(websocket: WebSocket, scope: str, views: tuple[str, ...], find: Callable[[Session], Any]) -> None:
    """Unknown views, a host view without a host session, and unknown events or series are refused (1008)."""
    params = websocket.query_params
    view = params.get("view", "phone")
    host = await auth.current_host(websocket) if view == "host" else None
    if view not in views or (view == "host" and host is None):
        await websocket.close(code=1008)
        return
    try:
        found = await read(websocket, find)  # type: ignore[arg-type]
    except NotFound:
        await websocket.close(code=1008)
        return
    except UNAVAILABLE:
        # Accepted only to say "try again later" (1013); the page reconnects with backoff.
        await websocket.accept()
        await websocket.close(code=1013)
        return
    raw_version = params.get("v", "")
    version = int(raw_version) if raw_version.isdigit() else None
    lang = i18n.pick(params.get("lang")) or websocket.scope.get("state", {}).get("lang") or i18n.DEFAULT
    await websocket.accept()
    live = websocket.app.state.live
    client = Client(Wire(websocket.scope["state"].get(PROTOCOL_KEY), websocket.send), view, lang, version)
    channel = live.connect((scope, found.id), client)
    try:
        while True:
            try:
                message = await asyncio.wait_for(websocket.receive(), timeout=HOST_RECHECK if host else None)
            except TimeoutError:
                if not await _still_logged_in(websocket, host):  # type: ignore[arg-type]
                    await websocket.close(code=1008)
                    break
                continue
            if message["type"] == "websocket.disconnect":
                break
    except WebSocketDisconnect:
        pass
    finally:
        live.disconnect(channel, client)


async def _still_logged_in(websocket: WebSocket, host: Host) -> bool:
    """Whether a host console's session still holds: a logout or a disabled account elsewhere ends it here too,
    within `HOST_RECHECK`. A database that is away does not log anyone out."""
    moment = datetime.now(UTC)
    try:
        return await read(websocket, lambda db: accounts.session_host_by_hash(db, host.session, moment)[0] is not None)  # type: ignore[arg-type]
    except UNAVAILABLE:
        return True
