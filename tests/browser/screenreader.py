"""A virtual screen reader (@guidepup/virtual-screen-reader, npm, pinned in package-lock.json) inside a real page.

The package's browser build is one self-contained ES module. It is served by the test itself (`page.route`) at a
same-origin address, /__test__/virtual-screen-reader.js, and the page imports it from there: the pages' CSP
(`script-src 'self'`) allows it as it is, with no `bypass_csp` and no inline script, so the page is the real one.
(axe-core, a classic script, is evaluated through the DevTools protocol instead; an ES module cannot be.)

What the walks hear is the reader's spoken phrases, as a person swiping through the page would: the reader's own
"end of …" closings, its "paragraph"/"strong"/"form" role words, and the text inside a control or heading it has
just said by name are left out of `heard` (the raw phrases stay in `raw`). Live regions come in as
"polite: …" / "assertive: …", where they were spoken. Keys are pressed with Playwright's real keyboard on the
element the reader is on (trusted events, as a keyboard or a screen reader's Enter sends them).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from liveboard import ROOT

BUNDLE = ROOT / "node_modules" / "@guidepup" / "virtual-screen-reader" / "lib" / "esm" / "index.browser.js"
ADDRESS = "/__test__/virtual-screen-reader.js"
#: Every wait for the page (a swap, a live phrase) is bounded (s).
WAIT = 8.0

#: Installed into each page of a walk before its own scripts: htmx requests begun and finished.
INIT_SCRIPT = """
window.__requests = [0, 0];
document.addEventListener("htmx:before:request", () => { window.__requests[0] += 1; });
document.addEventListener("htmx:finally:request", () => { window.__requests[1] += 1; });
"""

START = """async (address) => {
  if (!window.__vsr) window.__vsr = (await import(address)).virtual;
  await window.__vsr.stop();
  await window.__vsr.start({container: document.body});
}"""

#: Role words a person swiping does not hear on their own (a real reader says none of them before the text).
QUIET_ROLES = "paragraph|strong|emphasis|form|group|generic|term|definition|blockquote|figure|time|deletion|" + (
    "insertion|caption|none|listitem, .*"
)
#: Elements whose name the reader says as one item: their own text is not heard again, item by item.
NAMED = "button, a[href], summary, h1, h2, h3, h4, h5, h6, label, legend, option, select, textarea"
CONTROLS = "input, select, textarea, button, a[href]"

#: The phrase the reader said last, and what a person hears of it (see the module's docstring).
STEP = (
    """() => {
  const v = window.__vsr, node = v.activeNode;
  return v.lastSpokenPhrase().then(phrase => {
    const element = node && (node.nodeType === 1 ? node : node.parentElement);
    const within = node && node.parentElement && node.parentElement.closest('"""
    + NAMED
    + """');
    const inside = !!within && (node.nodeType === 3 || (element !== within && !element.matches('"""
    + CONTROLS
    + """')));
    const silent = phrase.startsWith('end of ') || phrase.startsWith('end, ') || inside
        || /^("""
    + QUIET_ROLES
    + """)$/.test(phrase);
    const voiced = element && element.closest('[lang]');
    // Plain text (no role of its own) and the block it is in: runs of it in one block are heard as one line.
    const text = !!element && (node.nodeType === 3 || phrase === element.textContent.replace(/\\s+/g, ' ').trim());
    let block = element;
    const inline = e => getComputedStyle(e).display.startsWith('inline') || e.classList.contains('visually-hidden');
    while (block && block.parentElement && inline(block))
      block = block.parentElement;
    const blocks = window.__vsrBlocks || (window.__vsrBlocks = new WeakMap());
    if (block && !blocks.has(block)) blocks.set(block, (window.__vsrBlock = (window.__vsrBlock || 0) + 1));
    return {phrase, silent, text, block: block ? blocks.get(block) : 0,
            lang: voiced ? voiced.getAttribute('lang') : '', end: phrase === 'end of document'};
  });
}"""
)

#: Swipes on, `limit` times at most or until a phrase heard matches `until`; live regions heard on the way too.
WALK = (
    """async ([limit, until]) => {
  const v = window.__vsr, step = """
    + STEP
    + """, out = [];
  const stop = until ? new RegExp(until) : null;
  const spoken = phrase => phrase.replace(/^(polite|assertive):/, "").trim();
  for (let i = 0; i < limit; i++) {
    const before = (await v.spokenPhraseLog()).length;
    await v.next();
    const log = await v.spokenPhraseLog();
    for (const live of log.slice(before, -1).filter(spoken))
      out.push({phrase: live, silent: false, lang: '', end: false, text: false, block: 0});
    const s = await step();
    out.push(s);
    if (s.end || (stop && !s.silent && stop.test(s.phrase))) break;
  }
  return out;
}"""
)

JUMP = (
    """async ([command, until, limit]) => {
  const v = window.__vsr, step = """
    + STEP
    + """, stop = new RegExp(until);
  for (let i = 0; i < limit; i++) {
    if (command) await v.perform(v.commands[command]); else await v.next();
    const s = await step();
    if (s.end) return null;
    if (!s.silent && stop.test(s.phrase)) return s;
  }
  return null;
}"""
)


#: The element under the reader's cursor gets the focus (a text node's element), as before a key is pressed.
FOCUS = """() => { const n = window.__vsr.activeNode; const e = n && (n.nodeType === 1 ? n : n.parentElement);
  if (e && document.activeElement !== e) e.focus(); }"""


HEADINGS = (
    """async () => {
  const v = window.__vsr, step = """
    + STEP
    + """, out = [];
  for (let i = 0; i < 1000; i++) {
    await v.perform(v.commands.moveToNextHeading);
    const s = await step();
    if (!s.phrase.startsWith('heading') || (out.length && s.phrase === out[0].phrase)) break;
    out.push(s);
  }
  return out;
}"""
)


@cache
def source() -> bytes:
    if not BUNDLE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{BUNDLE} is missing on CI: scripts/test.sh must install it (npm ci)")
        pytest.skip(
            f"!!! SCREEN-READER WALKS NOT RUN: {BUNDLE} is missing. Run scripts/test.sh (it runs `npm ci`), "
            "or `npm ci --ignore-scripts` in the repository root. !!!"
        )
    return BUNDLE.read_bytes()


def prepare(context: Any, base_url: str) -> None:
    """Serve the reader at a same-origin address in this browser context, and count htmx requests in its pages."""
    body = source()
    context.route(
        f"{base_url}{ADDRESS}",
        lambda route: route.fulfill(status=200, body=body, content_type="text/javascript; charset=utf-8"),
    )
    context.add_init_script(INIT_SCRIPT)


def _settle(page: Any) -> None:
    """Two rendering frames and a task: focus handlers and the reader's own (it waits a microtask) have run."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0))))")


@dataclass
class Reader:
    """One page read by the virtual screen reader; `heard` is everything said since the last `take()`."""

    page: Any
    heard: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    lang: str = ""
    #: How many phrases of the reader's log were already taken in.
    seen: int = 0
    #: The reader has just been started: it is at the top.
    fresh: bool = False

    def start(self) -> str:
        """Turn the reader on for the page as it is now (again after a page load): it says the document."""
        self.page.evaluate(START, ADDRESS)
        self.lang = self.page.evaluate("document.documentElement.lang")
        self._record([self.page.evaluate(STEP)])
        self.mark()
        self.fresh = True
        return self.heard[-1]

    def _record(self, steps: list[dict[str, Any]]) -> None:
        self.fresh = False
        line = None  # the block of the plain text heard last, which more plain text of that block joins
        for s in steps:
            self.raw.append(s["phrase"])
            if s["silent"]:
                continue
            voice = f"[{s['lang']}] " if s["lang"] and s["lang"] != self.lang else ""
            said = voice + normalise(s["phrase"])
            if s.get("text") and self.heard and said in self.heard[-1].split(", ")[1:2]:
                continue  # a legend or label read out after the group or field it names: said already
            if s.get("text") and line == s["block"] and self.heard:
                self.heard[-1] += " " + said
            else:
                self.heard.append(said)
            line = s["block"] if s.get("text") else None

    def take(self) -> list[str]:
        """What was heard since the last take (and forget it)."""
        heard, self.heard, self.raw = self.heard, [], []
        return heard

    def read_all(self, limit: int = 3000) -> list[str]:
        """Swipe from where the reader is to the end of the document: everything it says on the way."""
        self._record(self.page.evaluate(WALK, [limit, None]))
        self.mark()
        return self.heard

    def read_until(self, pattern: str, limit: int = 3000) -> str:
        """Swipe on until a phrase matches `pattern` (a JavaScript regular expression); that phrase."""
        steps = self.page.evaluate(WALK, [limit, pattern])
        self._record(steps)
        self.mark()
        assert steps and re.search(pattern, steps[-1]["phrase"]), f"never heard /{pattern}/: {self.heard[-5:]}"
        return self.heard[-1]

    def jump(self, pattern: str, command: str = "moveToNextHeading", limit: int = 5000) -> str:
        """Move by `command` (next heading by default; "" swipes) until what is said matches `pattern`: only the
        place landed on is heard, as with a screen reader's quick keys."""
        found = self.page.evaluate(JUMP, [command, pattern, limit])
        assert found, f"no {command or 'item'} after the reader's place says /{pattern}/"
        self._record([found])
        self.mark()
        return self.heard[-1]

    def headings(self) -> list[str]:
        """Every heading on the page, from the top, by the reader's next-heading key."""
        if not self.fresh:
            self.start()
        self.fresh = False
        self.heard.clear()
        steps = self.page.evaluate(HEADINGS)
        self._record(steps)
        self.mark()
        return self.heard[:]

    def focused(self) -> str:
        """What the reader said last: for the element that got the focus (it follows focus, as real ones do)."""
        return normalise(self.page.evaluate("() => window.__vsr.lastSpokenPhrase()"))

    def again(self) -> str:
        """The item the reader is on, read again as it is now (one back and one on): its state may have changed
        since it was said."""
        phrase = self.page.evaluate(
            "async () => { const v = window.__vsr; await v.previous(); await v.next(); return v.lastSpokenPhrase(); }"
        )
        self.mark()
        return normalise(phrase)

    def press(self, key: str, *, navigates: bool = False, request: bool = False) -> None:
        """Press `key` on the element the reader is on, with the real keyboard. `request`: wait for the htmx
        request it makes to be answered and swapped; `navigates`: wait for the new page and read it from the top."""
        self.page.evaluate(FOCUS)
        _settle(self.page)
        self.mark()
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
            self.page.wait_for_load_state("load")
            self.start()
            return
        before = self.page.evaluate("window.__requests[1]")
        self.page.keyboard.press(key)
        if request:
            self._wait(lambda: self.page.evaluate("window.__requests[1]") > before, "an htmx request to finish")
        _settle(self.page)
        self._listen()

    def type(self, text: str, replace: bool = False) -> None:
        """Type into the field the reader is on (it gets the focus first); `replace`: what it held first."""
        self.page.evaluate(FOCUS)
        if replace:
            self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.type(text)
        _settle(self.page)
        self.mark()

    def _listen(self) -> None:
        """Phrases the reader added by itself (focus moved, a live region spoke) since the last record."""
        log = self.page.evaluate("() => window.__vsr.spokenPhraseLog()")
        for phrase in log[self.seen :]:
            self.raw.append(phrase)
            if not re.fullmatch(r"(polite|assertive):\s*", phrase):  # an emptied region says nothing
                self.heard.append(normalise(phrase))
        self.seen = len(log)

    def mark(self) -> None:
        """Remember how much the reader has said, so `_listen` and `wait_for` hear only what comes after."""
        self.seen = len(self.page.evaluate("() => window.__vsr.spokenPhraseLog()"))

    def wait_for(self, pattern: str, seconds: float = WAIT) -> str:
        """Wait until the reader says something matching `pattern` by itself (a live region); that phrase."""

        def said() -> bool:
            self._listen()
            return any(re.search(pattern, p) for p in self.heard)

        self._wait(said, f"the reader to say /{pattern}/ (heard {self.heard})")
        return next(p for p in self.heard if re.search(pattern, p))

    def caught_up(self, version: int) -> None:
        """Wait until the page shows `version` of its event or series (#lb-v): the live frame of a change is in."""
        self._wait(
            lambda: int(self.page.evaluate("document.getElementById('lb-v').dataset.v")) >= version,
            f"the page to show version {version}",
        )
        _settle(self.page)
        self._listen()

    def _wait(self, done: Any, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not done():
            assert time.monotonic() < deadline, f"waited {WAIT} s for {what}"
            self.page.wait_for_timeout(25)


# --- transcripts ------------------------------------------------------------------------------------------------

#: What changes from run to run (the demo is placed around the moment it is loaded): written as placeholders.
NORMAL = [
    (re.compile(r"\b\d{1,2}\. \w+\.? \d{4}"), "‹date›"),  # 23. nov. 2026
    (re.compile(r"\b\d{1,2} \w{3,9} \d{4}"), "‹date›"),  # 23 Nov 2026
    (re.compile(r"\b\w+ \d{1,2}, \d{4}\b"), "‹date›"),  # November 23, 2026
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "‹date›"),
    (re.compile(r"\b\d{1,2}[.:]\d{2}(?:[.:]\d{2})?\b"), "‹time›"),
    (re.compile(r"/host/invite/[\w-]+"), "/host/invite/‹token›"),
]


def normalise(phrase: str) -> str:
    for pattern, placeholder in NORMAL:
        phrase = pattern.sub(placeholder, phrase)
    return phrase


@dataclass
class Transcript:
    """A walk written down: each step taken and what was heard, in order, for docs/accessibility/."""

    title: str
    intro: str
    steps: list[tuple[str, list[str]]] = field(default_factory=list)

    def step(self, what: str, heard: list[str]) -> list[str]:
        self.steps.append((what, list(heard)))
        return heard

    def markdown(self) -> str:
        lines = [f"# {self.title}", "", self.intro, ""]
        for number, (what, heard) in enumerate(self.steps, 1):
            lines += [f"## {number}. {what}", "", "```text", *heard, "```", ""]
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(), encoding="utf-8")
