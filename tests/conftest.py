"""Shared fixtures."""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from servers import MISSING, PostgresServer, RedisServer, Unavailable, database_name, unavailable
from sqlalchemy import func
from sqlmodel import SQLModel, select

from liveboard import demo, keys, migrate
from liveboard.config import Settings
from liveboard.db import Database
from liveboard.domain import accounts
from liveboard.live.endpoint import MAX_MESSAGE
from liveboard.models import Account, AuditEntry, Event, Interest, Participant, Pitch, Presence, Room, Round
from liveboard.models import Session as Slot

S = TypeVar("S", PostgresServer, RedisServer)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file of its own: the real engine setup (WAL, BEGIN IMMEDIATE), not an in-memory stand-in."""
    db = Database(f"sqlite:///{tmp_path}/t.db")
    migrate.upgrade(db.engine)
    yield db
    db.dispose()


# --- real PostgreSQL and Redis servers (tests/servers.py) -------------------------------------------------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the whole run (initdb once); tests make databases of their own in it. A test that
    stops, restarts or kills it leaves it running again when it ends."""
    server = _started(request, lambda: PostgresServer(tmp_path_factory.mktemp("postgres")))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    """One Redis for the whole run, without persistence. A test that stops it starts it again (same port)."""
    server = _started(request, lambda: RedisServer(tmp_path_factory.mktemp("redis")))
    try:
        yield server
    finally:
        server.stop()


def _started(request: pytest.FixtureRequest, make: Callable[[], S]) -> S:
    """A server made and started, or the run told loudly why it cannot be (see `servers.unavailable`)."""
    try:
        server = make()
    except Unavailable as error:
        unavailable(request.config, error)
    server.start()
    return server


@pytest.fixture
def pg_database(postgres: PostgresServer) -> Iterator[Database]:
    """A migrated PostgreSQL database of its own, dropped afterwards."""
    name = postgres.create_database(database_name())
    db = Database(postgres.url(name))
    try:
        migrate.upgrade(db.engine)
        yield db
    finally:
        db.dispose()
        postgres.drop_database(name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Tests skipped for want of a server program, once more at the very end, where nobody can miss them."""
    if MISSING:
        terminalreporter.section("servers not installed: tests not run", yellow=True, bold=True)
        for message in dict.fromkeys(MISSING):
            terminalreporter.write_line(message, yellow=True, bold=True)


# --- a real LiveBoard server ------------------------------------------------------------------------------------
#
# The web tests run the real app under uvicorn on a free loopback port, on a database of their own with the demo
# loaded (a SQLite file, or a PostgreSQL database with `pg_server`), and talk to it with httpx like a browser
# would. Nothing of LiveBoard is mocked.

HOST_PASSWORD = "test-password"
#: The password of every account a test makes with `LiveServer.add_account`.
ACCOUNT_PASSWORD = "a long test password"
#: htmx marks its requests with this header; the app answers them with a fragment instead of a redirect.
HX = {"HX-Request": "true"}


def errors(page: str) -> str:
    """The text of a page's or fragment's error messages (elements of class `error`), without markup."""
    found = re.findall(r'<(p|div|span)\b[^>]*\bclass="[^"]*\berror\b[^"]*"[^>]*>(.*?)</\1>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", " ".join(text for _, text in found)))


def first_id(fragment: str) -> str | None:
    """The id of a fragment's first element: what htmx swaps into its target."""
    found = re.match(r'\s*<[a-z][a-z0-9]*\b[^>]*?\bid="([^"]+)"', fragment)
    return found.group(1) if found else None


def has_id(page: str, element_id: str) -> bool:
    return re.search(rf'<[a-z][a-z0-9]*\b[^>]*\bid="{re.escape(element_id)}"', page) is not None


def out_of_band(fragment: str, element_id: str) -> bool:
    """Whether the fragment carries the element `element_id` as an htmx out-of-band swap."""
    tag = rf'<[a-z][a-z0-9]*\b(?=[^>]*\bid="{re.escape(element_id)}")(?=[^>]*\bhx-swap-oob="true")[^>]*>'
    return re.search(tag, fragment) is not None


class LiveServer:
    """A running LiveBoard: its URL, a second `Database` on the same database for checking rows, and helpers."""

    def __init__(self, url: str, database: Database, app: Any = None) -> None:
        self.url = url
        self.database = database
        #: The running Starlette app (its `state.live` holds the live channels), or None.
        self.app = app
        self._clients: list[httpx.Client] = []

    # clients

    def client(
        self,
        *,
        origin: bool = True,
        lang: str | None = "en",
        host: bool = False,
        account: str | None = None,
        **kwargs: Any,
    ) -> httpx.Client:
        """A browser of its own (own cookies). `lang="en"` pins messages to the English catalog so the tests'
        expectations do not depend on the translations; `lang=None` is a browser that never chose a language.
        `host=True` logs in as admin (an organiser) with the password alone; `account="mette"` logs in as that
        account (made with `add_account`)."""
        headers = {"Origin": self.url} if origin else {}
        headers.update(kwargs.pop("headers", {}))
        # Plain HTTP on loopback: no TLS, so no certificate store to load (it costs ~25 ms per client).
        client = httpx.Client(
            base_url=self.url, headers=headers, follow_redirects=False, timeout=30, verify=False, **kwargs
        )
        if lang:
            client.cookies.set("lb_lang", lang, domain="127.0.0.1")
        self._clients.append(client)
        if host:
            response = client.post("/host/login", data={"password": HOST_PASSWORD})
            assert response.status_code == 303, response.text
            assert client.cookies.get("lb_host")
        if account:
            response = client.post("/host/login", data={"username": account, "password": ACCOUNT_PASSWORD})
            assert response.status_code == 303, response.text
            assert client.cookies.get("lb_host")
        return client

    def add_account(self, username: str, role: str = "host", name: str | None = None) -> Account:
        """An account that has chosen its password (`ACCOUNT_PASSWORD`), as if its invitation had been used."""
        with self.database.write() as db:
            account = Account(username=username, name=name or username.title(), role=role)
            account.password_hash = accounts.hash_password(ACCOUNT_PASSWORD)
            db.add(account)
        return self.rows(Account, Account.username == username)[0]

    def close(self) -> None:
        for client in self._clients:
            client.close()

    # the running app, looked at from its own event loop

    def on_loop(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        """`fn()` run on the server's event loop, where the live channels live, and its result: a consistent look
        at `app.state.live` from the test's thread."""

        async def call() -> Any:
            return fn()

        loop = self.app.state.hub.loop
        assert loop is not None, "the server has not started its hub"
        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout)

    def live_clients(self) -> list[tuple[tuple[str, str], Any]]:
        """Every connected live client as ((view, lang), the channel's client object), read on the server's loop."""

        def look() -> list[tuple[tuple[str, str], Any]]:
            return [
                (key, client)
                for channel in self.app.state.live.channels.values()
                for key, group in channel.clients.items()
                for client in group
            ]

        return self.on_loop(look)

    def wait_live(self, count: int, timeout: float = 5.0) -> None:
        """Wait until exactly `count` live clients are connected and each has had its first flush, so it is at the
        current state and a change made now reaches it as a change."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            clients = self.live_clients()
            if len(clients) == count and not any(client.pending for _, client in clients):
                return
            time.sleep(0.01)
        found = [(key, client.pending) for key, client in self.live_clients()]
        raise AssertionError(f"expected {count} settled live clients within {timeout} s, found {found}")

    # the database, read directly

    def rows(self, model: Any, *where: Any) -> list[Any]:
        """Rows in primary key order: what "the first" and "the last" mean on every engine (PostgreSQL returns an
        unordered query's rows in whatever order its plan finds them)."""
        with self.database.read() as db:
            return list(db.exec(select(model).where(*where).order_by(*model.__table__.primary_key)))

    def count(self, model: Any, *where: Any) -> int:
        with self.database.read() as db:
            return db.exec(select(func.count()).select_from(model).where(*where)).one()

    def get(self, model: Any, ident: Any) -> Any:
        with self.database.read() as db:
            return db.get(model, ident)

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: compare before and after to show that a refused request changed nothing."""
        with self.database.engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            # Plain SQL, values as the driver gives them: the same before and after, at a third of the ORM's cost
            # (refused requests are checked by the hundred).
            return {
                table.name: [
                    tuple(row)
                    for row in connection.exec_driver_sql(
                        f"SELECT * FROM {quote(table.name)} ORDER BY "
                        + ", ".join(quote(column.name) for column in table.primary_key)
                    )
                ]
                for table in SQLModel.metadata.sorted_tables
            }

    def event(self, slug: str = "demo") -> Event:
        return self.rows(Event, Event.slug == slug)[0]

    def version(self) -> int:
        return self.event().version

    def pitch(self, key: str) -> Pitch:
        """A demo pitch by its key in `liveboard.demo.PITCHES` (e.g. "stress"), or any pitch by exact title."""
        title = next((p.title for p in demo.PITCHES if p.key == key), key)
        return self.rows(Pitch, Pitch.title == title)[0]

    def room(self, name: str) -> Room:
        return self.rows(Room, Room.name == name)[0]

    def round(self, number: int) -> Round:
        return self.rows(Round, Round.label == f"Runde {number}")[0]

    def slot(self, round_number: int, room_name: str) -> Slot:
        """The session placed in a demo cell, e.g. `slot(1, "Caféen")`."""
        room, round_ = self.room(room_name), self.round(round_number)
        return self.rows(Slot, Slot.room_id == room.id, Slot.round_id == round_.id)[0]

    def present(self, slot: Slot | int) -> int:
        session_id = slot if isinstance(slot, int) else slot.id
        return self.count(Presence, Presence.session_id == session_id)

    def interest(self, pitch: Pitch | int) -> int:
        pitch_id = pitch if isinstance(pitch, int) else pitch.id
        return self.count(Interest, Interest.pitch_id == pitch_id)

    def participant(self, client: httpx.Client) -> Participant | None:
        """The participant row behind a client's signed `lb_pid` cookie (found through the cookie, as the app does)."""
        raw = client.cookies.get("lb_pid")
        if not raw:
            return None
        token = raw.rsplit(".", 1)[0]
        found = self.rows(Participant, Participant.token == token)
        return found[0] if found else None

    def audit(self) -> list[AuditEntry]:
        return self.rows(AuditEntry)


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # A socket handed to uvicorn keeps Nagle on its connections: every keep-alive response would then wait ~40 ms
    # for a delayed ACK. uvicorn binding its own port does not have this; the accepted sockets inherit NODELAY.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # As `liveboard serve` runs it: the sans-I/O websockets protocol (the live layer writes frames straight to
    # its transport) and no permessage-deflate (frames are encoded once, uncompressed, for every client).
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=MAX_MESSAGE,
        lifespan="on",
        # A connection a test left open must not keep the server from stopping.
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="liveboard-test-server", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.005)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo loaded, made once; every server starts from a copy of it."""
    path = tmp_path_factory.mktemp("demo") / "lb.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database.engine)
    assert demo.load_demo(database)
    # admin as every test server starts it (LIVEBOARD_ADMIN_PASSWORD = HOST_PASSWORD): made once, not per server.
    keys.admin_account(database, HOST_PASSWORD)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


@pytest.fixture(scope="session")
def _stopping() -> Iterator[list[threading.Thread]]:
    """Server threads told to stop. uvicorn takes a tick or two to wind down; they are joined once, at the end."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a test server did not stop"


@contextmanager
def _live_server(url: str, stopped: Callable[[threading.Thread], object]) -> Iterator[LiveServer]:
    """A LiveServer on `url`; when done, its server thread is told to stop and handed to `stopped`."""
    from liveboard.app import create_app

    database = Database(url)
    app = create_app(Settings(database_url=url, admin_password=HOST_PASSWORD))
    uv, thread, base = _serve(app)
    live = LiveServer(base, database, app)
    try:
        yield live
    finally:
        live.close()
        uv.should_exit = True
        database.dispose()
        stopped(thread)


@pytest.fixture
def sqlite_server(tmp_path: Path, demo_file: Path, _stopping: list[threading.Thread]) -> Iterator[LiveServer]:
    """The real app under uvicorn on 127.0.0.1, on a SQLite file of its own holding the demo (a copy of the
    migrated, demo-loaded `demo_file`; the app migrates again at start, as it always does)."""
    shutil.copyfile(demo_file, tmp_path / "lb.db")
    with _live_server(f"sqlite:///{tmp_path}/lb.db", _stopping.append) as live:
        yield live


@pytest.fixture
def server(sqlite_server: LiveServer) -> LiveServer:
    """The running app the web tests talk to: on SQLite, unless a module overrides this fixture (as
    tests/web/test_invariants.py does, to run on PostgreSQL too)."""
    return sqlite_server


@pytest.fixture(scope="session")
def pg_demo(postgres: PostgresServer) -> str:
    """A migrated PostgreSQL database with the demo loaded, made once: the template every `pg_server` copies."""
    name = postgres.create_database(database_name("demo"))
    database = Database(postgres.url(name))
    try:
        migrate.upgrade(database.engine)
        assert demo.load_demo(database)
        keys.admin_account(database, HOST_PASSWORD)
    finally:
        database.dispose()  # nobody may be connected to a template while it is copied
    return name


@pytest.fixture(scope="session")
def _pg_stopping(postgres: PostgresServer) -> Iterator[list[tuple[threading.Thread, str]]]:
    """Databases of stopped servers, dropped once their server thread has ended: dropping a database under a
    server that is still winding down would break its last reads, and waiting for each costs a tick."""
    pending: list[tuple[threading.Thread, str]] = []
    yield pending
    for thread, name in pending:
        thread.join(timeout=30)
        postgres.drop_database(name)


@pytest.fixture
def pg_server(
    postgres: PostgresServer,
    pg_demo: str,
    _stopping: list[threading.Thread],
    _pg_stopping: list[tuple[threading.Thread, str]],
) -> Iterator[LiveServer]:
    """`sqlite_server` on PostgreSQL: the real app on a database of its own, a copy of the demo template."""
    for entry in [entry for entry in _pg_stopping if not entry[0].is_alive()]:
        postgres.drop_database(entry[1])
        _pg_stopping.remove(entry)
    name = postgres.create_database(database_name(), template=pg_demo)

    def stopped(thread: threading.Thread) -> None:
        _stopping.append(thread)
        _pg_stopping.append((thread, name))

    with _live_server(postgres.url(name), stopped) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> httpx.Client:
    """A participant's browser: same-origin, no cookies yet (apart from the chosen language)."""
    return server.client()


@pytest.fixture
def host(server: LiveServer) -> httpx.Client:
    """A host's browser, logged in through POST /host/login."""
    return server.client(host=True)


# --- every host action, as a working example on the demo --------------------------------------------------------


@dataclass(frozen=True)
class HostAction:
    """One host POST that succeeds on a fresh demo: where it goes, what it sends, and what it leaves behind."""

    path: str
    data: dict[str, str]
    #: The `action` of the audit row it adds.
    audit: str
    #: Where a plain form post is sent back to, on the console.
    anchor: str
    #: Host POSTs made first, so the action has something to act on.
    setup: tuple[tuple[str, dict[str, str]], ...] = ()


def host_actions(server: LiveServer) -> dict[str, HostAction]:
    pitch, room, round_, slot = server.pitch, server.room, server.round, server.slot
    r2, r3 = round_(2).id, round_(3).id
    base = "/e/demo/host"
    return {
        "type-in": HostAction(
            f"{base}/pitches", {"title": "Fra et papirkort", "author": "Værten"}, "pitch.type_in", "queue"
        ),
        "approve": HostAction(f"{base}/pitches/{pitch('motion').id}/approve", {}, "pitch.approve", "queue"),
        "reject": HostAction(f"{base}/pitches/{pitch('motion').id}/reject", {}, "pitch.reject", "queue"),
        "edit": HostAction(
            f"{base}/pitches/{pitch('paedagogik').id}/edit",
            {"title": "Ny pædagogik i vuggestuen", "story": "Rettet.", "author": "Jonas"},
            "pitch.edit",
            "queue",
        ),
        "merge": HostAction(
            f"{base}/pitches/{pitch('stress-igen').id}/merge", {"into": str(pitch("stress").id)}, "pitch.merge", "queue"
        ),
        "place": HostAction(
            f"{base}/sessions",
            {"pitch_id": str(pitch("paedagogik").id), "room_id": str(room("Lokale 4").id), "round_id": str(r2)},
            "session.place",
            "schedule",
        ),
        "move": HostAction(
            f"{base}/sessions/{slot(2, 'Lokale 3').id}/move",
            {"room_id": str(room("Lokale 4").id), "round_id": str(r2)},
            "session.move",
            "schedule",
        ),
        "swap": HostAction(
            f"{base}/sessions/{slot(2, 'Store sal').id}/swap",
            {"other": str(slot(2, "Lokale 1").id)},
            "session.swap",
            "schedule",
        ),
        "delete": HostAction(f"{base}/sessions/{slot(3, 'Lokale 2').id}/delete", {}, "session.remove", "schedule"),
        "announce": HostAction(f"{base}/announce", {"text": "Kaffen er klar i foyeren"}, "announce", "announce"),
        "phase": HostAction(f"{base}/phase", {"phase": "ended"}, "event.phase", "event"),
        "pitching": HostAction(f"{base}/pitching", {"open": "0"}, "event.pitching", "event"),
        "room-add": HostAction(
            f"{base}/rooms", {"name": "Lokale 5", "capacity": "12", "location": "2. sal"}, "room.add", "rooms"
        ),
        "room-edit": HostAction(
            f"{base}/rooms/{room('Lokale 4').id}",
            {"name": "Lokale 4", "capacity": "20", "location": "2. sal, for enden"},
            "room.edit",
            "rooms",
        ),
        "room-remove": HostAction(f"{base}/rooms/{room('Foyeren').id}/delete", {}, "room.remove", "rooms"),
        "round-add": HostAction(
            f"{base}/rounds",
            {"label": "Runde 4", "starts": "2030-06-24T21:00", "ends": "2030-06-24T21:40"},
            "round.add",
            "rounds",
        ),
        "round-edit": HostAction(
            f"{base}/rounds/{r3}",
            {"label": "Sidste runde", "starts": "2030-06-24T20:00", "ends": "2030-06-24T20:40"},
            "round.edit",
            "rounds",
        ),
        "round-remove": HostAction(
            f"{base}/rounds/{r3}/delete",
            {},
            "round.remove",
            "rounds",
            setup=tuple((f"{base}/sessions/{slot(3, name).id}/delete", {}) for name in ("Store sal", "Lokale 2")),
        ),
    }
