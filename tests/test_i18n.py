"""The translation catalogs: complete, up to date with the code and templates, and with the same placeholders.

When one of these fails after a text was added or changed, run `bash scripts/i18n.sh`, translate what is new
(or marked fuzzy) in liveboard/locale/*/LC_MESSAGES/messages.po, and run the tests again.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from liveboard import ROOT, i18n
from liveboard.web.templating import render

LOCALE_DIR = Path(i18n.LOCALE_DIR)
POT = LOCALE_DIR / "messages.pot"
REFRESH = "Run `bash scripts/i18n.sh`, translate the new or fuzzy messages, and run the tests again."

#: `%(name)s` (templates, newstyle gettext) and `{name}` (str.format in the domain and web errors).
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def ids(messages: Catalog) -> set[str | tuple[str, ...]]:
    """The message ids, with their context if they have one; the header (empty id) left out."""
    return {(m.context, m.id) if m.context else m.id for m in messages if m.id}


@cache
def extracted() -> frozenset[str | tuple[str, ...]]:
    """The messages the code and templates use now, found the way `pybabel extract -F babel.cfg` finds them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(ROOT / "babel.cfg"))
    found: set[str | tuple[str, ...]] = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(ROOT, method_map, options_map):
        if isinstance(message, tuple | list):
            message = tuple(message)  # ngettext: (singular, plural)
        found.add((context, message) if context else message)
    return frozenset(found)


def describe(label: str, items: set) -> str:
    return f"{label} ({len(items)}):\n" + "".join(f"    {item!r}\n" for item in sorted(items, key=repr))


def forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A msgid or msgstr as a tuple: one item, or the plural forms."""
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def placeholders(text: str) -> list[str]:
    return sorted(f"%({m[0]})" if m[0] else f"{{{m[1]}}}" for m in PLACEHOLDER.findall(text))


CATALOGS = [pytest.param(POT, id="messages.pot")] + [
    pytest.param(po_path(lang), id=f"{lang}/messages.po") for lang in i18n.LANGUAGES
]


def test_the_extraction_finds_messages_in_code_and_templates() -> None:
    found = extracted()
    # One from each kind of source: a template, N_() in the domain, i18n.gettext() in a view.
    assert "Where do I go now?" in found
    assert "{field} is required." in found
    assert "That username and password do not match an account that may log in." in found


@pytest.mark.parametrize("path", CATALOGS)
def test_catalog_matches_the_code_and_templates(path: Path) -> None:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing. {REFRESH}"
    in_catalog = ids(catalog(path))
    found = extracted()
    untranslated = found - in_catalog
    unused = in_catalog - found
    assert not untranslated and not unused, (
        f"{path.relative_to(ROOT)} is stale.\n"
        + (describe("used in code or templates but not in the catalog", untranslated) if untranslated else "")
        + (describe("in the catalog but no longer used", unused) if unused else "")
        + REFRESH
    )


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    messages = catalog(po_path(lang))
    assert messages.locale is not None and str(messages.locale) == lang
    empty = {m.id for m in messages if m.id and not all(forms(m.string))}
    fuzzy = {m.id for m in messages if m.id and m.fuzzy}
    assert not empty and not fuzzy, (
        f"{lang}/messages.po is not complete.\n"
        + (describe("without a translation", empty) if empty else "")
        + (describe("marked fuzzy (check the translation, then remove the flag)", fuzzy) if fuzzy else "")
    )


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translations_keep_the_placeholders(lang: str) -> None:
    wrong = []
    for m in catalog(po_path(lang)):
        if not m.id:
            continue
        msgids, msgstrs = forms(m.id), forms(m.string)
        # Plural forms may leave out the count (Danish "én"), never add or rename a placeholder.
        allowed = set().union(*(placeholders(text) for text in msgids))
        for text in msgstrs:
            got = placeholders(text)
            if set(got) - allowed or (len(msgstrs) == 1 and got != placeholders(msgids[0])):
                wrong.append(f"    {m.id!r}: {placeholders(msgids[0])} → {text!r}: {got}")
    assert not wrong, f"{lang}/messages.po: translations whose placeholders differ:\n" + "\n".join(wrong)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_babel_finds_no_format_errors(lang: str) -> None:
    problems = [f"    {m.id!r}: {'; '.join(map(str, errors))}" for m, errors in catalog(po_path(lang)).check()]
    assert not problems, f"{lang}/messages.po:\n" + "\n".join(problems)


def test_english_translations_are_the_message_ids() -> None:
    different = {m.id: m.string for m in catalog(po_path("en")) if m.id and m.string != m.id}
    assert not different, f"en/messages.po: msgstr should equal msgid: {different}"


def test_danish_and_english_differ_at_run_time() -> None:
    i18n.translations.cache_clear()
    with i18n.using("da"):
        danish = i18n.gettext("Where do I go now?")
        field = i18n.gettext("{field} is required.").format(field=i18n.gettext("Title"))
    with i18n.using("en"):
        english = i18n.gettext("Where do I go now?")
    assert english == "Where do I go now?"
    assert danish == "Hvor skal jeg hen nu?"
    assert field == "Overskrift skal udfyldes."


def test_every_danish_text_is_used_by_the_running_app() -> None:
    """The app reads the .po files itself: every msgid in them must come back translated through i18n.gettext."""
    i18n.translations.cache_clear()
    with i18n.using("da"):
        untranslated = [
            m.id
            for m in catalog(po_path("da"))
            if m.id and isinstance(m.id, str) and not m.context and i18n.gettext(m.id) != m.string
        ]
    assert not untranslated, f"i18n.gettext returns something else than da/messages.po for: {untranslated}"


def test_a_template_renders_in_the_current_language() -> None:
    i18n.translations.cache_clear()
    pages = {}
    for lang in i18n.LANGUAGES:
        with i18n.using(lang):
            pages[lang] = render("_my_evening.html", where=None, here=None, board=None, oob=False)
    assert "Hvor skal jeg hen nu?" in pages["da"]
    assert "Where do I go now?" in pages["en"]
    assert pages["da"] != pages["en"]
