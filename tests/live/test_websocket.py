"""The live WebSocket `/e/{slug}/ws` against the real server (uvicorn, websockets-sansio), with real clients.

What the contract promises ("Live updates"): every change reaches every connected client of the event, text
HTML-escaped; a client that reconnects is brought to the current state; a foreign Origin is refused. And what
the live layer is built for: bursts coalesce into few frames, a client that stops reading is skipped instead
of slowing the others, and frames go out uncompressed (no permessage-deflate).

Frames are read with bounded waits; assertions are about what arrives, never about how fast.
"""

from __future__ import annotations

import html
import re
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin
from websockets.uri import parse_uri

from liveboard.live import channel as live_channel
from liveboard.models import Pitch
from tests.conftest import LiveServer

#: The longest any frame is waited for. The contract says "within a second"; this only bounds a broken run.
WAIT = 5.0
TITLE = '<b>Fest & "farver"</b>'
#: The words a headcount carries for screen readers ("11 of 40 places taken") follow the visible count.
HIDDEN = '<span class="visually-hidden">'


# --- clients --------------------------------------------------------------------------------------------------


def ws_url(
    server: LiveServer, view: str = "phone", v: int | str | None = None, lang: str = "en", slug: str = "demo"
) -> str:
    version = "" if v is None else str(v)
    return server.url.replace("http://", "ws://") + f"/e/{slug}/ws?view={view}&lang={lang}&v={version}"


class Watch:
    """A websocket client and every frame it received, read with bounded waits."""

    def __init__(self, ws: ClientConnection, name: str) -> None:
        self.ws = ws
        self.name = name
        self.frames: list[str] = []

    def until(self, pattern: str, seconds: float = WAIT) -> str:
        """Read until a frame matches `pattern` (a regex); that frame."""
        deadline = time.monotonic() + seconds
        start = len(self.frames)
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.ws.recv(timeout=left)
            except TimeoutError:
                break
            assert isinstance(frame, str), "frames are text"
            self.frames.append(frame)
            if re.search(pattern, frame):
                return frame
        got = "\n---\n".join(f[:600] for f in self.frames[start:])
        pytest.fail(f"{self.name}: no frame matched {pattern!r} within {seconds} s; got:\n{got}")

    def until_true(self, check: Callable[[str], bool], seconds: float = WAIT) -> str:
        """Read until `check(frame)`; that frame."""
        deadline = time.monotonic() + seconds
        start = len(self.frames)
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.ws.recv(timeout=left)
            except TimeoutError:
                break
            assert isinstance(frame, str)
            self.frames.append(frame)
            if check(frame):
                return frame
        got = "\n---\n".join(f[:600] for f in self.frames[start:])
        pytest.fail(f"{self.name}: the expected frame did not come within {seconds} s; got:\n{got}")

    def quiet(self, seconds: float) -> list[str]:
        """Whatever arrives within `seconds`."""
        deadline = time.monotonic() + seconds
        got: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.ws.recv(timeout=left)
            except TimeoutError:
                break
            got.append(str(frame))
        self.frames.extend(got)
        return got


def watch(
    stack: ExitStack, server: LiveServer, view: str = "phone", v: int | str | None = None, lang: str = "en", **kw: Any
) -> Watch:
    ws = stack.enter_context(connect(ws_url(server, view, v, lang), origin=Origin(server.url), open_timeout=WAIT, **kw))
    return Watch(ws, f"{view}/{lang}/v={v}")


def host_cookie(host: httpx.Client) -> dict[str, str]:
    return {"Cookie": f"lb_host={host.cookies['lb_host']}"}


class Stuck:
    """A client that does the handshake by hand and then never reads: its buffers fill up, as a phone's on a
    congested network. `drain()` reads (and parses) everything the server sent it so far."""

    def __init__(self, server: LiveServer, view: str, headers: dict[str, str] | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small receive window: the kernel holds little for us.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(WAIT)
        port = int(server.url.rsplit(":", 1)[1])
        self.sock.connect(("127.0.0.1", port))
        self.protocol = ClientProtocol(
            parse_uri(ws_url(server, view, server.version())), origin=Origin(server.url), max_size=None
        )
        request = self.protocol.connect()
        request.headers.update(headers or {})
        self.protocol.send_request(request)
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        events: list[Any] = []
        while not events:
            data = self.sock.recv(65536)
            assert data, "the server closed the connection during the handshake"
            self.protocol.receive_data(data)
            events = self.protocol.events_received()
        assert isinstance(events[0], Response) and events[0].status_code == 101, events[0]
        self.frames: list[str] = [e.data.decode() for e in events[1:] if isinstance(e, Frame)]
        self.eof = False

    def drain(self, seconds: float = 0.5) -> list[str]:
        """Read for `seconds` (or until the server closes); the text frames read."""
        got: list[str] = []
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.05)
        while not self.eof and time.monotonic() < deadline:
            try:
                data = self.sock.recv(1 << 20)
            except TimeoutError:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                self.eof = True
                break
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode == Opcode.TEXT:
                    got.append(event.data.decode())
        self.frames.extend(got)
        return got

    def close(self) -> None:
        self.sock.close()


# --- what the server holds --------------------------------------------------------------------------------------


def live_clients(server: LiveServer) -> list[tuple[tuple[str, str], Any]]:
    return server.live_clients()


def settle(server: LiveServer, count: int) -> None:
    server.wait_live(count, WAIT)


def snapshot(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/events/demo", timeout=WAIT)
    assert response.status_code == 200
    return response.json()


def present(server: LiveServer, session_id: int) -> int:
    """The exact headcount of a session, as the JSON API reports it."""
    return next(s["present"] for s in snapshot(server)["sessions"] if s["id"] == session_id)


def capacity(server: LiveServer, session_id: int) -> int:
    data = snapshot(server)
    room_id = next(s["room_id"] for s in data["sessions"] if s["id"] == session_id)
    return next(r["capacity"] for r in data["rooms"] if r["id"] == room_id)


def versions(frame: str) -> list[int]:
    return [int(v) for v in re.findall(r'<i id="lb-v" hidden data-v="(\d+)" hx-swap-oob="true"></i>', frame)]


def frame_version(frame: str) -> int:
    """A frame starts with the version tag; its data-v."""
    found = re.match(r'<i id="lb-v" hidden data-v="(\d+)" hx-swap-oob="true"></i>', frame)
    assert found, f"a frame must start with the version tag: {frame[:200]!r}"
    return int(found.group(1))


def phone_count(frame: str, session_id: int) -> list[int]:
    """Every headcount the frame shows for a session on phones, in document order (the last one wins)."""
    return [
        int(n) for n in re.findall(rf'<span class="present" id="present-{session_id}"[^>]*>(\d+) (?:of|af) ', frame)
    ]


def screen_count(frame: str, session_id: int) -> list[int]:
    return [int(n) for n in re.findall(rf'<span class="count[^"]*" id="count-{session_id}"[^>]*>(\d+)<span', frame)]


def oob_ids(frame: str) -> list[str]:
    """Ids of the frame's top-level out-of-band elements, in order."""
    return re.findall(r'<[a-z][a-z0-9]*\b[^>]*?\bid="([^"]+)"[^>]*\bhx-swap-oob="true"', frame)


def join(client: httpx.Client, session_id: int) -> int:
    """A participant joins a session; the version the POST answered with."""
    response = client.post(f"/e/demo/sessions/{session_id}/join")
    assert response.status_code == 303, response.text
    return int(response.headers["x-liveboard-version"])


def announce(host: httpx.Client, text: str) -> int:
    response = host.post("/e/demo/host/announce", data={"text": text})
    assert response.status_code == 303, response.text
    return int(response.headers["x-liveboard-version"])


# --- a change reaches everyone ---------------------------------------------------------------------------------


def test_an_approved_pitch_reaches_screens_and_phones_with_its_title_escaped(
    server: LiveServer, client: httpx.Client, host: httpx.Client
) -> None:
    with ExitStack() as stack:
        phone = watch(stack, server, "phone", server.version())
        danish = watch(stack, server, "phone", server.version(), lang="da")
        screen = watch(stack, server, "screen", server.version())
        console = watch(stack, server, "host", server.version(), additional_headers=host_cookie(host))
        settle(server, 4)

        sent = client.post("/e/demo/pitches", data={"title": TITLE, "story": "Med <script>alert(1)</script>"})
        assert sent.status_code == 303, sent.text
        pitch = max(server.rows(Pitch), key=lambda p: p.id)
        assert pitch.title == TITLE and pitch.status == "pending"
        # The host's console shows the pending pitch at once, escaped like everywhere else.
        pending = console.until(re.escape(html.escape(TITLE, quote=False)[:12]))
        assert "<b>Fest" not in pending and "<script>" not in pending

        approved = host.post(f"/e/demo/host/pitches/{pitch.id}/approve")
        assert approved.status_code == 303
        committed = int(approved.headers["x-liveboard-version"])

        for watcher in (phone, danish):
            frame = watcher.until(rf'<li class="pitch" id="pitch-{pitch.id}"')
            assert f'<div hx-swap-oob="beforeend:#pitches"><li class="pitch" id="pitch-{pitch.id}"' in frame
            title = re.search(rf'id="pitch-{pitch.id}".*?<h3 lang="da">(.*?)</h3>', frame, re.S)
            assert title, frame
            assert "<" not in title.group(1) and html.unescape(title.group(1)) == TITLE
            assert "&lt;b&gt;Fest &amp; " in frame
            assert "<b>" not in frame and "<script>" not in frame
            assert max(versions(frame)) >= committed
        frame = screen.until(r'(?s)id="screen-pitches"[^>]*>.*Fest')
        shown = re.search(r'<span class="title" lang="da">([^<]*Fest[^<]*)</span>', frame)
        assert shown and html.unescape(shown.group(1)) == TITLE, frame
        assert "<b>" not in frame
        assert frame_version(frame) >= committed

        # Before the approval, nobody but the host saw it.
        for watcher in (phone, danish, screen):
            before = [f for f in watcher.frames if frame_version(f) < committed]
            assert not any("Fest" in f for f in before)


def test_a_join_moves_the_counts_on_phones_and_screens_to_the_exact_value(
    server: LiveServer, client: httpx.Client
) -> None:
    first, other = server.slot(1, "Store sal"), server.slot(1, "Lokale 1")  # the same round
    with ExitStack() as stack:
        phone = watch(stack, server, "phone", server.version())
        danish = watch(stack, server, "phone", server.version(), lang="da")
        screen = watch(stack, server, "screen", server.version())
        settle(server, 3)

        committed = join(client, first.id)
        exact, cap = present(server, first.id), capacity(server, first.id)
        assert exact == server.present(first)
        frame = phone.until(rf'id="present-{first.id}"')
        span = f'<span class="present" id="present-{first.id}" hx-swap-oob="true">'
        assert f"{span}{exact} of {cap}{HIDDEN} places taken</span></span>" in frame
        assert frame_version(frame) >= committed
        frame = danish.until(rf'id="present-{first.id}"')
        assert f"{span}{exact} af {cap}{HIDDEN} pladser optaget</span></span>" in frame
        frame = screen.until(rf'id="count-{first.id}"')
        assert screen_count(frame, first.id) == [exact]
        assert f'{exact}<span class="capacity">/{cap}</span>' in frame
        assert frame_version(frame) >= committed
        # Shared frames carry nothing personal: the page marks "my" session itself.
        assert "mine" not in frame and "mine" not in phone.frames[-1]

        # Moving to another session of the same round: both counts move, in one change.
        committed = join(client, other.id)
        counts = {s: present(server, s) for s in (first.id, other.id)}
        assert counts[first.id] == exact - 1
        frame = phone.until_true(lambda f: phone_count(f, first.id) and phone_count(f, other.id) != [])
        assert phone_count(frame, first.id) == [counts[first.id]]
        assert phone_count(frame, other.id) == [counts[other.id]]
        assert frame_version(frame) >= committed
        frame = screen.until_true(lambda f: bool(screen_count(f, first.id) and screen_count(f, other.id)))
        assert screen_count(frame, first.id) == [counts[first.id]]
        assert screen_count(frame, other.id) == [counts[other.id]]

        response = client.post(f"/e/demo/sessions/{other.id}/leave")
        assert response.status_code == 303
        frame = screen.until(rf'id="count-{other.id}"')
        assert screen_count(frame, other.id) == [present(server, other.id)] == [counts[other.id] - 1]


def test_every_client_of_a_view_gets_the_same_frame(server: LiveServer, host: httpx.Client) -> None:
    with ExitStack() as stack:
        screens = [watch(stack, server, "screen", server.version()) for _ in range(12)]
        phones = [watch(stack, server, "phone", server.version(), lang=("da", "en")[i % 2]) for i in range(12)]
        settle(server, 24)
        committed = announce(host, "Kaffen er klar i foyeren <nu>")
        got = [w.until("Kaffen er klar") for w in screens + phones]
        assert len(set(got[:12])) == 1, "one frame, encoded once, for every screen"
        assert len(set(got[12::2])) == 1 and len(set(got[13::2])) == 1  # per language
        for frame in got:
            assert "Kaffen er klar i foyeren &lt;nu&gt;" in frame
            assert frame_version(frame) >= committed


# --- reconnecting -----------------------------------------------------------------------------------------------


def test_a_reconnecting_client_gets_what_it_missed_at_the_current_count(
    server: LiveServer, client: httpx.Client, host: httpx.Client
) -> None:
    slot = server.slot(1, "Store sal")
    with ExitStack() as stack:
        # These stay connected, so the channel keeps its recent frames while the others are away.
        stays = {view: watch(stack, server, view, server.version()) for view in ("phone", "screen")}
        settle(server, 2)
        before = server.version()
        for view in ("phone", "screen"):
            with connect(ws_url(server, view, before), origin=Origin(server.url), open_timeout=WAIT):
                settle(server, 3)
            settle(server, 2)

        join(client, slot.id)
        stays["phone"].until(rf'id="present-{slot.id}"')
        stays["screen"].until(rf'id="count-{slot.id}"')
        announce(host, "Runde 2 begynder om lidt")
        stays["phone"].until("Runde 2 begynder")
        second = server.client()
        join(second, slot.id)
        stays["phone"].until(rf'id="present-{slot.id}"')
        stays["screen"].until(rf'id="count-{slot.id}"')
        current = snapshot(server)["version"]
        exact = present(server, slot.id)

        phone = watch(stack, server, "phone", before)
        frame = phone.until(rf'id="present-{slot.id}"')
        assert frame_version(frame) == current
        assert phone_count(frame, slot.id) == [exact]
        assert "Runde 2 begynder" in frame
        assert "board" not in oob_ids(frame), "only what it missed, not the whole board"

        screen = watch(stack, server, "screen", before)
        frame = screen.until(rf'id="count-{slot.id}"')
        assert frame_version(frame) == current
        assert screen_count(frame, slot.id) == [exact]
        assert "Runde 2 begynder" in frame
        assert "grid" not in oob_ids(frame)

        # A client that is already current gets nothing to catch up on.
        assert watch(stack, server, "phone", current).quiet(0.3) == []


def test_a_reconnecting_client_ends_on_the_current_count_when_the_board_was_redrawn_in_between(
    server: LiveServer, host: httpx.Client
) -> None:
    slot, room = server.slot(1, "Store sal"), server.room("Lokale 4")
    with ExitStack() as stack:
        stays = {view: watch(stack, server, view, server.version()) for view in ("phone", "screen")}
        settle(server, 2)
        before = server.version()
        # Missed by the reconnecting client, each in a frame of its own: a count, a redraw, the count again.
        join(server.client(), slot.id)
        stays["phone"].until(rf'id="present-{slot.id}"')
        stays["screen"].until(rf'id="count-{slot.id}"')
        edited = host.post(f"/e/demo/host/rooms/{room.id}", data={"name": room.name, "capacity": "26"})
        assert edited.status_code == 303, edited.text
        stays["phone"].until(r'id="board"')
        stays["screen"].until(r'id="grid"')
        join(server.client(), slot.id)
        stays["phone"].until(rf'id="present-{slot.id}"')
        stays["screen"].until(rf'id="count-{slot.id}"')
        exact = present(server, slot.id)

        # Swaps apply in document order, so the last occurrence of the count is what the page ends with.
        frame = watch(stack, server, "phone", before).until(rf'id="present-{slot.id}"')
        assert phone_count(frame, slot.id)[-1] == exact, (oob_ids(frame), phone_count(frame, slot.id))
        frame = watch(stack, server, "screen", before).until(rf'id="count-{slot.id}"')
        assert screen_count(frame, slot.id)[-1] == exact, (oob_ids(frame), screen_count(frame, slot.id))


PHONE_REGIONS = {"board", "pitches", "announcement", "pitch-form", "lb-v"}
SCREEN_REGIONS = {"grid", "clock", "screen-pitches", "announcement", "lb-v"}


@pytest.mark.parametrize("view", ["phone", "screen"])
@pytest.mark.parametrize("v", ["0", "", "999999", "abc"], ids=["v0", "no-v", "future-v", "junk-v"])
def test_a_client_far_behind_or_unknown_gets_its_whole_regions_at_the_exact_counts(
    server: LiveServer, view: str, v: str
) -> None:
    for slot in (server.slot(1, "Store sal"), server.slot(1, "Lokale 2"), server.slot(2, "Lokale 1")):
        join(server.client(), slot.id)
    data = snapshot(server)
    assert data["version"] >= 3
    with ExitStack() as stack:
        frame = watch(stack, server, view, v).until(r'id="lb-v"')
    assert frame_version(frame) == data["version"]
    assert (PHONE_REGIONS if view == "phone" else SCREEN_REGIONS) <= set(oob_ids(frame))
    assert data["sessions"]
    counted = phone_count if view == "phone" else screen_count
    for session in data["sessions"]:
        assert counted(frame, session["id"]) == [session["present"]], session


def test_a_client_behind_the_kept_frames_gets_whole_regions(
    server: LiveServer, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The channel keeps a bounded number of recent frames; a client older than all of them gets its regions."""
    monkeypatch.setattr(live_channel, "HISTORY", 3)  # read when the phone stream is made, below
    slot = server.slot(1, "Store sal")
    with ExitStack() as stack:
        stays = watch(stack, server, "phone", server.version())
        settle(server, 1)
        start = server.version()
        marks = []
        for _ in range(5):
            marks.append(join(server.client(), slot.id))
            stays.until(rf'id="present-{slot.id}"')
        exact = present(server, slot.id)

        behind = watch(stack, server, "phone", start).until(r'id="lb-v"')
        assert {"board", "pitches"} <= set(oob_ids(behind))
        assert phone_count(behind, slot.id) == [exact]
        recent = watch(stack, server, "phone", marks[-3]).until(r'id="lb-v"')
        assert "board" not in oob_ids(recent)
        assert phone_count(recent, slot.id) == [exact]


# --- a client that does not read ------------------------------------------------------------------------------


def make_stale(server: LiveServer, host: httpx.Client, stuck: list[Stuck], normal: Watch) -> int:
    """Push big frames until every stuck client is skipped, checking after each change that the normal client
    got its frame. The number of changes made."""
    room = server.room("Lokale 4")
    for i in range(60):
        edited = host.post(
            f"/e/demo/host/rooms/{room.id}", data={"name": room.name, "capacity": str(20 + i), "location": "x" * 60}
        )
        assert edited.status_code == 303, edited.text
        announce(host, f"{i:03d} " + "x" * 196)  # 200 characters
        # The normal client gets every change: this change's announcement and the room's new capacity.
        frame = normal.until(f'</span> <span lang="da">{i:03d} x')
        assert f"{i:03d} " + "x" * 196 in frame
        stale_clients = [c for _, c in live_clients(server) if c.stale_since is not None]
        if len(stale_clients) == len(stuck):
            return i + 1
    pytest.fail(f"the stuck clients were never skipped: {[(k, c.wire.backlog()) for k, c in live_clients(server)]}")


@pytest.fixture
def stuck_clients(server: LiveServer, host: httpx.Client) -> Iterator[list[Stuck]]:
    """A stuck screen and a stuck host console, with the server's side of their sockets given a small send
    buffer too, so the bytes back up in the server's transport after a few dozen kilobytes, not megabytes."""
    stuck = [Stuck(server, "screen"), Stuck(server, "host", host_cookie(host))]
    settle(server, 2)

    def shrink() -> None:
        for channel in server.app.state.live.channels.values():
            for group in channel.clients.values():
                for client in group:
                    sock = client.wire.protocol.transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

    server.on_loop(shrink)
    yield stuck
    for client in stuck:
        client.close()


def test_a_client_that_does_not_read_is_skipped_and_does_not_hold_up_the_others(
    server: LiveServer, host: httpx.Client, stuck_clients: list[Stuck], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen_stuck, host_stuck = stuck_clients
    with ExitStack() as stack:
        normal = watch(stack, server, "screen", server.version())
        settle(server, 3)
        changes = make_stale(server, host, stuck_clients, normal)

        # Skipped, not written to: their unsent bytes stay where they were while the normal client goes on.
        def backlogs() -> dict[str, int]:
            return {key[0]: c.wire.backlog() for key, c in live_clients(server) if c.stale_since is not None}

        held = backlogs()
        assert set(held) == {"screen", "host"} and all(n > live_channel.HIGH_WATER for n in held.values()), held
        for i in range(changes, changes + 3):
            announce(host, f"{i:03d} " + "y" * 196)
            normal.until(f'</span> <span lang="da">{i:03d} y')
        assert backlogs() == held

        # The stuck screen reads again: after the next change it gets one fresh state, at the current version.
        screen_stuck.drain()
        last = announce(host, "Tilbage igen")
        normal.until("Tilbage igen")
        deadline = time.monotonic() + WAIT
        while not any("Tilbage igen" in f for f in screen_stuck.frames) and time.monotonic() < deadline:
            screen_stuck.drain(0.1)
        fresh = [f for f in screen_stuck.frames if "Tilbage igen" in f]
        assert fresh, "the drained client never got the current state"
        assert frame_version(fresh[-1]) == last
        assert f"{changes + 2:03d} y" not in fresh[-1], "only the latest announcement"
        assert [key for key, c in live_clients(server) if c.stale_since is not None] == [("host", "en")]

        # The host console that still does not read is dropped once it has been stuck too long.
        monkeypatch.setattr(live_channel, "STUCK_SECONDS", 0.0)
        announce(host, "Farvel")
        normal.until("Farvel")
        deadline = time.monotonic() + WAIT
        while any(key[0] == "host" for key, _ in live_clients(server)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sorted(key[0] for key, _ in live_clients(server)) == ["screen", "screen"]
        host_stuck.drain(2.0)
        assert host_stuck.eof, "the server closed the stuck console's connection"


def test_a_skipped_client_that_reads_again_is_brought_up_to_date_without_waiting_for_another_change(
    server: LiveServer, host: httpx.Client, stuck_clients: list[Stuck]
) -> None:
    screen_stuck = stuck_clients[0]
    with ExitStack() as stack:
        normal = watch(stack, server, "screen", server.version())
        settle(server, 3)
        changes = make_stale(server, host, stuck_clients, normal)
        latest = f"{changes - 1:03d} " + "x" * 196
        current = snapshot(server)["version"]
        # No more changes. The client reads again: it should be brought to the current state by itself, within
        # the second the contract gives any change (with some slack).
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and not any(latest in f for f in screen_stuck.frames[-1:]):
            screen_stuck.drain(0.1)
        assert screen_stuck.frames and latest in screen_stuck.frames[-1]
        assert frame_version(screen_stuck.frames[-1]) == current


# --- coalescing -------------------------------------------------------------------------------------------------


def test_a_burst_of_fifty_joins_arrives_in_few_frames_with_the_exact_counts(server: LiveServer) -> None:
    big, later = server.slot(1, "Store sal"), server.slot(2, "Store sal")
    targets = [big.id] * 30 + [later.id] * 20
    participants = [server.client() for _ in targets]
    with ThreadPoolExecutor(max_workers=16) as pool:  # their connections open and their cookies set beforehand
        assert all(r.status_code == 200 for r in pool.map(lambda c: c.get("/e/demo/me"), participants))
    with ExitStack() as stack:
        phone = watch(stack, server, "phone", server.version())
        screen = watch(stack, server, "screen", server.version())
        settle(server, 2)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            committed = list(pool.map(join, participants, targets))
        took = time.monotonic() - started
        exact = {s: present(server, s) for s in (big.id, later.id)}
        assert exact == {big.id: server.present(big), later.id: server.present(later)}
        assert len(set(committed)) == 50, "fifty changes, fifty versions"

        def final(counted: Callable[[str, int], list[int]]) -> Callable[[str], bool]:
            seen: dict[int, int] = {}

            def check(frame: str) -> bool:
                for s in exact:
                    if counted(frame, s):
                        seen[s] = counted(frame, s)[-1]
                return seen == exact

            return check

        phone.until_true(final(phone_count))
        screen.until_true(final(screen_count))
        for watcher in (phone, screen):
            watcher.quiet(0.3)
            assert 1 <= len(watcher.frames) <= 15, (watcher.name, len(watcher.frames), f"{took:.2f} s burst")
            assert max(frame_version(f) for f in watcher.frames) == max(committed)
            seq = [frame_version(f) for f in watcher.frames]
            assert seq == sorted(seq), "frames never go back in version"


# --- the handshake -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "origin", "why"),
    [
        ("/e/demo/ws?view=phone", "https://evil.example", "a foreign Origin"),
        ("/e/demo/ws?view=screen", "http://127.0.0.1.evil.example", "an Origin that only starts like ours"),
        ("/e/demo/ws?view=phone", "null", "an opaque Origin"),
        ("/e/demo/ws?view=host", None, "the host view without a host login"),
        ("/e/nope/ws?view=phone", None, "an unknown event"),
        ("/e/demo/ws?view=admin", None, "an unknown view"),
    ],
)
def test_a_handshake_is_refused(server: LiveServer, path: str, origin: str | None, why: str) -> None:
    url = server.url.replace("http://", "ws://") + path
    with pytest.raises(InvalidStatus) as refused, connect(url, origin=Origin(origin or server.url), open_timeout=WAIT):
        pass
    assert refused.value.response.status_code == 403, why


def test_a_forged_host_cookie_is_refused_and_a_real_one_accepted(server: LiveServer, host: httpx.Client) -> None:
    url = ws_url(server, "host", server.version())
    with (
        pytest.raises(InvalidStatus),
        connect(
            url, origin=Origin(server.url), open_timeout=WAIT, additional_headers={"Cookie": "lb_host=forged.value"}
        ),
    ):
        pass
    with ExitStack() as stack:
        console = watch(stack, server, "host", server.version(), additional_headers=host_cookie(host))
        settle(server, 1)
        announce(host, "Til værterne")
        assert 'id="announce-now"' in console.until("Til værterne")


def test_a_handshake_without_origin_from_a_script_is_accepted(server: LiveServer) -> None:
    with connect(ws_url(server, "screen"), open_timeout=WAIT) as ws:
        assert 'id="grid"' in Watch(ws, "script").until(r'id="lb-v"')


def test_the_permessage_deflate_offer_is_declined(server: LiveServer, host: httpx.Client) -> None:
    """Frames are encoded once for everyone, uncompressed: the server must not agree to compress them."""
    with connect(ws_url(server, "phone", server.version()), origin=Origin(server.url), compression="deflate") as ws:
        assert "permessage-deflate" in ws.request.headers.get("Sec-WebSocket-Extensions", "")
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        assert ws.protocol.extensions == []
        settle(server, 1)
        announce(host, "Ukomprimeret")
        assert "Ukomprimeret" in Watch(ws, "phone").until("Ukomprimeret")
