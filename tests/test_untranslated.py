"""No interface text escapes translation: every word a person reads is in the catalogs, in Danish and English.

tests/test_i18n.py checks the catalogs against the messages the code *marks* for translation. This file catches
what is not marked at all:

* a lint over every template in templates/: the Jinja comments, statements and expressions are blanked out
  (as are `{% trans %}` blocks, <script> and <style>), and what is left must hold no words: no text between tags,
  and no user-visible attribute (placeholder, title, alt, aria-label, aria-description, the value of a submit or
  button input, the content of <meta name="description">) with a letter in it. The Markdown exports (report/report.md,
  series_log/_log.md) are linted the same way: they are what a council paper or newsletter quotes, and they follow the
  language of the request like the pages do (`?lang=en` on the export URL, the `--lang` of the CLI), so their headings
  are translated too. Only their machine-readable siblings (JSON and CSV keys and values) are a contract and stay as
  they are, in English.
* a look at the running demo: every page in `?lang=da` and `?lang=en`, with the right <html lang>, and no
  English interface message on the Danish page (each msgid the English page shows whose Danish differs must not
  be on the Danish page), and the Danish page differing from the English one.

To fix a failure: wrap the text in `{{ _("…") }}` or `{% trans %}…{% endtrans %}` in the template (in Python:
`i18n.gettext("…")`, or `N_("…")` where the message is translated later), then run `bash scripts/i18n.sh` and
translate what is new in liveboard/locale/da/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import ast
import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po
from conftest import LiveServer

from liveboard import ROOT
from liveboard.domain import accounts
from liveboard.i18n import LOCALE_DIR
from liveboard.models import Meeting, Series
from liveboard.models import Session as Slot

TEMPLATES = ROOT / "templates"
HOW_TO_FIX = (
    "Wrap each in {{ _('…') }} or {% trans %}…{% endtrans %} (in Python: i18n.gettext or N_), "
    "then run `bash scripts/i18n.sh` and translate the new messages in liveboard/locale/da/LC_MESSAGES/messages.po."
)

#: Text that is the same in every language, each with why. Compared after whitespace is collapsed.
ALLOWED = {
    "LiveBoard": "the product's name",
    "QR": "the name of the code, the same in Danish and English",
    "×": "rooms × rounds, a sign",
    "·": "a separator",
    "—": "an empty cell",
    "–": "a range, 19.30–20.10",
    "+1": "support, a sign understood in both languages",
    "%": "a unit after a number",
    "min": "minutes after a number: the same abbreviation in Danish and English",
    "da": "the language switch shows each language's code",
    "en": "the language switch shows each language's code",
    "Dansk": "the language switch names each language in itself",
    "English": "the language switch names each language in itself",
    "Markdown": "the name of a file format, a link to the export",
    "CSV": "the name of a file format, a link to the export",
    "JSON": "the name of a file format, a link to the export",
}

#: Pieces of text that are not words, each with why: taken out before looking for letters.
NOT_WORDS = [
    (re.compile(r"(?<![\w/])/[\w/…]*"), "a path of the site, as typed in the address bar (/s/…)"),
    (re.compile(r'[\w-]+="[^"]*"'), "attributes a macro writes into a tag"),
]

#: Attributes a person reads (or hears, from a screen reader); `label` names an <optgroup> or <option>, and
#: `data-template` is the text app.js writes into a counter ("Characters left: {left}").
VISIBLE_ATTRIBUTES = {
    "placeholder",
    "title",
    "alt",
    "label",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "aria-placeholder",
    "data-template",
}

_JINJA = re.compile(
    r"\{#.*?#\}"  # comments
    r"|\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}"  # translated blocks, their text included
    r"|\{%-?\s*block\s+body_class\s*-?%\}.*?\{%-?\s*endblock\s*-?%\}"  # class names, not text
    r"|\{%.*?%\}"  # statements
    r"|\{\{.*?\}\}",  # expressions
    re.S,
)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)


def blank(match: re.Match[str]) -> str:
    """What a piece of markup leaves behind: a space, and its line breaks (so line numbers stay right)."""
    return " " + "\n" * match.group(0).count("\n")


def without_jinja(source: str) -> str:
    return _SCRIPT_STYLE.sub(blank, _JINJA.sub(blank, source))


def wordy(text: str) -> str | None:
    """The text, collapsed, if it holds a letter and is not allowed as it is; else None."""
    text = " ".join(html.unescape(text).split())
    if not any(c.isalpha() for c in text) or text in ALLOWED:
        return None
    # Several allowed pieces with only signs and digits between them ("QR · LiveBoard").
    rest = text
    for pattern, _why in NOT_WORDS:
        rest = pattern.sub(" ", rest)
    for word in sorted(ALLOWED, key=len, reverse=True):
        rest = rest.replace(word, " ")
    return text if any(c.isalpha() for c in rest) else None


class Lint(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_data(self, data: str) -> None:
        text = wordy(data)
        if text:
            # The line of the first non-blank character, not of the text node's start.
            self.found.append((self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n"), text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        shown = [name for name in VISIBLE_ATTRIBUTES if name in values]
        if tag == "input" and (values.get("type") or "").lower() in {"submit", "button", "reset"}:
            shown.append("value")
        if tag == "meta" and (values.get("name") or "").lower() == "description":
            shown.append("content")
        for name in shown:
            text = wordy(values.get(name) or "")
            if text:
                self.found.append((self.getpos()[0], f'{name}="{text}"'))

    handle_startendtag = handle_starttag


def untranslated_html(path: Path) -> list[tuple[int, str]]:
    lint = Lint()
    lint.feed(without_jinja(path.read_text(encoding="utf-8")))
    lint.close()
    return lint.found


def untranslated_markdown(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(without_jinja(path.read_text(encoding="utf-8")).splitlines(), 1):
        text = wordy(line)
        if text:
            found.append((number, text))
    return found


def test_the_lint_finds_untranslated_text(tmp_path: Path) -> None:
    sample = tmp_path / "sample.html"
    sample.write_text(
        '{# a comment #}<p>{{ _("Fine") }}</p>\n<p title="Bad title">Bad text</p>\n'
        '<input type="submit" value="Send"><img alt="{{ _(\'ok\') }}"><script>let words = "fine"</script>\n'
        "{% trans %}Fine too{% endtrans %} <span>LiveBoard · QR</span> <span>+1</span>\n"
        '<meta name="description" content="About it">'
    )
    assert untranslated_html(sample) == [
        (2, 'title="Bad title"'),
        (2, "Bad text"),
        (3, 'value="Send"'),
        (5, 'content="About it"'),
    ]


TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.md"))


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_untranslated_text_in_templates(path: Path) -> None:
    found = untranslated_markdown(path) if path.suffix == ".md" else untranslated_html(path)
    where = path.relative_to(ROOT)
    assert not found, (
        f"Text in {where} that is not translated:\n"
        + "".join(f"    {where}:{line}: {text!r}\n" for line, text in found)
        + HOW_TO_FIX
    )


# --- Python: the messages the domain and the web layer give people ---------------------------------------------

#: Exceptions whose message a person reads (translated by liveboard/web/errors.py).
MESSAGE_CALLS = {"Invalid", "Conflict", "NotFound", "Denied", "DomainError", "HTTPException"}
MARKERS = {"N_", "_", "gettext", "ngettext", "pgettext"}
PYTHON = sorted((ROOT / "liveboard" / "domain").glob("*.py")) + sorted((ROOT / "liveboard" / "web").rglob("*.py"))
PYTHON += [ROOT / "liveboard" / name for name in ("charts.py", "exports.py", "series_exports.py")]


def called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def literal(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def untranslated_python(path: Path) -> list[tuple[int, str]]:
    """Messages for people that are plain strings: a domain error or HTTP error raised with a literal message (it
    must be N_("…")), an `error_response` given a literal text, and a message marked for translation that is an
    f-string or built with + (the extractor cannot see it, so it is never translated)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = called(node)
        args = node.args
        if name in MESSAGE_CALLS:
            message = next((a for a in args if not (isinstance(a, ast.Constant) and isinstance(a.value, int))), None)
            if message is not None and literal(message):
                found.append((node.lineno, f"{name}({ast.unparse(message)}): wrap the message in N_()"))
        elif name == "error_response" and len(args) >= 3 and literal(args[2]):
            found.append((node.lineno, f"error_response(…, {ast.unparse(args[2])}): translate it"))
        elif name in MARKERS and args and isinstance(args[0], ast.JoinedStr | ast.BinOp):
            found.append((node.lineno, f"{name}({ast.unparse(args[0])}): a message id must be a plain string"))
    return found


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_untranslated_messages_in_python(path: Path) -> None:
    found = untranslated_python(path)
    where = path.relative_to(ROOT)
    assert not found, (
        f"Messages in {where} that are not translated:\n"
        + "".join(f"    {where}:{line}: {text}\n" for line, text in found)
        + HOW_TO_FIX
    )


def test_the_python_lint_finds_untranslated_messages(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'raise Invalid("Bad input", field="title")\n'
        'raise Invalid(N_("Fine"), field="title")\n'
        'raise HTTPException(429, "Too many")\n'
        "raise HTTPException(404)\n"
        'i18n.gettext(f"Hello {name}")\n'
        'error_response(request, 422, "Nope")\n'
    )
    assert [line for line, _ in untranslated_python(sample)] == [1, 3, 5, 6]


# --- the running demo, page by page, in both languages -----------------------------------------------------------


def danish_catalog() -> dict[str, str]:
    with (Path(LOCALE_DIR) / "da" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and not m.context and m.string}


class Visible(HTMLParser):
    """The text of a page a person sees or hears: text nodes and the visible attributes, not scripts or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lang: str | None = None
        self._skip = 0
        #: Inside an element marked translate="no" (a record kept as written, like the host's audit log).
        self._kept: list[str] = []
        self._kept_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag in {"script", "style", "template"}:
            self._skip += 1
        if self._kept and tag == self._kept[-1]:
            self._kept_depth += 1
        elif not self._kept and values.get("translate") == "no":
            self._kept.append(tag)
            self._kept_depth = 1
        if self._skip or self._kept:
            return
        for name in VISIBLE_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and (values.get("type") or "").lower() in {"submit", "button"}:
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1
        if self._kept and tag == self._kept[-1]:
            self._kept_depth -= 1
            if not self._kept_depth:
                self._kept.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._kept:
            self.parts.append(data)


def visible(page: str) -> tuple[str | None, list[str]]:
    parser = Visible()
    parser.feed(page)
    parser.close()
    return parser.lang, [" ".join(part.split()) for part in parser.parts if part.strip()]


def pages(server: LiveServer, host: httpx.Client) -> dict[str, tuple[str, str]]:
    """Every page of the demo: name → (path, who looks at it: "guest", "participant" or "host")."""
    slot = server.slot(1, "Caféen")
    room = server.room("Caféen")
    made = host.post(f"/e/demo/host/sessions/{slot.id}/note-key")
    assert made.status_code == 303, made.text
    key = server.get(Slot, slot.id).note_key
    assert key
    series = server.rows(Series, Series.slug == "seniorer")[0]
    meeting = server.rows(Meeting, Meeting.series_id == series.id)[0]
    assert meeting
    return {
        "front page": ("/", "guest"),
        "host login": ("/host/login", "guest"),
        "host index": ("/host", "host"),
        "event": ("/e/demo", "participant"),
        "my evening": ("/e/demo/me", "participant"),  # a fragment the event page fetches again
        "session": (f"/e/demo/sessions/{slot.id}", "participant"),
        "screen": ("/e/demo/screen", "guest"),
        "door screen": (f"/e/demo/screen?room={room.id}", "guest"),
        "host console": ("/e/demo/host", "host"),
        "harvest desk": ("/e/demo/host/notes", "host"),
        "note key": (f"/e/demo/host/sessions/{slot.id}/note-key", "host"),
        "note-taker": (f"/e/demo/sessions/{slot.id}/take?key={key}", "guest"),
        "report": ("/e/demo/report", "host"),
        "room": (f"/e/demo/rooms/{room.id}", "participant"),
        "door posters": ("/e/demo/print/doors", "host"),
        "programme": ("/e/demo/print/programme", "host"),
        "copy an event": ("/host/events/demo/copy", "host"),
        "accounts": ("/host/accounts", "host"),
        "invitation": (f"/host/invite/{invitation(server)}", "guest"),
        "schedule proposal": (host.post("/e/demo/host/schedule/proposals").headers["location"], "host"),
        "all series": ("/s", "guest"),
        "series": (f"/s/{series.slug}", "participant"),
        "series console": (f"/s/{series.slug}/host", "host"),
        "series screen": (f"/s/{series.slug}/screen", "guest"),
        "series log": (f"/s/{series.slug}/log", "guest"),
        "not found": ("/e/no-such-event", "guest"),
    }


def fetch(client: httpx.Client, path: str, lang: str) -> httpx.Response:
    sep = "&" if "?" in path else "?"
    return client.get(f"{path}{sep}lang={lang}")


def english_left(english: list[str], danish: list[str], catalog: dict[str, str]) -> list[str]:
    """Interface messages shown on the English page that the Danish page shows in English too."""
    danish_text = set(danish)
    left = []
    for msgid, msgstr in catalog.items():
        if msgstr == msgid or "%(" in msgid or "{" in msgid or len(msgid) < 4:
            continue
        if msgid in english and msgid in danish_text:
            left.append(msgid)
    return left


#: Short English words that Danish never uses: a text that reads the same on both pages (so not translated, or user
#: text) and has one of them is English left on the Danish page. The demo's event and series used here are written
#: in Danish; pages that list the `internationale` series, written in English, are left out of this check.
#: (Words that are Danish too, like "for", "at", "to", "by", "send", "note", "log", are not in the list.)
ENGLISH = re.compile(
    r"\b(the|and|of|is|are|your|you|with|from|this|that|not|no|yet|here|now|what|who|when|where|which|"
    r"open|close|closed|show|hide|save|add|remove|edit|delete|back|next|room|rooms|round|rounds|people|"
    r"report|screen|login|in|on|or|new|all|none|one|day|days|minutes?|hours?)\b",
    re.I,
)


#: Pages that show the titles or answers of the `internationale` series, which are in English.
ENGLISH_CONTENT = {"host index", "all series"}


#: An address printed for people to type (under a QR code): its path is the contract's, in no language.
ADDRESS = re.compile(r"[\w.:-]+(/[\w.-]*)+")


def english_words(english: list[str], danish: list[str]) -> list[str]:
    shared = set(english) & set(danish)
    return sorted(text for text in shared if ENGLISH.search(text) and not ADDRESS.fullmatch(text))


def invitation(server: LiveServer) -> str:
    """A fresh invitation token for a new host, as an organiser would make one."""
    with server.database.write() as db:
        _, token = accounts.create(
            db, {"username": "mette", "name": "Mette", "role": "host"}, by="admin", now=datetime.now(UTC)
        )
    return token


def test_every_page_is_in_the_language_asked_for(server: LiveServer, host: httpx.Client) -> None:
    catalog = danish_catalog()
    problems = []
    participant = server.client(lang=None)
    assert participant.get("/e/demo").status_code == 200  # a first visit gives the participant a cookie
    browsers = {"guest": server.client(lang=None), "participant": participant, "host": host}
    for name, (path, who) in pages(server, host).items():
        shown: dict[str, list[str]] = {}
        for lang in ("da", "en"):
            response = fetch(browsers[who], path, lang)
            expected = 404 if name == "not found" else 200
            if response.status_code != expected:
                problems.append(f"{name} ({path}, {lang}): status {response.status_code}")
                continue
            page_lang, shown[lang] = visible(response.text)
            if page_lang != lang and not (page_lang is None and path.endswith("/me")):
                problems.append(f"{name} ({path}): <html lang={page_lang!r}> for ?lang={lang}")
        if len(shown) < 2:
            continue
        left = english_left(shown["en"], shown["da"], catalog)
        if left:
            problems.append(f"{name} ({path}): English on the Danish page: {left}")
        english = [] if name in ENGLISH_CONTENT else english_words(shown["en"], shown["da"])
        if english:
            problems.append(f"{name} ({path}): English in text the Danish page shares with the English: {english}")
        if shown["da"] == shown["en"]:
            problems.append(f"{name} ({path}): the Danish and English pages read the same")
    assert not problems, "\n".join(problems) + "\n" + HOW_TO_FIX


@pytest.mark.parametrize(
    ("lang", "htmx", "expected"),
    [
        ("da", False, "Overskrift skal udfyldes."),
        ("en", False, "Title is required."),
        ("da", True, "Overskrift skal udfyldes."),
        ("en", True, "Title is required."),
    ],
)
def test_an_error_shown_to_a_participant_is_in_their_language(
    server: LiveServer, lang: str, htmx: bool, expected: str
) -> None:
    """A 422 from a form sent without a title: the page (or, from htmx, the fragment) and its message."""
    client = server.client(lang=lang)
    client.get("/e/demo")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post("/e/demo/pitches", data={"title": "", "story": ""}, headers=headers)
    assert response.status_code == 422, response.text
    page_lang, shown = visible(response.text)
    assert page_lang == (None if htmx else lang)
    assert expected in " ".join(shown), shown
