"""Every HTTP request timed by its route's template and status class, for `/metrics`; with `--access-log` and
`--log-format json`, also one structured log line.

The outermost middleware, so the time covers the whole answer (the guard, compression, error pages). Its cost
per request is two clock reads and a dict lookup: the histogram's child for (route, status) is bound once
(`metrics.request_meter`). The route's template (`/e/{slug}/join`), not the path, keeps the series few and the
log free of what a path may carry (a note-taker's key). A path no route knows is `unmatched`.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liveboard import metrics

log = logging.getLogger("liveboard.access")

UNMATCHED = "unmatched"


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            metrics.request_meter(template, f"{status // 100}xx").observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                fields = {
                    "method": scope["method"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                }
                log.info("%s %s %s", scope["method"], template, status, extra={"fields": fields})
