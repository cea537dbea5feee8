"""What a keyboard or screen-reader user gets, in a real browser (Debian's Chromium) on a real server.

Focus: a control that answers an action is swapped out or hidden (Join becomes Leave, Interest and +1 are drawn
again); the focus must land on the control that took its place, named for the same session or point, never on the
page itself (WCAG 2.4.3), and a live frame that redraws the focused control must not take the focus away.
Language: what people typed (titles, stories, notes, points) is in the event's or series' language, and a screen
reader reads it in that voice only when it is marked so (WCAG 3.1.2): on the English pages, every text node holding
it must sit inside `lang="da"` in the demo (and on the Danish pages, the English series' points inside `lang="en"`).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from liveboard.models import Announcement, Item, Note, Pitch, Series, Step
from liveboard.models import Session as Slot
from tests.browser import test_accessibility as a11y
from tests.browser.harness import DESK, PHONE, SCREEN, Pages, expect, live, log_in
from tests.browser.test_accessibility import WALL, Site, url, visit
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

#: The pages of the demo and a session with seats free, as the accessibility tests have them.
demo = a11y.demo

#: What the focused element is, for a screen reader: its accessible name as Chromium computes it, its state.
FOCUSED = "(e => e === document.body ? null : [e.tagName, e.getAttribute('aria-pressed')])(document.activeElement)"


def focused(page: Any) -> Any:
    return page.locator(":focus")


def enter(page: Any, control: Any) -> None:
    """Focus a control as Tab would, and press Enter on it: the keyboard's way, not a click."""
    control.focus()
    page.keyboard.press("Enter")


# --- focus after an action ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "join", "leave"), [("en", "Join", "Leave"), ("da", "Vælg", "Forlad")])
def test_join_and_leave_by_keyboard_keep_the_place(
    server: LiveServer, pages: Pages, demo: Site, lang: str, join: str, leave: str
) -> None:
    page = pages.open("phone", PHONE)
    visit(page, url(server, "/e/demo", lang))
    live(page)
    title = server.get(Pitch, demo.free.pitch_id).title
    session = page.locator(f"#session-{demo.free.id}")
    enter(page, session.locator("form.join button"))
    expect(session).to_have_class(re.compile(r"\bmine\b"))
    expect(focused(page)).to_have_accessible_name(f"{leave} {title}")
    assert page.evaluate(FOCUSED) == ["BUTTON", None]
    # The answer (#my-evening) marks its titles too: the event's language, never an empty lang.
    assert set(page.evaluate("[...document.querySelectorAll('#my-evening [lang]')].map(e => e.lang)")) == {"da"}
    # …and back: Leave gives the focus to Join for the same session.
    page.keyboard.press("Enter")
    expect(session).not_to_have_class(re.compile(r"\bmine\b"))
    expect(focused(page)).to_have_accessible_name(f"{join} {title}")
    # Joining another session of the same round moves the person: the focus goes with the session pressed.
    other = page.locator(f"section.round:has(#session-{demo.free.id}) li.session:not(.mine):has(form.join)").last
    other_id = int(other.get_attribute("data-session"))
    other_title = server.get(Pitch, server.get(Slot, other_id).pitch_id).title
    enter(page, other.locator("form.join button"))
    expect(page.locator(f"#session-{other_id}")).to_have_class(re.compile(r"\bmine\b"))
    expect(focused(page)).to_have_accessible_name(f"{leave} {other_title}")
    assert pages.errors() == []


def test_a_live_frame_does_not_take_the_focus(server: LiveServer, pages: Pages, demo: Site) -> None:
    page = pages.open("phone", PHONE)
    visit(page, url(server, "/e/demo", "en"))
    live(page)
    title = server.get(Pitch, demo.free.pitch_id).title
    button = page.locator(f"#join-{demo.free.id} form.join button")
    button.focus()
    before = server.present(demo.free)
    # Someone else joins: the frame redraws this session's count and its Join and Leave (#join-…).
    assert server.client().post(f"/e/demo/sessions/{demo.free.id}/join").status_code == 303
    expect(page.locator(f"#present-{demo.free.id}")).to_contain_text(str(before + 1))
    expect(focused(page)).to_have_accessible_name(f"Join {title}")
    assert pages.errors() == []


@pytest.mark.parametrize("lang", ["en", "da"])
def test_interest_keeps_the_focus_and_says_what_it_counts(server: LiveServer, pages: Pages, lang: str) -> None:
    page = pages.open("phone", PHONE)
    visit(page, url(server, "/e/demo", lang))
    live(page)
    pitch = server.pitch("stress")
    count = server.interest(pitch)
    button = page.locator(f"#pitch-{pitch.id} button.interest")
    words = {
        "en": ("I'm interested", "Interested", "people interested", "person interested"),
        "da": ("Jeg er interesseret", "Interesseret", "interesserede", "interesseret"),
    }[lang]

    def name(state: str, n: int) -> re.Pattern[str]:
        noun = words[3] if n == 1 else words[2]
        return re.compile(rf"^{re.escape(state)} ?: {re.escape(pitch.title)} {n} {re.escape(noun)}$")

    expect(button).to_have_accessible_name(name(words[0], count))
    enter(page, button)
    expect(page.locator(f"#pitch-{pitch.id} button.interest")).to_have_attribute("aria-pressed", "true")
    expect(focused(page)).to_have_accessible_name(name(words[1], count + 1))
    assert page.evaluate(FOCUSED) == ["BUTTON", "true"]
    page.keyboard.press("Enter")
    expect(focused(page)).to_have_attribute("aria-pressed", "false")
    expect(focused(page)).to_have_accessible_name(name(words[0], count))
    assert pages.errors() == []


def test_a_pitch_sent_by_keyboard_keeps_the_focus_in_its_form(server: LiveServer, pages: Pages) -> None:
    page = pages.open("phone", PHONE)
    visit(page, url(server, "/e/demo", "en"))
    live(page)
    page.fill("#pitch-title", "Bænke langs åen")
    enter(page, page.locator("#pitch-form button[type=submit]"))
    expect(page.locator("#pitch-form [role=status]")).to_be_visible()
    expect(focused(page)).to_have_accessible_name("Send pitch")
    # Enter in a field sends the form too: the focus stays in the field, now empty for the next pitch.
    page.fill("#pitch-title", "Flere toiletter i parken")
    page.locator("#pitch-title").press("Enter")
    expect(page.locator("#pitch-title")).to_have_value("")
    expect(focused(page)).to_have_id("pitch-title")
    assert pages.errors() == []


def test_a_host_approving_by_keyboard_keeps_the_place(server: LiveServer, pages: Pages) -> None:
    page = pages.open("host", DESK)
    log_in(page, server.url)
    visit(page, url(server, "/e/demo/host", "en"))
    approve = page.locator("#moderation form[action$='/approve'] button").first
    pitch_id = int(re.search(r"/pitches/(\d+)/", approve.locator("xpath=..").get_attribute("action")).group(1))
    title = server.get(Pitch, pitch_id).title
    expect(approve).to_have_accessible_name(f"Approve {title}")
    enter(page, approve)
    expect(page.locator(f"#moderation form[action$='/pitches/{pitch_id}/approve']")).to_have_count(0)
    # The pitch is approved; the focus is on what stands for it now, named for it.
    expect(focused(page)).to_have_accessible_name(re.compile(rf"{re.escape(title)}$"))
    assert pages.errors() == []


def test_support_on_a_series_point_keeps_the_focus(server: LiveServer, pages: Pages) -> None:
    series = server.rows(Series)[0]
    page = pages.open("series", PHONE)
    visit(page, url(server, f"/s/{series.slug}", "en"))
    live(page)
    item = page.locator(".series-item[data-item]").first
    item_id = int(item.get_attribute("data-item"))
    title = server.get(Item, item_id).title
    enter(page, item.locator(".support-button"))
    expect(page.locator(f"#agenda-item-{item_id} .support-button")).to_have_attribute("aria-pressed", "true")
    expect(focused(page)).to_have_accessible_name(re.compile(rf"^I have met this too: {re.escape(title)} \d+ "))
    assert page.evaluate(FOCUSED) == ["BUTTON", "true"]
    assert pages.errors() == []


def test_support_on_a_note_keeps_the_focus(server: LiveServer, pages: Pages) -> None:
    note = next(n for n in server.rows(Note) if n.session_id and not n.hidden)
    page = pages.open("session", PHONE)
    visit(page, url(server, f"/e/demo/sessions/{note.session_id}", "en"))
    enter(page, page.locator(f"#note-{note.id} .support-button"))
    expect(page.locator(f"#note-{note.id} .support-button")).to_have_attribute("aria-pressed", "true")
    expect(focused(page)).to_have_accessible_name(re.compile(r"^Support this note \d+ "))
    assert page.evaluate("document.activeElement.closest('[id^=note-]').id") == f"note-{note.id}"
    assert pages.errors() == []


def test_im_here_on_a_room_page_gives_the_focus_to_leave(server: LiveServer, pages: Pages, demo: Site) -> None:
    page = pages.open("room", PHONE)
    visit(page, url(server, f"/e/demo/rooms/{demo.free.room_id}", "en"))
    live(page)
    title = server.get(Pitch, demo.free.pitch_id).title
    enter(page, page.locator("form.im-here button"))
    expect(page.locator(".room-session")).to_have_class(re.compile(r"\bmine\b"))
    expect(focused(page)).to_have_accessible_name(f"Leave {title}")
    assert pages.errors() == []


# --- the language of what people typed ----------------------------------------------------------------------------

#: Text nodes in the body holding one of `typed` ([text, its language]) whose nearest `lang` is not the text's:
#: [text, lang, where]. A title one page writes in a sentence of the interface is still found in its text node.
WRONG_VOICE = """(typed) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, template')) continue;
    const text = node.textContent.replace(/\\s+/g, ' ');
    const found = typed.find(([t]) => text.includes(t));
    if (!found) continue;
    const lang = (parent.closest('[lang]') || document.documentElement).getAttribute('lang');
    if (lang !== found[1]) out.push([found[0].slice(0, 40), lang, parent.outerHTML.slice(0, 160)]);
  }
  // An attribute a screen reader speaks cannot mark a part of itself: what people typed stays out of them.
  for (const e of document.body.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
    for (const name of ['aria-label', 'title', 'alt', 'placeholder']) {
      const value = (e.getAttribute(name) || '').replace(/\\s+/g, ' ');
      const found = value && typed.find(([t]) => value.includes(t));
      if (found) out.push([found[0].slice(0, 40), name, e.outerHTML.slice(0, 160)]);
    }
  }
  return out;
}"""


#: Elements whose lang is empty: a context that lacked its event's language.
EMPTY_LANG = "[...document.querySelectorAll('[lang]')].filter(e => !e.lang).map(e => e.outerHTML.slice(0, 160))"


def typed(server: LiveServer) -> list[tuple[str, str]]:
    """What people typed in the demo, with its event's or series' language: the first 30 characters of each text
    (long enough not to match interface words by chance; a title cut short still counts)."""
    event = server.event().language
    series = {s.id: s.language for s in server.rows(Series)}
    texts = [(t, event) for p in server.rows(Pitch) for t in (p.title, p.story)]
    texts += [(n.text, event) for n in server.rows(Note)] + [(a.text, event) for a in server.rows(Announcement)]
    items = {i.id: i for i in server.rows(Item)}
    texts += [(t, series[i.series_id]) for i in items.values() for t in (i.title, i.story)]
    texts += [(s.text, series[items[s.item_id].series_id]) for s in server.rows(Step)]
    return sorted({(" ".join(t.split())[:30], lang) for t, lang in texts if len(t.strip()) >= 12})


def test_what_people_typed_is_marked_with_its_language(server: LiveServer, pages: Pages, demo: Site) -> None:
    texts = typed(server)
    assert {lang for _, lang in texts} == {"da", "en"}, "the demo has an event in Danish and a series in English"
    page = pages.open("lang", PHONE)
    log_in(page, server.url)
    extra = {
        "doors": "/e/demo/print/doors",
        "programme": "/e/demo/print/programme",
    }
    wrong: list[str] = []
    for name, path in {**demo.paths, **extra}.items():
        if name in ("not-found", "login", "accounts"):
            continue
        page.set_viewport_size(SCREEN if name in WALL else DESK if "host" in name else PHONE)
        for lang in ("en", "da"):
            visit(page, url(server, path, lang))
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            found = page.evaluate(WRONG_VOICE, texts)
            found += [["", "", e] for e in page.evaluate(EMPTY_LANG)]
            wrong += [f"{name} [{lang}]: {text!r} in lang={got}: {html}" for text, got, html in found]
    # The schedule assistant's proposal, made as a host makes it.
    visit(page, url(server, "/e/demo/host", "en"))
    page.select_option("#propose-mode", "fill")
    page.click("form.propose button[type=submit]")
    page.wait_for_url(re.compile(r"/e/demo/host/schedule/proposals/\d+$"))
    wrong += [f"proposal: {t!r} in lang={lang}: {html}" for t, lang, html in page.evaluate(WRONG_VOICE, texts)]
    assert not wrong, f"{len(wrong)} texts people typed are not marked with their language:\n" + "\n".join(wrong)
