"""Accessibility (WCAG 2.2 AA) in a real browser: Debian's Chromium, axe-core from npm, and checks axe cannot make.

axe-core runs on every page in both languages and must find no serious or critical violation. Then what people
meet on the evening: pages reflow at 320 and 640 CSS px (a phone, and 1280 px at 200 % zoom) without sideways
scrolling, wall screens fit 1920×1080 and 1280×720; a phone's targets are at least 44×44 px; the phone page is
usable by keyboard alone, with a visible focus and a skip link first; counts are announced politely and the
ticking clock not at all; a full room says "full" in words; and the phone's large-text mode keeps all of it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from liveboard.models import Room, Series
from liveboard.models import Session as Slot
from tests.browser import axe
from tests.browser.harness import PHONE, SCREEN, SHORT, Pages, expect, live, log_in
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

LANGS = ("da", "en")
#: Read from five metres, never touched: exempt from 320 px, but they must fit a 1080p and a 720p screen.
WALL = ("screen", "door", "series-screen")
#: What participants open on their phones.
PHONE_PAGES = ("phone", "me", "session", "room", "series", "take")
#: Everything else people (participants, note-takers, hosts) read and use: reflows at 320 and 640 px.
PEOPLE_PAGES = (
    *PHONE_PAGES,
    *("index", "login", "host-index", "host", "desk", "note-key", "report", "logs", "series-host", "series-log"),
    *("accounts", "copy"),
    "not-found",
)


@dataclass(frozen=True)
class Site:
    #: Pages by name, without ?lang=.
    paths: dict[str, str]
    #: A session of the running round with seats free, and one whose room is exactly full (filled by joins).
    free: Slot
    full: Slot


@pytest.fixture
def demo(server: LiveServer) -> Site:
    host = server.client(host=True)
    slot = server.slot(1, "Lokale 1")
    made = host.post(f"/e/demo/host/sessions/{slot.id}/note-key")  # the note-taker's key, as a host makes it
    assert made.status_code == 303, made.text
    key = server.get(Slot, slot.id).note_key
    series = server.rows(Series)[0].slug
    full = server.slot(1, "Lokale 2")
    room = server.get(Room, full.room_id)
    for _ in range(room.capacity - server.present(full)):
        assert server.client().post(f"/e/demo/sessions/{full.id}/join").status_code == 303
    assert server.present(full) == room.capacity
    return Site(
        paths={
            "index": "/",
            "login": "/host/login",
            "host-index": "/host",
            "phone": "/e/demo",
            "me": "/e/demo/me",
            "session": f"/e/demo/sessions/{slot.id}",
            "room": f"/e/demo/rooms/{slot.room_id}",
            "screen": "/e/demo/screen",
            "door": f"/e/demo/screen?room={room.id}",
            "host": "/e/demo/host",
            "desk": "/e/demo/host/notes",
            "note-key": f"/e/demo/host/sessions/{slot.id}/note-key",
            "take": f"/e/demo/sessions/{slot.id}/take?key={key}",
            "report": "/e/demo/report",
            "logs": "/s",
            "series": f"/s/{series}",
            "series-host": f"/s/{series}/host",
            "series-screen": f"/s/{series}/screen",
            "series-log": f"/s/{series}/log",
            "not-found": "/e/no-such-event",
            "accounts": "/host/accounts",
            "copy": "/host/events/demo/copy",
        },
        free=slot,
        full=full,
    )


def url(server: LiveServer, path: str, lang: str, text: str | None = None) -> str:
    query = f"lang={lang}" + (f"&text={text}" if text else "")
    return f"{server.url}{path}{'&' if '?' in path else '?'}{query}"


def visit(page: Any, address: str) -> None:
    page.goto(address)  # waits for "load": stylesheet and scripts are in


# --- axe-core on every page, in both languages ------------------------------------------------------------------


DUPLICATE_IDS = """() => { const seen = {};
  document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
  return Object.keys(seen).filter(id => seen[id] > 1); }"""


def test_axe_finds_nothing_serious_on_any_page(server: LiveServer, pages: Pages, demo: Site) -> None:
    # One context per language, its page reused; both languages go in step, and axe checks both at once (each
    # context has a renderer process of its own).
    tabs = {lang: pages.open(f"axe-{lang}", PHONE) for lang in LANGS}
    found: list[str] = []

    def each(step: Callable[[Any, str], Any]) -> None:
        for lang, page in tabs.items():
            step(page, lang)

    def go(path: str, viewport: dict[str, int] = PHONE, text: str | None = None) -> None:
        for lang, page in tabs.items():
            page.set_viewport_size(viewport)
            visit(page, url(server, path, lang, text=text))

    def check(name: str) -> None:
        each(lambda page, lang: axe.start(page))
        for lang, page in tabs.items():
            if report := axe.report(f"{name} [{lang}]", axe.result(page)):
                found.append(report)
            # axe 4.x no longer reports duplicate ids outside ARIA references; a label or a swap would hit the first.
            if twice := page.evaluate(DUPLICATE_IDS):
                found.append(f"{name} [{lang}]: ids used more than once: {twice}")

    def refuse(form: str, field: str, error: str) -> Callable[[Any, str], None]:
        """The form sent with `field` empty, without htmx: the page again, 422, with the error inline."""

        def step(page: Any, lang: str) -> None:
            page.evaluate(
                """([form, field]) => { const f = document.querySelector(form); f.removeAttribute('hx-post');
                f.querySelector(field).value = ''; f.submit(); }""",
                [form, field],
            )
            page.wait_for_selector(error)

        return step

    for name in ("index", "login"):
        go(demo.paths[name])
        check(name)
    each(lambda page, lang: (page.fill("#password", "not the password"), page.click("form.card button[type=submit]")))
    each(lambda page, lang: page.wait_for_selector("#login-error"))
    check("login with its error")
    each(lambda page, lang: log_in(page, server.url))
    for name, path in demo.paths.items():
        if name in ("index", "login"):
            continue
        go(path, SCREEN if name in WALL else PHONE)
        # What the folded parts hold too: axe skips what is hidden, so everything is unfolded first.
        each(lambda page, lang: page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)"))
        check(name)
    # The phone page with the large text on, and after joining a session (its note form shows).
    go(demo.paths["phone"], text="large")
    check("phone, large text")
    go(demo.paths["phone"], text="normal")
    each(lambda page, lang: page.locator(f"#session-{demo.free.id} form.join button").click())
    each(lambda page, lang: page.wait_for_selector("#note-form"))
    check("phone, in a session")
    each(refuse("#pitch-form form", "#pitch-title", "#pitch-error"))
    check("phone, pitch refused (422)")
    go(demo.paths["series"])
    each(refuse("#series-form form", "#item-title", "#series-error"))
    check("series, point refused (422)")
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)
    # The wrong password (403), the missing page (404) and the refused forms (422) are meant; nothing else.
    assert pages.errors(allowed=re.compile(r"status of (403|404|422) ")) == []


# --- reflow: 320 and 640 CSS px (1280 px at 200 %), wall screens at 1920×1080 and 1280×720 ---------------------

SHOWN = """const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
    && getComputedStyle(e).visibility !== 'hidden' && !e.closest('.visually-hidden, .skip, [hidden]'); };"""

OVERFLOW = f"""() => {{
  {SHOWN}
  const view = document.documentElement.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {{
    // A wide table may scroll inside its own scroller (WCAG 1.4.10 exempts two-dimensional data).
    if (!shown(e) || (e.parentElement && e.parentElement.closest('.table-scroll'))) continue;
    const r = e.getBoundingClientRect();
    if (r.right > view + 1 || r.left < -1)
      out.push(name(e) + ' sticks out: ' + Math.round(r.left) + '..' + Math.round(r.right));
    const s = getComputedStyle(e);
    const clips = ['hidden', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis';
    if (clips && e.scrollWidth > e.clientWidth + 1 && e.textContent.trim())
      out.push(name(e) + ' cuts its text off: ' + e.scrollWidth + ' > ' + e.clientWidth);
  }}
  return {{scroll: document.documentElement.scrollWidth, view, out: out.slice(0, 10)}};
}}"""


def test_pages_reflow_without_sideways_scrolling(server: LiveServer, pages: Pages, demo: Site) -> None:
    page = pages.open("reflow", PHONE)
    log_in(page, server.url)
    problems = []
    for text, names in (("normal", PEOPLE_PAGES), ("large", PHONE_PAGES)):
        for width in (320, 640):
            page.set_viewport_size({"width": width, "height": 800})
            for name in names:
                visit(page, url(server, demo.paths[name], "da", text=text))
                got = page.evaluate(OVERFLOW)
                if got["scroll"] > got["view"] or got["out"]:
                    problems.append(
                        f"{name}, {text} text, {width} px: width {got['scroll']} > {got['view']} {got['out']}"
                    )
    visit(page, url(server, demo.paths["phone"], "da", text="normal"))
    for size in (SCREEN, {"width": 1280, "height": 720}):
        page.set_viewport_size(size)
        for name in WALL:
            visit(page, url(server, demo.paths[name], "da"))
            got = page.evaluate(
                "({width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight})"
            )
            if got["width"] > size["width"] or got["height"] > size["height"]:
                problems.append(f"{name} at {size['width']}×{size['height']} overflows: {got}")
    assert not problems, "pages that scroll sideways or cut text off:\n" + "\n".join(problems)


# --- touch targets on the phone pages ---------------------------------------------------------------------------

TARGETS = f"""() => {{
  {SHOWN}
  // WCAG 2.5.8's inline exception: a link inside a sentence is sized by the line it sits in.
  const inSentence = a => getComputedStyle(a).display === 'inline' &&
      [...a.parentNode.childNodes].some(n => n !== a && n.nodeType === 3 && n.textContent.trim());
  const checkable = e => e.matches('input[type=radio], input[type=checkbox]');
  const out = [];
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary, label[for]';
  for (const e of document.querySelectorAll(targets)) {{
    if (!shown(e) || (e.tagName === 'A' && inSentence(e))) continue;
    // A text field's label is not what a finger aims at (the field is); a radio's or checkbox's label is.
    if (e.tagName === 'LABEL' && !checkable(document.getElementById(e.htmlFor) || document.body)) continue;
    const box = (checkable(e) && e.closest('label')) || e;
    const r = box.getBoundingClientRect();
    if (r.width < 43.5 || r.height < 43.5)
      out.push(e.outerHTML.slice(0, 120) + ' is ' + Math.round(r.width) + '×' + Math.round(r.height));
  }}
  return out;
}}"""


def test_phone_targets_are_at_least_44_px(server: LiveServer, pages: Pages, demo: Site) -> None:
    page = pages.open("targets", PHONE)
    problems = []
    for text in ("normal", "large"):
        for name in PHONE_PAGES:
            visit(page, url(server, demo.paths[name], "da", text=text))
            problems += [f"{name}, {text} text: {target}" for target in page.evaluate(TARGETS)]
    # Large text on a 390 px phone: bigger, and still no sideways scrolling.
    visit(page, url(server, demo.paths["phone"], "en", text="large"))
    assert page.evaluate("document.documentElement.classList.contains('text-large')")
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 20
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"large text scrolls sideways at 390 px: {widths}"
    assert not problems, "targets smaller than 44×44 CSS px:\n" + "\n".join(problems)


# --- keyboard and visible focus ---------------------------------------------------------------------------------

#: Tabbable elements in DOM order, numbered; the skip link counts though it sits off-screen until focused.
FOCUSABLE = """() => [...document.querySelectorAll(
    'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, summary, [tabindex]')]
  .filter(e => e.tabIndex >= 0 && !e.closest('[hidden]') && getComputedStyle(e).visibility !== 'hidden'
     && (e.classList.contains('skip') || e.getClientRects().length > 0))
  .map((e, i) => { e.dataset.order = String(i); return e; }).length"""

LOOK = """(e) => { const s = getComputedStyle(e);
  return [s.outlineStyle === 'none' ? 'none' : s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor,
          s.boxShadow].join(' | '); }"""


def test_the_phone_page_works_by_keyboard(server: LiveServer, pages: Pages, demo: Site) -> None:
    page = pages.open("keyboard", PHONE)
    for name in ("phone", "session"):
        visit(page, url(server, demo.paths[name], "en"))
        count = page.evaluate(FOCUSABLE)
        assert count > 3, name
        page.keyboard.press("Tab")
        skip = page.evaluate("(e => [e.className, e.getBoundingClientRect().left])(document.activeElement)")
        assert skip[0] == "skip" and skip[1] >= 0, f"{name}: the first Tab does not show the skip link: {skip}"
        focused = []
        for step in range(count):
            if step:
                page.keyboard.press("Tab")
            handle = page.evaluate_handle("document.activeElement")
            order = page.evaluate("e => e.dataset.order ?? e.outerHTML.slice(0, 100)", handle)
            focused.append((order, handle, page.evaluate(LOOK, handle)))
        order = [entry[0] for entry in focused]
        assert order == [str(i) for i in range(count)], f"{name}: Tab does not follow the DOM: {order}"
        page.evaluate("document.activeElement.blur()")
        unseen = [
            f"{page.evaluate('e => e.outerHTML.slice(0, 100)', handle)} ({look})"
            for _, handle, look in focused
            if look == page.evaluate(LOOK, handle) or look.startswith("none | none")
        ]
        assert not unseen, f"{name}: focused without a visible indicator:\n" + "\n".join(unseen)
        # The skip link takes the focus to the content.
        visit(page, url(server, demo.paths[name], "en"))
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"


# --- live regions -------------------------------------------------------------------------------------------------

REGIONS = """(selector) => {
  const region = e => e.closest(
      '[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log], [role=marquee]');
  const polite = e => { const r = region(e); return !!r && (r.getAttribute('aria-live') === 'polite'
      || (r.getAttribute('role') === 'status' && !r.hasAttribute('aria-live'))); };
  const counts = [...document.querySelectorAll(selector)];
  return {
    counts: counts.length,
    polite: counts.filter(polite).length,
    ticking: [...document.querySelectorAll('#clock, [data-countdown]')].filter(region)
        .map(e => e.outerHTML.slice(0, 80)),
    alerts: [...document.querySelectorAll('[role=alert], [aria-live=assertive]')]
        .filter(e => e.textContent.trim() && !e.classList.contains('error')).map(e => e.outerHTML.slice(0, 120)),
  };
}"""


def test_counts_are_announced_politely_and_the_clock_is_not(server: LiveServer, pages: Pages, demo: Site) -> None:
    page = pages.open("live", PHONE)
    for name, selector in (("phone", "#count-news"), ("screen", ".cell .count"), ("door", ".door-count")):
        page.set_viewport_size(SCREEN if name in WALL else PHONE)
        visit(page, url(server, demo.paths[name], "en"))
        got = page.evaluate(REGIONS, selector)
        assert got["counts"] > 0, name
        assert got["polite"] == got["counts"], f"{name}: counts outside a polite live region: {got}"
        assert not got["ticking"], f"{name}: the ticking clock is in a live region: {got['ticking']}"
        assert not got["alerts"], f"{name}: an alert that is not an error: {got['alerts']}"
        if name == "screen":
            assert page.locator("[data-countdown]").count() > 0, "the screen has no countdown to check"
        if name == "phone":
            silent = page.evaluate(REGIONS, ".present")
            assert silent["counts"] > 0 and silent["polite"] == 0, f"the board's counts are live regions: {silent}"


#: Counts the changes of #count-news, the phone's one place where headcounts are told.
WATCH_NEWS = """() => { window.__news = [];
  new MutationObserver(() => window.__news.push(document.getElementById('count-news').textContent))
    .observe(document.getElementById('count-news'), {childList: true, characterData: true, subtree: true}); }"""


def test_a_phone_tells_its_own_headcount_at_most_every_few_seconds(
    server: LiveServer, pages: Pages, demo: Site
) -> None:
    """A round start moves the counts at every 100 ms tick; a screen reader hears only this person's session,
    and a burst of joins as one announcement per interval (data-every), the latest count last."""
    page = pages.open("news", PHONE)
    visit(page, url(server, demo.paths["phone"], "en"))
    live(page)
    slot = demo.free
    page.click(f"#session-{slot.id} form.join button")
    expect(page.locator(f"li#session-{slot.id}")).to_have_class(re.compile(r"\bmine\b"))
    every = 2000
    page.evaluate(f"document.getElementById('count-news').setAttribute('data-every', '{every}')")
    page.evaluate(WATCH_NEWS)
    began = time.monotonic()
    joins = 12
    for _ in range(joins):
        assert server.client().post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    burst = time.monotonic() - began
    exact = server.present(slot)
    room = server.get(Room, slot.room_id)
    news = page.locator("#count-news")
    expect(news).to_contain_text(f"{exact} of {room.capacity}", timeout=every + SHORT)
    told = page.evaluate("window.__news")
    # One announcement per interval the burst spanned, plus the one that was under way: never one per join.
    assert 1 <= len(told) <= 2 + int(burst * 1000 // every), (burst, told)
    assert len(told) < joins, told


# --- "full" in words, not only in colour ------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "word"), [("da", "fuld"), ("en", "full")])
def test_a_full_room_says_full(server: LiveServer, pages: Pages, demo: Site, lang: str, word: str) -> None:
    page = pages.open(f"full-{lang}", PHONE)
    where = {
        "phone": f"#session-{demo.full.id}",
        "session": "#main .big-count",
        "screen": f"#cell-{demo.full.id}",
        "door": "#main .door-now",
    }
    for name, selector in where.items():
        path = f"/e/demo/sessions/{demo.full.id}" if name == "session" else demo.paths[name]
        page.set_viewport_size(SCREEN if name in WALL else PHONE)
        visit(page, url(server, path, lang))
        text = page.locator(selector).inner_text(timeout=SHORT)
        assert re.search(rf"\b{word}\b", text.lower()), f"{name} [{lang}] does not say {word!r}: {text!r}"
