"""Many phones at once against a real server process, and a wall screen's socket that follows them: what the
crash, restart and backup tests put a server through while something happens to it.

Each phone is a thread with a browser of its own (its own cookies): it joins sessions, pitches, writes a note and
proposes an item to a series, one request after another, and keeps what every reply said. It stops when told to,
or when the server is gone.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

#: The longest any wait here takes; only a broken run reaches it.
WAIT = 15.0
#: What a reply that acknowledged an action says: the action is committed.
OK = (200, 303)


@dataclass
class Action:
    """One request a phone sent, and what came back: a status, the version its commit produced, or `None` for a
    request the server never answered (it was killed meanwhile)."""

    kind: str
    key: str | int
    status: int | None = None
    version: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK


@dataclass
class Phone:
    number: int
    base: str
    joinable: dict[int, list[int]]
    #: One session to write notes in.
    noted: int
    series: str
    actions: list[Action] = field(default_factory=list)
    token: str = ""
    #: Called on this phone's thread the moment a reply acknowledges an action.
    on_ok: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base, headers={"Origin": self.base}, timeout=WAIT)
        self.client.cookies.set("lb_lang", "en", domain="127.0.0.1")
        #: round id → the session this phone is in, as acknowledged.
        self.where: dict[int, int] = {}

    def open(self) -> None:
        """Load the phone page once: the participant's cookie, as a phone gets it from the QR code."""
        response = self.client.get("/e/demo")
        assert response.status_code == 200, response.text
        self.token = self.client.cookies["lb_pid"].rsplit(".", 1)[0]

    def run(self, stop: threading.Event, steps: int) -> None:
        try:
            for step in range(steps):
                if stop.is_set():
                    return
                if not self._act(step):
                    return
        finally:
            self.client.close()

    def _act(self, step: int) -> bool:
        """One request; False once the server is gone."""
        n = self.number
        if step == 0:
            action = Action("pitch", f"Storm pitch {n}")
            post = ("/e/demo/pitches", {"title": action.key, "story": "From the storm."})
        elif step == 3:
            action = Action("note", f"Storm note {n}")
            post = (f"/e/demo/sessions/{self.noted}/notes", {"kind": "idea", "text": action.key, "author": ""})
        elif step == 5 and n % 2 == 0:
            action = Action("item", f"Storm item {n}")
            post = (f"/s/{self.series}/items", {"title": action.key, "story": "", "channel": "both"})
        else:
            rounds = sorted(self.joinable)
            round_id = rounds[(step + n) % len(rounds)]
            choices = [s for s in self.joinable[round_id] if s != self.where.get(round_id)]
            session = choices[(step * 7 + n) % len(choices)]
            action = Action("join", session)
            post = (f"/e/demo/sessions/{session}/join", {})
        self.actions.append(action)
        try:
            response = self.client.post(post[0], data=post[1])
        except httpx.TransportError:
            return False
        action.status = response.status_code
        version = response.headers.get("x-liveboard-version")
        action.version = int(version) if version and version.isdigit() else None
        if action.kind == "join" and action.ok:
            self.where[self._round_of(int(action.key))] = int(action.key)
        if action.ok and self.on_ok is not None:
            self.on_ok()
        return True

    def _round_of(self, session: int) -> int:
        return next(r for r, sessions in self.joinable.items() if session in sessions)


def sessions_by_round(path: Path) -> dict[int, list[int]]:
    """round id → its sessions, read from the file before the server starts."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found: dict[int, list[int]] = {}
        for session, round_id in db.execute(
            "SELECT s.id, s.round_id FROM session s JOIN event e ON e.id = s.event_id WHERE e.slug = 'demo'"
            " ORDER BY s.id"
        ):
            found.setdefault(round_id, []).append(session)
        return found
    finally:
        db.close()


class Storm:
    """`count` phones, each on a thread of its own, `steps` requests each at most."""

    def __init__(self, base: str, path: Path, count: int, steps: int = 200) -> None:
        joinable = sessions_by_round(path)
        first = min(joinable)
        self.phones = [Phone(i, base, joinable, joinable[first][0], "seniorer") for i in range(count)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(Phone.open, self.phones))
        self.stop = threading.Event()
        #: Called with the number of actions acknowledged so far, on the thread of the phone whose reply made it
        #: that many, as the reply arrives: a test can kill the server at that very moment.
        self.on_acknowledged: Callable[[int], None] | None = None
        self._count = 0
        self._lock = threading.Lock()
        for phone in self.phones:
            phone.on_ok = self._acknowledged
        self.threads = [
            threading.Thread(target=phone.run, args=(self.stop, steps), name=f"phone-{phone.number}", daemon=True)
            for phone in self.phones
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _acknowledged(self) -> None:
        with self._lock:
            self._count += 1
            count = self._count
        if self.on_acknowledged is not None:
            self.on_acknowledged(count)

    def acknowledged(self) -> int:
        return sum(action.ok for phone in self.phones for action in list(phone.actions))

    def wait_for(self, acknowledged: int) -> None:
        deadline = time.monotonic() + WAIT
        while self.acknowledged() < acknowledged:
            assert time.monotonic() < deadline, f"only {self.acknowledged()} actions acknowledged in {WAIT} s"
            assert any(t.is_alive() for t in self.threads), "every phone stopped"
            time.sleep(0.01)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(WAIT)
            assert not thread.is_alive(), f"{thread.name} did not stop"

    def actions(self, kind: str | None = None) -> list[Action]:
        return [a for phone in self.phones for a in phone.actions if kind is None or a.kind == kind]


# --- a wall screen --------------------------------------------------------------------------------------------

_VERSION = re.compile(r'<i id="lb-v" hidden data-v="(\d+)" hx-swap-oob="true"></i>')
_PAGE_VERSION = re.compile(r'<i id="lb-v" hidden data-v="(\d+)"></i>')
_COUNT = re.compile(r'<span class="count[^"]*" id="count-(\d+)"[^>]*>(\d+)<span')


class Screen:
    """A wall screen's live socket, as app.js keeps it: every frame applied in order (the last swap of an
    element wins), the version it shows, and on reconnecting that version in `?v=` so the server sends only what
    it missed. Reads on a thread of its own until the socket closes."""

    def __init__(self, base: str, slug: str = "demo") -> None:
        self.base = base
        self.slug = slug
        self.version: int | None = None
        self.counts: dict[int, int] = {}
        self.frames = 0
        #: The close code of the last connection, once it closed (1006: it broke without a close frame).
        self.closed: int | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: What went wrong on the reading thread (a frame without its version), raised in the test's thread.
        self.failed: list[BaseException] = []
        self.ws: ClientConnection | None = None

    def load(self) -> None:
        """The screen's page, as the browser loads it first: the counts and the version the socket starts from."""
        response = httpx.get(f"{self.base}/e/{self.slug}/screen?lang=en", timeout=WAIT)
        assert response.status_code == 200, response.text
        found = _PAGE_VERSION.search(response.text)
        assert found, "the page says its version"
        with self._lock:
            self.version = int(found.group(1))
            self.counts = {int(session): int(count) for session, count in _COUNT.findall(response.text)}
        assert self.counts, "the page shows headcounts"

    def connect(self) -> None:
        """Open the socket, saying the version shown; frames are read on a thread of its own until it closes."""
        v = "" if self.version is None else str(self.version)
        url = self.base.replace("http://", "ws://") + f"/e/{self.slug}/ws?view=screen&lang=en&v={v}"
        self.closed = None
        opened = threading.Event()
        self.failed = []
        self._thread = threading.Thread(target=self._read, args=(url, opened, self.failed), name="screen", daemon=True)
        self._thread.start()
        assert opened.wait(WAIT), "the screen's socket did not open"
        if self.failed:
            raise self.failed[0]

    def _read(self, url: str, opened: threading.Event, failed: list[BaseException]) -> None:
        try:
            with connect(url, origin=Origin(self.base), open_timeout=WAIT, close_timeout=1) as ws:
                self.ws = ws
                opened.set()
                try:
                    for frame in ws:
                        self._apply(str(frame))
                except ConnectionClosed:
                    pass
                self.closed = ws.close_code if ws.close_code is not None else 1006
        except BaseException as error:  # the test's thread raises it
            failed.append(error)
            opened.set()

    def _apply(self, frame: str) -> None:
        with self._lock:
            self.frames += 1
            found = _VERSION.match(frame)
            assert found, f"a frame starts with its version: {frame[:200]!r}"
            self.version = int(found.group(1))
            for session, count in _COUNT.findall(frame):
                self.counts[int(session)] = int(count)

    def wait(self, check: Callable[[Screen], bool], what: str, seconds: float = WAIT) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.failed:
                raise self.failed[0]
            with self._lock:
                if check(self):
                    return
            assert time.monotonic() < deadline, f"the screen: not within {seconds} s: {what} (at v{self.version})"
            time.sleep(0.01)

    def wait_closed(self, seconds: float = WAIT) -> int:
        assert self._thread is not None
        self._thread.join(seconds)
        assert not self._thread.is_alive(), "the screen's socket did not close"
        if self.failed:
            raise self.failed[0]
        assert self.closed is not None
        return self.closed

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        if self._thread is not None:
            self._thread.join(WAIT)


def counts_in(path: Path, slug: str = "demo") -> tuple[int, dict[int, int]]:
    """The event's version and every session's headcount, read from the file."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.execute("BEGIN")  # one read: the counts as of that version
        version = db.execute("SELECT version FROM event WHERE slug = ?", (slug,)).fetchone()[0]
        counts = dict(
            db.execute(
                "SELECT s.id, (SELECT count(*) FROM presence p WHERE p.session_id = s.id) FROM session s"
                " JOIN event e ON e.id = s.event_id WHERE e.slug = ?",
                (slug,),
            ).fetchall()
        )
        return version, counts
    finally:
        db.close()
