"""From a change to what people see: a wall screen and a phone in Chromium, against the same frame on a bare socket.

    .venv/bin/python bench/browser.py                 # 40 joins, 3 runs
    .venv/bin/python bench/browser.py --changes 20 --repeat 1

Starts `python run.py --demo` on a fresh SQLite file and a free loopback port, opens the wall screen (1920×1080)
and a phone (390×844) in Debian's Chromium, and a bare WebSocket client on the screen's live URL (the baseline:
the same frame with no browser). Then participants join one session over HTTP, one every 250 ms, so each join is
a tick of its own. For each join, the time from the POST's answer to:

- baseline: the frame carrying the new count arrives at the bare socket;
- screen / phone: the new count is in the page (a MutationObserver in the page notes `Date.now()`).

Both clocks are this machine's wall clock (ms). The figures are medians over the runs of each run's median,
p90 and max; the ratio is the browser's over the bare socket's: what htmx's swap and the page's own script add.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.run_py import RunPy  # noqa: E402  run.py as the README starts it, as the tests start it
from tests.servers import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402  Debian's Chromium, as the tests start it

PASSWORD = "bench-browser"
ROOM = "Store sal"  # 300 seats: room for every join of a run
GAP = 0.25
WAIT = 5.0

#: Notes when the element's text changes, with the page's wall clock.
OBSERVE = """(id) => { window.__seen = window.__seen || [];
  const target = document.getElementById(id);
  new MutationObserver(() => window.__seen.push([document.getElementById(id).textContent.trim(), Date.now()]))
    .observe(target.parentNode, {childList: true, characterData: true, subtree: true}); }"""


class BareSocket:
    """The screen's live URL without a browser: when each count arrived."""

    def __init__(self, url: str, session_id: int, version: int) -> None:
        ws_url = url.replace("http://", "ws://") + f"/e/demo/ws?view=screen&lang=en&v={version}"
        self.ws = connect(ws_url, origin=Origin(url), open_timeout=WAIT)
        self.pattern = re.compile(rf'id="count-{session_id}"[^>]*>(\d+)<')
        self.seen: dict[str, float] = {}
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for frame in self.ws:
                now = time.time()
                for count in self.pattern.findall(str(frame)):
                    self.seen.setdefault(count, now)
        except Exception:  # closed at the end of the run
            return

    def close(self) -> None:
        self.ws.close()
        self.thread.join(WAIT)


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while (found := check()) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"not within {WAIT} s: {what}")
        time.sleep(0.005)
    return found


def one_run(browser: Any, changes: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="liveboard-bench-browser-") as tmp:
        server = RunPy(Path(tmp) / "liveboard.db", free_port(), password=PASSWORD, demo=True, keep_output=False)
        contexts = []
        try:
            snapshot = httpx.get(f"{server.url}/api/events/demo", timeout=WAIT).json()
            room = next(r for r in snapshot["rooms"] if r["name"] == ROOM)
            first = min(snapshot["rounds"], key=lambda r: r["starts"])  # the demo's running round
            session_id = next(
                s["id"] for s in snapshot["sessions"] if s["room_id"] == room["id"] and s["round_id"] == first["id"]
            )
            version = snapshot["version"]

            pages = {}
            for name, viewport, path, element in (
                ("screen", {"width": 1920, "height": 1080}, "/e/demo/screen?lang=en", f"count-{session_id}"),
                ("phone", {"width": 390, "height": 844}, "/e/demo?lang=en", f"present-{session_id}"),
            ):
                context = browser.new_context(viewport=viewport, locale="en-GB")
                contexts.append(context)
                page = context.new_page()
                page.goto(server.url + path)
                page.wait_for_selector("body[data-live=on]", timeout=WAIT * 1000)
                page.evaluate(OBSERVE, element)
                pages[name] = page
            bare = BareSocket(server.url, session_id, version)

            found: dict[str, list[float]] = {"baseline": [], "screen": [], "phone": []}
            for _ in range(changes):
                person = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=WAIT)
                with person:
                    answer = person.post(f"/e/demo/sessions/{session_id}/join")
                    sent = time.time()
                assert answer.status_code == 303, answer.text
                present = httpx.get(f"{server.url}/api/events/demo", timeout=WAIT).json()
                count = str(next(s["present"] for s in present["sessions"] if s["id"] == session_id))
                arrived = wait_for(lambda c=count: bare.seen.get(c), f"count {count} on the bare socket")
                found["baseline"].append((arrived - sent) * 1000)
                for name, page in pages.items():

                    def shown(page: Any = page, count: str = count) -> float | None:
                        for text, at in page.evaluate("window.__seen"):
                            if re.match(rf"^{count}\b", text):
                                return at / 1000
                        return None

                    found[name].append((wait_for(shown, f"count {count} on the {name}") - sent) * 1000)
                time.sleep(GAP)
            bare.close()
            return found
        finally:
            for context in contexts:
                context.close()
            server.stop()


def summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))], ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=40, help="joins per run (default 40)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each on a fresh server (default 3)")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs: list[dict[str, list[float]]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30000)
        try:
            for number in range(options.repeat):
                runs.append(one_run(browser, options.changes))
                print(f"run {number + 1}/{options.repeat} done", file=sys.stderr)
        finally:
            browser.close()

    print(f"From a join's answer to the new count, ms: {options.changes} joins × {options.repeat} runs")
    print("(median over runs of each run's median, p90 and max)")
    print(f"{'where':<28}{'median':>8}{'p90':>8}{'max':>8}{'ratio':>8}")
    base = statistics.median(summary(run["baseline"])[0] for run in runs)
    for name, label in (
        ("baseline", "bare socket (baseline)"),
        ("screen", "wall screen in Chromium"),
        ("phone", "phone in Chromium"),
    ):
        figures = [statistics.median(summary(run[name])[i] for run in runs) for i in range(3)]
        ratio = figures[0] / base if base else float("nan")
        print(f"{label:<28}" + "".join(f"{value:8.1f}" for value in figures) + f"{ratio:7.2f}×")
    print(f"\nreproduce: .venv/bin/python bench/browser.py --changes {options.changes} --repeat {options.repeat}")


if __name__ == "__main__":
    main()
