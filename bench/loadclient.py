"""A minimal WebSocket load client: many connections in one asyncio process, as cheap per frame as we can make it.

Not a WebSocket library: it does the opening handshake by hand (random `Sec-WebSocket-Key`, offering
permessage-deflate as browsers do), parses the server's unmasked frames (7/16/64-bit lengths, fragmentation,
RSV1-compressed messages if a server ever accepts the extension), answers pings with masked pongs and closes
with a masked close frame. Per text message it records `(arrival time.perf_counter(), data-v, frame id, bytes
on the wire)`; the frame's bytes are interned once per distinct payload (every client of a broadcast gets the
same bytes), so recording costs a dict lookup, not a copy per client.

Used by `bench/fanout.py`; `python bench/loadclient.py ws://127.0.0.1:8000/e/demo/ws?view=phone -n 10` is a
smoke test.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import resource
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
EXTENSION_OFFER = "permessage-deflate; client_max_window_bits"
DATA_V = b'data-v="'


def raise_nofile() -> int:
    """Raise this process's open-file limit to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds() -> float:
    """CPU time (user + system) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def version_of(payload: bytes) -> int:
    """The `data-v="N"` of a frame (the first one), or -1. A cheap find, no parsing."""
    i = payload.find(DATA_V)
    if i < 0:
        return -1
    i += len(DATA_V)
    j = payload.find(b'"', i, i + 24)
    try:
        return int(payload[i:j])
    except ValueError:
        return -1


def _mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return b""
    n = len(payload)
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


def client_frame(opcode: int, payload: bytes = b"") -> bytes:
    """A masked client frame (control frames: payload < 126 bytes)."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + key + _mask(payload, key)


@dataclass
class Stats:
    """What the whole load process saw, shared by its connections."""

    frames: list[bytes] = field(default_factory=list)  # distinct payloads, by frame id
    index: dict[bytes, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: The version every client waits for, and how many have not reached it yet.
    target: int = 0
    pending: int = 0
    reached: asyncio.Future[None] | None = None
    compressed_offers_accepted: int = 0

    def intern(self, payload: bytes) -> int:
        fid = self.index.get(payload)
        if fid is None:
            fid = len(self.frames)
            self.index[payload] = fid
            self.frames.append(payload)
        return fid


class Client(asyncio.Protocol):
    """One WebSocket connection. `events` holds (arrival, version, frame id, wire bytes) per text message."""

    __slots__ = (
        "_frag",
        "_frag_bytes",
        "_frag_rsv1",
        "_hbuf",
        "_inflate",
        "buf",
        "closed",
        "events",
        "extra_headers",
        "host",
        "key",
        "maxv",
        "opened",
        "origin",
        "path",
        "pings",
        "stats",
        "status",
        "transport",
        "v0",
        "view",
        "wire_bytes",
    )

    def __init__(
        self, stats: Stats, host: str, path: str, view: str, v0: int, origin: str | None, extra_headers: str = ""
    ) -> None:
        self.stats = stats
        self.host = host
        self.path = path
        self.view = view
        self.v0 = v0
        self.origin = origin
        self.extra_headers = extra_headers
        self.maxv = v0
        self.events: list[tuple[float, int, int, int]] = []
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.buf = b""
        self._hbuf = b""
        self._frag: list[bytes] | None = None
        self._frag_bytes = 0
        self._frag_rsv1 = False
        self._inflate: zlib._Decompress | None = None
        self.status = 0
        self.closed = False
        self.wire_bytes = 0
        self.pings = 0
        self.key = base64.b64encode(os.urandom(16)).decode()

    # --- handshake -------------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: {self.host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self.key}",
            "Sec-WebSocket-Version: 13",
            f"Sec-WebSocket-Extensions: {EXTENSION_OFFER}",
            "User-Agent: liveboard-bench/1",
        ]
        if self.origin:
            lines.append(f"Origin: {self.origin}")
        request = "\r\n".join(lines) + "\r\n" + self.extra_headers + "\r\n"
        transport.write(request.encode())  # type: ignore[attr-defined]

    def _handshake(self, data: bytes) -> bytes | None:
        """Consume the 101 response; return what follows it (frames), or None while incomplete/failed."""
        self._hbuf += data
        end = self._hbuf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._hbuf) > 65536:
                self._fail("handshake response too long")
            return None
        head, rest = self._hbuf[:end].decode("latin-1"), self._hbuf[end + 4 :]
        self._hbuf = b""
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if self.status != 101:
            self._fail(f"status {self.status}: {lines[0]}")
            return None
        expected = base64.b64encode(hashlib.sha1(self.key.encode() + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            self._fail("bad Sec-WebSocket-Accept")
            return None
        extensions = headers.get("sec-websocket-extensions", "")
        if "permessage-deflate" in extensions:
            # The server took the offer: inflate RSV1 messages (context kept unless the server says otherwise).
            self.stats.compressed_offers_accepted += 1
            self._inflate = zlib.decompressobj(-15)
        if not self.opened.done():
            self.opened.set_result(True)
        return rest

    def _fail(self, why: str) -> None:
        self.stats.errors.append(why)
        if not self.opened.done():
            self.opened.set_result(False)
        if self.transport is not None:
            self.transport.abort()

    # --- frames ----------------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        t = time.perf_counter()
        self.wire_bytes += len(data)
        if self.status != 101:
            rest = self._handshake(data)
            if not rest:
                return
            data = rest
        buf = self.buf + data if self.buf else data
        n = len(buf)
        pos = 0
        while n - pos >= 2:
            b0 = buf[pos]
            length = buf[pos + 1]
            if length & 0x80:
                self._fail("masked frame from server")
                return
            hl = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                hl = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                hl = 10
            end = pos + hl + length
            if end > n:
                break
            self._frame(b0, buf[pos + hl : end], end - pos, t)
            pos = end
        self.buf = buf[pos:] if pos < n else b""

    def _frame(self, b0: int, payload: bytes, nbytes: int, t: float) -> None:
        opcode = b0 & 0x0F
        fin = b0 & 0x80
        if opcode == 1 or opcode == 2:  # text / binary
            if not fin:
                self._frag, self._frag_bytes, self._frag_rsv1 = [payload], nbytes, bool(b0 & 0x40)
                return
            self._message(payload, nbytes, bool(b0 & 0x40), t)
        elif opcode == 0:  # continuation
            if self._frag is None:
                self._fail("continuation without a first fragment")
                return
            self._frag.append(payload)
            self._frag_bytes += nbytes
            if fin:
                whole, total, rsv1 = b"".join(self._frag), self._frag_bytes, self._frag_rsv1
                self._frag = None
                self._message(whole, total, rsv1, t)
        elif opcode == 9:  # ping
            self.pings += 1
            if self.transport is not None and not self.closed:
                self.transport.write(client_frame(0xA, payload))
        elif opcode == 8 and self.transport is not None and not self.closed:  # close
            self.closed = True
            self.transport.write(client_frame(0x8, payload[:2]))
            self.transport.close()
        # pong (0xA): ignored

    def _message(self, payload: bytes, nbytes: int, rsv1: bool, t: float) -> None:
        if rsv1:
            if self._inflate is None:
                self._fail("compressed frame without the extension")
                return
            payload = self._inflate.decompress(payload + b"\x00\x00\xff\xff")
        v = version_of(payload)
        stats = self.stats
        self.events.append((t, v, stats.intern(payload), nbytes))
        if v > self.maxv:
            if self.maxv < stats.target <= v:
                stats.pending -= 1
                if stats.pending <= 0 and stats.reached is not None and not stats.reached.done():
                    stats.reached.set_result(None)
            self.maxv = v

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            if self.status == 101:
                self.stats.errors.append(f"connection lost: {exc!r}")
        if not self.opened.done():
            self.stats.errors.append(f"connection lost during handshake: {exc!r}")
            self.opened.set_result(False)

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            try:
                self.transport.write(client_frame(0x8, (1000).to_bytes(2, "big")))
            finally:
                self.transport.close()


class LoopLag:
    """How late this process's event loop wakes from a short sleep. A load process busy with its own work (reading
    frames, sending requests) notes every arrival late by about that much and sends late too: the server would be
    blamed for the load generator's lateness. Sampling costs one wake-up per `every` seconds."""

    def __init__(self, every: float = 0.01) -> None:
        self.every = every
        self.lags: list[float] = []  # seconds late, one per wake-up
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(self.every)
            self.lags.append(time.perf_counter() - t - self.every)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary_ms(self) -> dict[str, float]:
        """p50, p99 and max of the lag, ms (NaN without samples)."""
        lags = sorted(self.lags)
        if not lags:
            return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}
        at = [lags[min(len(lags) - 1, int(q * len(lags)))] * 1000 for q in (0.5, 0.99)]
        return {"p50": at[0], "p99": at[1], "max": lags[-1] * 1000, "n": len(lags)}


class Load:
    """A crowd of clients in this process."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.stats = Stats()
        self.clients: list[Client] = []

    async def connect(
        self,
        specs: Iterable[tuple[str, str]],
        v0: int,
        batch: int = 200,
        timeout: float = 30.0,
        origin: bool = True,
        headers: str = "",
        port: int | None = None,
    ) -> tuple[int, int]:
        """Open one connection per (path, view), `batch` at a time, to `port` (default: the load's); return
        (opened, failed). One load can so hold the clients of several servers, in `clients` in connection order."""
        loop = asyncio.get_running_loop()
        port = port or self.port
        hostport = f"{self.host}:{port}"
        origin_value = f"http://{hostport}" if origin else None
        specs = list(specs)
        ok = failed = 0
        for start in range(0, len(specs), batch):
            chunk = [
                Client(self.stats, hostport, path, view, v0, origin_value, headers)
                for path, view in specs[start : start + batch]
            ]

            async def one(client: Client) -> bool:
                try:
                    await asyncio.wait_for(loop.create_connection(lambda: client, self.host, port), timeout)
                    return await asyncio.wait_for(asyncio.shield(client.opened), timeout)
                except (OSError, TimeoutError) as exc:
                    self.stats.errors.append(f"connect: {exc!r}")
                    if client.transport is not None:
                        client.transport.abort()
                    return False

            results = await asyncio.gather(*(one(c) for c in chunk))
            for client, good in zip(chunk, results, strict=True):
                if good:
                    self.clients.append(client)
                    ok += 1
                else:
                    failed += 1
        return ok, failed

    async def wait_for_version(self, version: int, deadline: float) -> int:
        """Wait until every open client has a frame with data-v >= version, or until `deadline` (perf_counter).
        Returns how many have not."""
        stats = self.stats
        stats.target = version
        stats.pending = sum(1 for c in self.clients if c.maxv < version and not c.closed)
        if stats.pending <= 0:
            return 0
        stats.reached = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(stats.reached, max(0.0, deadline - time.perf_counter()))
        except TimeoutError:
            pass
        finally:
            stats.reached = None
        return sum(1 for c in self.clients if c.maxv < version)

    async def quiet(self, seconds: float, limit: float) -> None:
        """Wait until no client got a frame for `seconds`, at most `limit` seconds."""
        end = time.perf_counter() + limit
        while time.perf_counter() < end:
            last = max((c.events[-1][0] for c in self.clients if c.events), default=0.0)
            if time.perf_counter() - last >= seconds:
                return
            await asyncio.sleep(min(seconds / 4, 0.25))

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.clients = []


async def _smoke(url: str, n: int, seconds: float) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    load = Load(parts.hostname or "127.0.0.1", parts.port or 80)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    ok, failed = await load.connect([(path, "x")] * n, v0=0)
    print(f"opened {ok}, failed {failed}; errors: {load.stats.errors[:3]}")
    await asyncio.sleep(seconds)
    frames = sum(len(c.events) for c in load.clients)
    print(f"{frames} frames in {seconds}s; distinct payloads {len(load.stats.frames)}")
    for payload in load.stats.frames[:3]:
        print(payload[:300])
    load.close()
    await asyncio.sleep(0.1)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    raise_nofile()
    asyncio.run(_smoke(args.url, args.n, args.seconds))
