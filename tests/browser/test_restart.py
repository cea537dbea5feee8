"""A graceful restart in Chromium: `python run.py` gets SIGTERM, its pages' sockets get 1012 (service restart), and
app.js reconnects at once and then every half second or so until the server is back, instead of hx-ws's backoff
for a lost network (500 ms doubling to 10 s). Once back, the page is caught up and the ordinary backoff holds again.

What is checked is what the page decided (each reconnect's delay as hx-ws computes it from its config), not how
fast it went: no timed assertions.
"""

from __future__ import annotations

import re
import shutil
import signal
from pathlib import Path

import httpx
import pytest

from tests.browser.harness import SCREEN, SHORT, Pages, assert_not_reloaded, expect, live, mark_not_reloaded, present
from tests.conftest import HOST_PASSWORD
from tests.run_py import RunPy
from tests.servers import free_port

pytestmark = pytest.mark.browser

#: Each close of the live socket, and the config each reconnect was scheduled with (`htmx:ws:before:connection`
#: fires in hx-ws's scheduleReconnect, after app.js has seen the close).
RECORD = """
window.__closes = [];
window.__reconnects = [];
document.addEventListener("htmx:ws:close", function (e) { window.__closes.push(e.detail.code); });
document.addEventListener("htmx:ws:before:connection", function (e) {
  var c = e.detail.connection;
  window.__reconnects.push({attempt: c.attempt, delay: c.config.reconnectDelay, jitter: c.config.reconnectJitter});
});
"""
CONFIG = (
    "(() => { var c = document.getElementById('live')._htmx.ws.connection.config;"
    " return [c.reconnectDelay, c.reconnectJitter]; })()"
)
#: What the browser says while the server is away (refused connections); nothing else may go wrong.
OUTAGE = re.compile(r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/e/demo/ws\?[^']*' failed|htmx: htmx:ws:error: ")


def test_a_page_reconnects_at_once_after_a_1012_and_then_backs_off_as_before(
    tmp_path: Path, demo_file: Path, pages: Pages
) -> None:
    db_path = tmp_path / "liveboard.db"
    shutil.copyfile(demo_file, db_path)
    port = free_port()
    server = RunPy(db_path, port, password=HOST_PASSWORD)
    try:
        screen = pages.open("screen", SCREEN)
        screen.add_init_script(RECORD)
        screen.goto(f"{server.url}/e/demo/screen?lang=en")
        live(screen)
        mark_not_reloaded(screen)
        ordinary = screen.evaluate(CONFIG)
        assert ordinary == [500, 0.3]  # hx-ws's own

        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(SHORT / 1000 * 3) == 0
        expect(screen.locator("#live-status")).to_be_visible(timeout=SHORT * 2)
        # Refused a few times while nobody listens: never the long backoff.
        while len(screen.evaluate("window.__reconnects")) < 1 + 3:
            screen.wait_for_timeout(50)

        server = RunPy(db_path, port, password=HOST_PASSWORD)
        with httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=SHORT / 1000) as phone:
            session = next(s for s in phone.get("/api/events/demo").json()["sessions"] if s["present"] == 0)
            assert phone.post(f"/e/demo/sessions/{session['id']}/join").status_code == 303
        exact = present(server.url, session["id"])
        expect(screen.locator(f"#count-{session['id']}")).to_contain_text(f"{exact}/", timeout=SHORT * 2)
        expect(screen.locator("#live-status")).to_be_hidden()
        live(screen, times=2)
        assert_not_reloaded(screen)

        closes = screen.evaluate("window.__closes")
        reconnects = screen.evaluate("window.__reconnects")[1:]  # the first is the page's own connection
        assert closes[0] == 1012, closes
        assert set(closes[1:]) <= {1006}, closes
        assert len(reconnects) == len(closes)
        assert reconnects[0] == {"attempt": 1, "delay": 250, "jitter": 1}
        assert all(r == {"attempt": 1, "delay": 500, "jitter": 1} for r in reconnects[1:]), reconnects
        # Back to the ordinary backoff for whatever comes next (a phone losing its network).
        assert screen.evaluate(CONFIG) == ordinary
        assert pages.errors(allowed=OUTAGE) == []
    finally:
        server.stop()
