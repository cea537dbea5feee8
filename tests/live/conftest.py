"""Browser tests share one way to start Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liveboard.app import create_app
from liveboard.config import Settings
from liveboard.db import Database
from tests.conftest import HOST_PASSWORD, LiveServer, _serve
from tests.servers import RedisServer

#: The longest any wait for the instances takes; only a broken run reaches it.
WAIT = 5.0

CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing on CI: scripts/test.sh must install Debian's chromium (APT_PACKAGES)")
        pytest.skip(
            f"!!! BROWSER TESTS NOT RUN: {CHROMIUM} is missing. Install Debian's chromium "
            "(apt-get install chromium, or run scripts/test.sh as root) to run them. !!!"
        )
    if os.environ.get("CI") == "true":
        import playwright.sync_api as sync_api  # on CI a missing playwright is a failure, not a skip
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the `test` extra")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30000)
        try:
            yield browser
        finally:
            browser.close()


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
