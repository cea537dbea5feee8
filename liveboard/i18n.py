"""Languages: gettext catalogs (Babel .po files, compiled in memory at start) and Babel formatting.

The language of the current request or render lives in a context variable, so templates, error messages and
fragments rendered for the live layer all ask the same place.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime as babel_datetime
from babel.dates import format_time as babel_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = ("da", "en")
DEFAULT = "da"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

current: ContextVar[str] = ContextVar("lang", default=DEFAULT)


@cache
def translations(lang: str) -> NullTranslations:
    """The catalog for a language. Message ids are English, so English needs no catalog to be complete."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick(value: str | None) -> str | None:
    """A supported language from a query parameter, cookie or header value, or None."""
    if not value:
        return None
    value = value.strip().lower()[:2]
    return value if value in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    for part in (header or "").split(","):
        lang = pick(part.split(";")[0])
        if lang:
            return lang
    return None


@contextmanager
def using(lang: str) -> Iterator[None]:
    token = current.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        current.reset(token)


def gettext(message: str) -> str:
    return translations(current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(current.get()).pgettext(context, message)


def local(moment: datetime | None, timezone: str) -> datetime | None:
    return None if moment is None else moment.astimezone(ZoneInfo(timezone))


def time(moment: datetime | None, timezone: str = "Europe/Copenhagen") -> str:
    if moment is None:
        return ""
    return babel_time(moment, format="short", tzinfo=ZoneInfo(timezone), locale=Locale.parse(current.get()))


def date_time(moment: datetime | None, timezone: str = "Europe/Copenhagen", format: str = "medium") -> str:
    if moment is None:
        return ""
    return babel_datetime(moment, format=format, tzinfo=ZoneInfo(timezone), locale=Locale.parse(current.get()))


def number(value: int | float) -> str:
    return format_decimal(value, locale=Locale.parse(current.get()))
