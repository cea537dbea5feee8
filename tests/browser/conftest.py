"""Debian's Chromium, started once per module, and a fresh set of browser contexts for each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.harness import Pages
from tests.servers import CHROMIUM, CHROMIUM_ARGS


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
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def pages(chromium: Any) -> Iterator[Pages]:
    opened = Pages(chromium)
    yield opened
    opened.close()
