"""The browser tests' harness: Debian's Chromium driven by Playwright, in contexts of their own.

No browser is downloaded: Debian's `chromium` package is used (scripts/test.sh installs it on CI). Every wait is
bounded, and everything a page says on its console (and every CSP violation) is collected for the test to check.
Screenshots go to test-artifacts/ for humans.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from liveboard import ROOT
from tests.conftest import HOST_PASSWORD

ARTIFACTS = ROOT / "test-artifacts"
SCREEN = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
#: Every wait in a page is bounded (ms).
SHORT = 5000

pytestmark = pytest.mark.browser

# Counts the page's live connections, and records CSP violations: runs before any of the page's own scripts.
INIT_SCRIPT = """
window.__liveOpened = 0;
window.__csp = [];
document.addEventListener("htmx:ws:after:connection", function () { window.__liveOpened += 1; });
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


class Pages:
    """Browser contexts of their own (own cookies), and everything their pages said on the console."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.problems: list[str] = []
        self.pages: list[Any] = []

    def open(self, name: str, viewport: dict[str, int], **options: Any) -> Any:
        """A page in a context of its own; `options` go to `new_context` (e.g. `java_script_enabled=False`)."""
        context = self.browser.new_context(**{"viewport": viewport, "locale": "en-GB", **options})
        context.set_default_timeout(SHORT)
        context.add_init_script(INIT_SCRIPT)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(name, message))
        page.on("pageerror", lambda error: self.problems.append(f"{name}: pageerror: {error}"))
        self.pages.append(page)
        return page

    def _console(self, name: str, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or message.type == "error":
            self.problems.append(f"{name}: console.{message.type}: {text}")

    def errors(self, allowed: re.Pattern[str] | None = None) -> list[str]:
        """Console errors, page errors and CSP violations, without favicon noise and what `allowed` matches."""
        found = [p for p in self.problems if not re.search(r"favicon", p, re.I)]
        for page in self.pages:
            if not page.is_closed():
                found += [f"CSP violation: {v}" for v in page.evaluate("window.__csp || []")]
        return [p for p in found if not (allowed and allowed.search(p))]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def live(page: Any, times: int = 1, seconds: float = 10.0) -> None:
    """Wait until the page's live connection has opened (`times` times in all). Polled from here: the page's CSP
    has no 'unsafe-eval', which `page.wait_for_function` needs to poll a predicate inside the page."""
    deadline = time.monotonic() + seconds
    while (opened := page.evaluate("window.__liveOpened")) < times:
        assert time.monotonic() < deadline, f"the live connection opened {opened} times, not {times}"
        page.wait_for_timeout(20)


def mark_not_reloaded(page: Any) -> None:
    page.evaluate("window.__marker = 1")


def assert_not_reloaded(page: Any) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def screenshot(page: Any, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"live-{name}.png"), full_page=full_page)


def present(base_url: str, session_id: int) -> int:
    sessions = httpx.get(f"{base_url}/api/events/demo", timeout=SHORT / 1000).json()["sessions"]
    return next(s["present"] for s in sessions if s["id"] == session_id)


def log_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/host/login?next=/e/demo/host")
    page.fill("#password", HOST_PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/e/demo/host$"))
