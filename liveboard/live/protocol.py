"""uvicorn's sans-I/O WebSocket protocol, without its INFO lines for every socket.

uvicorn says '… "WebSocket /e/demo/ws?…" [accepted]', and `websockets` "connection open" and "connection closed",
for every socket, on uvicorn's error logger: access-log lines by nature, three per phone, one with the raw path.
When a hall reloads at once, making and filtering those records cost the server a tenth of its time
(bench/overload.py), so without `--access-log` `serve` runs this protocol, as it runs without the request lines.
Everything else is said as before: a refused handshake, errors, warnings.
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

#: What is said of every socket, as uvicorn and `websockets` pass it to `Logger.info`.
PER_SOCKET = frozenset({'%s - "WebSocket %s" [accepted]', "connection open", "connection closed"})


class WithoutSocketLines:
    """A logger that leaves out `PER_SOCKET` before a record is made; everything else goes to `logger`."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        if message not in PER_SOCKET:
            self._logger.info(message, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


class QuietSockets(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = WithoutSocketLines(self.logger)  # type: ignore[assignment]
        self.conn.logger = WithoutSocketLines(self.conn.logger)  # type: ignore[arg-type]
