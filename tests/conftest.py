"""Shared fixtures."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func
from sqlmodel import SQLModel, select

from liveboard import demo, migrate
from liveboard.config import Settings
from liveboard.db import Database
from liveboard.models import AuditEntry, Event, Interest, Participant, Pitch, Presence, Room, Round
from liveboard.models import Session as Slot


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file of its own: the real engine setup (WAL, BEGIN IMMEDIATE), not an in-memory stand-in."""
    db = Database(f"sqlite:///{tmp_path}/t.db")
    migrate.upgrade(db.engine)
    yield db
    db.dispose()


# --- a real LiveBoard server ------------------------------------------------------------------------------------
#
# The web tests run the real app under uvicorn on a free loopback port, on a SQLite file of their own with the
# demo loaded, and talk to it with httpx like a browser would. Nothing of LiveBoard is mocked.

HOST_PASSWORD = "test-password"
#: htmx marks its requests with this header; the app answers them with a fragment instead of a redirect.
HX = {"HX-Request": "true"}


class LiveServer:
    """A running LiveBoard: its URL, a second `Database` on the same file for checking rows, and helpers."""

    def __init__(self, url: str, database: Database) -> None:
        self.url = url
        self.database = database
        self._clients: list[httpx.Client] = []

    # clients

    def client(self, *, origin: bool = True, lang: str | None = "en", host: bool = False, **kwargs: Any) -> httpx.Client:
        """A browser of its own (own cookies). `lang="en"` pins messages to the English catalog so the tests'
        expectations do not depend on the translations; `lang=None` is a browser that never chose a language."""
        headers = {"Origin": self.url} if origin else {}
        headers.update(kwargs.pop("headers", {}))
        client = httpx.Client(base_url=self.url, headers=headers, follow_redirects=False, timeout=30, **kwargs)
        if lang:
            client.cookies.set("lb_lang", lang, domain="127.0.0.1")
        self._clients.append(client)
        if host:
            response = client.post("/host/login", data={"password": HOST_PASSWORD})
            assert response.status_code == 303, response.text
            assert client.cookies.get("lb_host")
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()

    # the database, read directly

    def rows(self, model: Any, *where: Any) -> list[Any]:
        with self.database.read() as db:
            return list(db.exec(select(model).where(*where)))

    def count(self, model: Any, *where: Any) -> int:
        with self.database.read() as db:
            return db.exec(select(func.count()).select_from(model).where(*where)).one()

    def get(self, model: Any, ident: Any) -> Any:
        with self.database.read() as db:
            return db.get(model, ident)

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: compare before and after to show that a refused request changed nothing."""
        with self.database.engine.connect() as connection:
            return {
                table.name: [tuple(row) for row in connection.execute(table.select().order_by(*table.primary_key))]
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
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="liveboard-test-server", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.005)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app under uvicorn on 127.0.0.1, with the demo loaded into a SQLite file of its own."""
    from liveboard.app import create_app

    url = f"sqlite:///{tmp_path}/lb.db"
    database = Database(url)
    migrate.upgrade(database.engine)
    assert demo.load_demo(database)
    app = create_app(Settings(database_url=url, admin_password=HOST_PASSWORD))
    uv, thread, base = _serve(app)
    live = LiveServer(base, database)
    try:
        yield live
    finally:
        live.close()
        uv.should_exit = True
        thread.join(timeout=30)
        database.dispose()


@pytest.fixture
def client(server: LiveServer) -> httpx.Client:
    """A participant's browser: same-origin, no cookies yet (apart from the chosen language)."""
    return server.client()


@pytest.fixture
def host(server: LiveServer) -> httpx.Client:
    """A host's browser, logged in through POST /host/login."""
    return server.client(host=True)
