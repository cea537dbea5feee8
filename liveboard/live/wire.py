"""Frames on the wire: encoded once, written as the same bytes to every client's socket.

uvicorn's `websockets-sansio` protocol writes each frame straight into the socket's transport. We do the
same, so a frame for 2,000 screens is encoded once and costs one `transport.write` per client, and we can see
each client's unsent bytes: a client that does not read is skipped instead of slowing the others (an
awaited send would wait for it). The protocol object is reached through the ASGI `send` callable, which
uvicorn passes as its bound method (the app hands `websocket` scopes to the endpoint with uvicorn's own `send`,
past any middleware that would wrap it). Any other server gets the slower, ordinary ASGI path.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Send
from websockets.frames import Frame, Opcode

#: What uvicorn's protocol keeps of a handshake it no longer needs once the connection is open: the parsed request
#: and the 101 response, each with its headers.
HANDSHAKE_ATTRIBUTES = ("request", "response")


def encode(text: str) -> bytes:
    """A server-to-client text frame: unmasked and uncompressed, so it is the same bytes for everyone."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def protocol_of(send: Send) -> Any | None:
    """uvicorn's sans-I/O protocol behind an ASGI `send`, or None when the server is another one."""
    protocol = getattr(send, "__self__", None)
    if protocol is None or not hasattr(protocol, "transport") or not hasattr(protocol, "conn"):
        return None
    return protocol


def forget_handshake(scope: dict[str, Any], protocol: Any | None) -> None:
    """Let go of the handshake once the socket is open. Its headers are kept three times for the connection's
    whole life (the scope's list, and uvicorn's request and response), about 4 KB a connection at a browser's
    dozen headers, read by nobody after `accept`."""
    scope["headers"] = []
    if protocol is not None:
        for name in HANDSHAKE_ATTRIBUTES:
            if getattr(protocol, name, None) is not None:
                setattr(protocol, name, None)


class Wire:
    """One client's socket, written to directly when possible."""

    __slots__ = ("_send", "protocol")

    def __init__(self, protocol: Any | None, send: Send) -> None:
        self.protocol = protocol
        self._send = send

    @property
    def direct(self) -> bool:
        return self.protocol is not None

    def backlog(self) -> int:
        """Bytes written to this client that the network has not taken yet."""
        if self.protocol is None:
            return 0
        transport = self.protocol.transport
        return transport.get_write_buffer_size() if transport is not None else 0

    def closed(self) -> bool:
        if self.protocol is None:
            return False
        transport = self.protocol.transport
        return transport is None or transport.is_closing() or self.protocol.close_sent or self.protocol.disconnected

    def write(self, frame: bytes, text: str) -> None:
        """Send without waiting: the bytes go to the socket's buffer (or, on the slow path, to a task)."""
        if self.protocol is not None:
            self.protocol.transport.write(frame)
        else:
            asyncio.ensure_future(self._send({"type": "websocket.send", "text": text}))  # noqa: RUF006

    def abort(self) -> None:
        """Drop a client that stopped reading: its buffer would only grow."""
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.abort()
