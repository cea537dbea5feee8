"""Real Chromium (Debian's, driven by Playwright): the wall screen follows the evening without a reload,
and heals by itself after the server restarts."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import HOST_PASSWORD, LiveServer
from tests.e2e.test_run_py import Server, free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser(chromium: object) -> object:
    return chromium


def watch_errors(page: object, errors: list[str]) -> None:
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))  # type: ignore[attr-defined]
    page.on(  # type: ignore[attr-defined]
        "console", lambda message: message.type == "error" and errors.append(f"console: {message.text}")
    )


def test_the_screen_follows_a_pitch_an_approval_and_a_join_without_reload(server: LiveServer, browser: object) -> None:
    errors: list[str] = []
    screen = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()  # type: ignore[attr-defined]
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # type: ignore[attr-defined]
    host = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # type: ignore[attr-defined]
    for page in (screen, phone, host):
        watch_errors(page, errors)
    screen.goto(f"{server.url}/e/demo/screen")
    screen.evaluate("window.__notReloaded = true")
    phone.goto(f"{server.url}/e/demo")

    phone.fill("#pitch-title", "Bænke ved busstoppestedet")
    phone.click("#pitch-form button[type=submit]")
    sync_api.expect(phone.locator("#pitch-form .ok")).to_be_visible(timeout=5000)

    host.goto(f"{server.url}/host/login?next=/e/demo/host")
    host.fill("#password", HOST_PASSWORD)
    host.click("main button[type=submit]")
    host.get_by_role("button", name=re.compile(r"^(Approve|Godkend) Bænke ved busstoppestedet")).click()

    sync_api.expect(screen.locator("#screen-pitches")).to_contain_text("Bænke ved busstoppestedet", timeout=5000)
    sync_api.expect(phone.locator("#pitches")).to_contain_text("Bænke ved busstoppestedet", timeout=5000)

    slot = server.slot(1, "Store sal")
    before = server.present(slot)
    phone.click(f"#session-{slot.id} form.join button")
    sync_api.expect(screen.locator(f"#count-{slot.id}")).to_contain_text(f"{before + 1}/", timeout=5000)
    sync_api.expect(phone.locator(f"#session-{slot.id}")).to_have_class(re.compile(r"\bmine\b"), timeout=5000)
    assert screen.evaluate("window.__notReloaded") is True

    ARTIFACTS.mkdir(exist_ok=True)
    screen.screenshot(path=str(ARTIFACTS / "screen.png"))
    phone.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    host.screenshot(path=str(ARTIFACTS / "host.png"))
    assert not errors, errors


def test_the_screen_heals_after_the_server_restarts(tmp_path: Path, browser: object) -> None:
    port = free_port()
    db_path = tmp_path / "liveboard.db"
    server = Server(db_path, port, password="restart-secret")
    screen = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()  # type: ignore[attr-defined]
    try:
        screen.goto(f"{server.url}/e/demo/screen")
        screen.evaluate("window.__notReloaded = true")
        sync_api.expect(screen.locator("body[data-live=on]")).to_have_count(1, timeout=10000)
        sync_api.expect(screen.locator("#live-status")).to_be_hidden()

        server.process.send_signal(signal.SIGINT)
        server.stop()
        sync_api.expect(screen.locator("body[data-live=off]")).to_have_count(1, timeout=15000)
        sync_api.expect(screen.locator("#live-status")).to_be_visible()

        server = Server(db_path, port, password="restart-secret")
        phone = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=10)
        phone.get("/e/demo")
        snapshot = phone.get("/api/events/demo").json()
        capacity = {room["id"]: room["capacity"] for room in snapshot["rooms"]}
        session = max(snapshot["sessions"], key=lambda s: capacity[s["room_id"]])
        assert phone.post(f"/e/demo/sessions/{session['id']}/join").status_code == 303
        after = phone.get("/api/events/demo").json()["sessions"]
        present = next(s["present"] for s in after if s["id"] == session["id"])
        sync_api.expect(screen.locator(f"#count-{session['id']}")).to_contain_text(f"{present}/", timeout=20000)
        sync_api.expect(screen.locator("body[data-live=on]")).to_have_count(1, timeout=20000)
        sync_api.expect(screen.locator("#live-status")).to_be_hidden()
        assert screen.evaluate("window.__notReloaded") is True
    finally:
        server.stop()
