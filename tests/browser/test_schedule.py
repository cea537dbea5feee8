"""The schedule assistant in a real browser: a host proposes a schedule from the console, reads the proposal beside
the grid (axe-core finds nothing serious on it, in Danish and English), ticks one cell and applies it, and the wall
screen shows the new session without a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest

from liveboard.models import Pitch
from tests.browser import axe
from tests.browser.harness import DESK, SCREEN, Pages, expect
from tests.conftest import HOST_PASSWORD, LiveServer

pytestmark = pytest.mark.browser


def log_in(page: Any, server: LiveServer, lang: str) -> None:
    page.goto(f"{server.url}/host/login?next=/e/demo/host&lang={lang}")
    page.fill("#password", HOST_PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/e/demo/host$"))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_host_proposes_ticks_a_cell_and_the_screen_follows(server: LiveServer, pages: Pages, lang: str) -> None:
    screen = pages.open("screen", SCREEN)
    screen.goto(f"{server.url}/e/demo/screen?lang={lang}")
    page = pages.open("host", DESK)
    log_in(page, server, lang)
    page.select_option("#propose-mode", "fill")
    page.click("form.propose button[type=submit]")
    page.wait_for_url(re.compile(r"/e/demo/host/schedule/proposals/\d+$"))
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    found = axe.violations(page)
    assert not found, axe.report(f"proposal ({lang})", found)

    ticked = page.locator('input[name="cell"]').first
    pitch_id = int(ticked.get_attribute("value").split(":")[0])
    title = server.get(Pitch, pitch_id).title
    ticked.check()
    page.click('button[form="apply-ticked"]')
    page.wait_for_url(re.compile(r"/e/demo/host(#schedule)?$"))
    expect(page.locator("#schedule")).to_contain_text(title)
    expect(screen.locator("#grid")).to_contain_text(title, timeout=2000)
    assert pages.errors() == []
