"""The live tests' shared setup: two instances relaying through one real Redis."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liveboard.app import create_app
from liveboard.config import Settings
from liveboard.db import Database
from tests.conftest import HOST_PASSWORD, LiveServer, _serve
from tests.servers import RedisServer

#: The longest any wait for the instances takes; only a broken run reaches it.
WAIT = 5.0

# --- two instances relaying through a real Redis -----------------------------------------------------------------


@pytest.fixture
def pair(
    tmp_path: Path, demo_file: Path, redis_server: RedisServer, _stopping: list[threading.Thread]
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Instances A and B on one database and one Redis, as `liveboard serve` would run them side by side."""
    shutil.copyfile(demo_file, tmp_path / "lb.db")
    url = f"sqlite:///{tmp_path}/lb.db"
    redis_server.start()  # a test before may have left it stopped
    servers, stops = [], []
    for _ in range(2):
        app = create_app(Settings(database_url=url, broadcast_url=redis_server.url, admin_password=HOST_PASSWORD))
        uv, thread, base = _serve(app)
        servers.append(LiveServer(base, Database(url), app))
        stops.append((uv, thread))
    for server in servers:
        wait_for(lambda s=server: s.app.state.hub.relaying, "the instance subscribed to Redis")
    try:
        yield servers[0], servers[1]
    finally:
        redis_server.start()
        for server, (uv, thread) in zip(servers, stops, strict=True):
            server.close()
            uv.should_exit = True
            _stopping.append(thread)
            server.database.dispose()


def wait_for(check, what: str, seconds: float = WAIT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.02)
