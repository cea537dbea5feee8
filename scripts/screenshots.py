"""Screenshots for docs/: the harvest report, and (with --evening) every view of the evening in both languages.

    .venv/bin/python scripts/screenshots.py [--lang da|en] [--out docs] [--pdf PATH]
    .venv/bin/python scripts/screenshots.py --evening [--out docs]

--evening runs the browser test that takes them (tests/browser/test_evening.py::test_screenshots_of_the_evening:
a phone that has marked interest, joined a session and added a note, the wall screen, that room's door sign, the
host console and the report, in Danish and English, on the demo in its first round) and copies what it saved in
test-artifacts/screenshots/ to docs/screenshots/. Without it:

Starts LiveBoard on a fresh SQLite file with the demo loaded, on a free loopback port. A participant adds notes
from a phone's form, others give them +1, and a host highlights and tags them at the harvest desk, all over
HTTP as browsers would. Then Debian's Chromium (through Playwright, never a downloaded browser) opens the report
at desktop width (`report.png`, the whole page) and at phone width (`report-phone.png`: its first screens
and its first session, side by side), and prints the page to an A4 PDF
to check the print stylesheet (kept with --pdf; docs/ holds it only while it stays small).
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liveboard import demo, migrate  # noqa: E402
from liveboard.app import create_app  # noqa: E402
from liveboard.config import Settings  # noqa: E402
from liveboard.db import Database  # noqa: E402
from liveboard.models import Note, Room, Round  # noqa: E402
from liveboard.models import Session as Slot  # noqa: E402
from tests.servers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  Debian's Chromium, as the tests start it

PASSWORD = "screenshots"
DESKTOP = {"width": 1024, "height": 900}
PHONE = {"width": 390, "height": 844}

#: What the evening adds before the screenshots: (room in round 1, not the full café; kind, text, themes, highlighted).
NEW_NOTES = [
    (
        "Lokale 2",
        "proposal",
        "Kommunen laver et kort over alle fællesspisninger og klubber, som hjemmeplejen kan give videre.",
        "ensomhed, kontakt",
        True,
    ),
    (
        "Lokale 2",
        "experience",
        "Min nabo fik først hjælp, da jeg ringede for hende. Hun ville ikke være til besvær.",
        "ensomhed",
        False,
    ),
    (
        "Lokale 1",
        "idea",
        "En fast teknologidag på biblioteket, hvor man kan prøve hjælpemidlerne og få hjælp uden at stå i kø.",
        "velfærdsteknologi, ventetid",
        False,
    ),
]


def serve(url: str) -> tuple[uvicorn.Server, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(Settings(database_url=url, admin_password=PASSWORD))
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}"


def slot_of(database: Database, room: str) -> int:
    """The session in `room` in the first round (the one running)."""
    with database.read() as db:
        query = (
            select(Slot.id)
            .join(Room, col(Room.id) == Slot.room_id)
            .join(Round, col(Round.id) == Slot.round_id)
            .where(Room.name == room, Round.label == "Runde 1")
        )
        return db.exec(query).one()  # type: ignore[return-value]


def add_notes(base: str, database: Database) -> None:
    """Through the forms: a participant writes, three others +1, a host highlights and tags."""
    origin = {"Origin": base}
    writer = httpx.Client(base_url=base, headers=origin)
    host = httpx.Client(base_url=base, headers=origin)
    assert host.post("/host/login", data={"password": PASSWORD}).status_code == 303
    supporters = [httpx.Client(base_url=base, headers=origin) for _ in range(3)]
    for supporter in supporters:
        supporter.get("/e/demo")
    for room, kind, text, themes, highlighted in NEW_NOTES:
        slot = slot_of(database, room)
        assert writer.post(f"/e/demo/sessions/{slot}/join").status_code == 303
        assert writer.post(f"/e/demo/sessions/{slot}/notes", data={"kind": kind, "text": text}).status_code == 303
        with database.read() as db:
            note_id = db.exec(select(func.max(Note.id))).one()
        for supporter in supporters[: 1 + len(text) % 3]:
            assert supporter.post(f"/e/demo/notes/{note_id}/support").status_code == 303
        assert host.post(f"/e/demo/host/notes/{note_id}/themes", data={"themes": themes}).status_code == 303
        if highlighted:
            assert host.post(f"/e/demo/host/notes/{note_id}/highlight", data={"on": "1"}).status_code == 303


def shoot(base: str, out: Path, lang: str, pdf: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"{base}/e/demo/report?lang={lang}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=DESKTOP)
            page.goto(url, wait_until="networkidle")
            page.screenshot(path=str(out / "report.png"), full_page=True)
            print(out / "report.png")
            page.close()
            phone_screenshot(browser, url, out / "report-phone.png")
            page = browser.new_page()
            page.goto(url, wait_until="networkidle")
            page.emulate_media(media="print")
            page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
            print(pdf, f"{pdf.stat().st_size // 1024} KB")
        finally:
            browser.close()


def phone_screenshot(browser: Any, url: str, path: Path) -> None:
    """A phone's first screens and its first session (story, chart, notes, +1 buttons), side by side: the
    whole page is a dozen screens long."""
    page = browser.new_page(viewport=PHONE)
    page.goto(url, wait_until="networkidle")
    height = PHONE["height"] * 3 // 2
    top = page.screenshot(clip={"x": 0, "y": 0, "width": PHONE["width"], "height": height}, full_page=True)
    y = page.evaluate("document.querySelector('.report-session').getBoundingClientRect().top + window.scrollY - 10")
    session = page.screenshot(clip={"x": 0, "y": y, "width": PHONE["width"], "height": height}, full_page=True)
    page.close()
    sheet = browser.new_page(viewport={"width": 2 * PHONE["width"] + 72, "height": height + 48})
    images = "".join(f'<img src="data:image/png;base64,{base64.b64encode(shot).decode()}">' for shot in (top, session))
    sheet.set_content(
        "<body style='margin:0;padding:24px;background:#c9c4b8;display:flex;align-items:flex-start;gap:24px'>"
        f"<style>img{{width:{PHONE['width']}px;height:auto;box-shadow:0 2px 8px #0005}}</style>{images}</body>"
    )
    sheet.screenshot(path=str(path))
    sheet.close()
    print(path)


#: The browser test that saves the evening's screenshots, and where it saves them.
EVENING_TEST = "tests/browser/test_evening.py::test_screenshots_of_the_evening"
EVENING_SHOTS = ROOT / "test-artifacts" / "screenshots"


def evening(out: Path) -> int:
    """Runs the screenshot test (the same code the browser suite runs), then copies its PNGs to `out`."""
    for old in EVENING_SHOTS.glob("*.png"):
        old.unlink()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", EVENING_TEST]
    ran = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    shots = sorted(EVENING_SHOTS.glob("*.png"))
    if ran.returncode != 0 or not shots:
        print(f"the screenshot test failed or saved nothing (exit {ran.returncode})", file=sys.stderr)
        return ran.returncode or 1
    out.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        shutil.copyfile(shot, out / shot.name)
        print(out / shot.name, f"{shot.stat().st_size // 1024} KB")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lang", default="en", choices=("da", "en"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--pdf", type=Path, default=Path(tempfile.gettempdir()) / "report-a4.pdf")
    parser.add_argument(
        "--evening", action="store_true", help="every view in da and en, into OUT/screenshots/ (a browser test)"
    )
    args = parser.parse_args()
    if args.evening:
        return evening(args.out / "screenshots")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/screenshots.db"
        database = Database(url)
        migrate.upgrade(database.engine)
        demo.load_demo(database)
        server, base = serve(url)
        try:
            add_notes(base, database)
            shoot(base, args.out, args.lang, args.pdf)
        finally:
            server.should_exit = True
            database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
