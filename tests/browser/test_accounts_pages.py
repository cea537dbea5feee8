"""The accounts page and the invitation pages in Chromium: axe-core (WCAG 2.2 AA) finds nothing serious in Danish
or English, on the page, with its new link, with a refused form, and on the invitation's own pages (its form, its
422 and its 410); and the invited host gets in by the form, without a script."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import axe
from tests.browser.harness import DESK, PHONE, Pages, log_in
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

LANGS = ("da", "en")


def check(page: Any, name: str, found: list[str]) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    if report := axe.report(name, axe.violations(page)):
        found.append(report)


@pytest.mark.parametrize("lang", LANGS)
def test_the_account_pages_pass_axe(server: LiveServer, pages: Pages, lang: str) -> None:
    server.add_account("mette", "host", name="Mette Hansen")
    found: list[str] = []
    organiser = pages.open(f"organiser-{lang}", DESK)
    log_in(organiser, server.url)
    organiser.goto(f"{server.url}/host/accounts?lang={lang}")
    assert organiser.locator("html").get_attribute("lang") == lang
    check(organiser, f"accounts [{lang}]", found)
    # A refused form (422), sent as a plain form: the page again, the field marked.
    organiser.fill("#new-username", "x")
    organiser.fill("#new-name", f"Ny vært {lang}")
    organiser.evaluate("document.querySelector('#new-account form').removeAttribute('hx-post')")
    organiser.click("#new-account button[type=submit]")
    organiser.wait_for_selector("#new-account-error")
    check(organiser, f"accounts, refused (422) [{lang}]", found)
    # The new account's link (201), through htmx this time.
    organiser.goto(f"{server.url}/host/accounts")
    organiser.fill("#new-username", f"ny.{lang}")
    organiser.fill("#new-name", f"Ny vært {lang}")
    organiser.click("#new-account button[type=submit]")
    link = organiser.wait_for_selector("#invite-link").get_attribute("href")
    assert link and link.startswith(server.url + "/host/invite/")
    check(organiser, f"accounts, new link (201) [{lang}]", found)

    # The invited host, on a phone, in a browser of their own.
    newcomer = pages.open(f"newcomer-{lang}", PHONE)
    newcomer.goto(f"{link}?lang={lang}")
    check(newcomer, f"invitation [{lang}]", found)
    newcomer.fill("#invite-password", "a long enough password")
    newcomer.fill("#invite-again", "a different password")
    newcomer.click("form.card button[type=submit]")
    newcomer.wait_for_selector("#invite-error")
    check(newcomer, f"invitation, refused (422) [{lang}]", found)
    newcomer.fill("#invite-password", "a long enough password")
    newcomer.fill("#invite-again", "a long enough password")
    newcomer.click("form.card button[type=submit]")
    newcomer.wait_for_url(re.compile(r"/host$"))
    newcomer.goto(link)
    assert newcomer.locator("h1").count() == 1 and newcomer.locator("main .error").count() == 1
    check(newcomer, f"invitation used (410) [{lang}]", found)
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)
    assert pages.errors(allowed=re.compile(r"status of (410|422) ")) == []
