"""Languages: gettext catalogs (Babel .po files, compiled in memory at start) and Babel formatting.

The language of the current request or render lives in a context variable, so templates, error messages and
fragments rendered for the live layer all ask the same place.

Everything a person reads that is a date, a time or a number goes through the helpers at the end of this module
(templates have them as the filters `time`, `datetime`, `date`, `long_date` and `number`): Babel formats it for
the current language ("23. nov. 2026", "19.30", "1.234" in Danish; "23 Nov 2026", "19:30", "1,234" in English),
and times are shown in the event's or the series' own time zone (`Event.timezone`, `Series.timezone`; both
default to Europe/Copenhagen, `DEFAULT_TIMEZONE`). Machine values (`<time datetime>`, exports' JSON and CSV)
stay ISO 8601.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.dates import format_time as babel_time
from babel.dates import get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

LANGUAGES = ("da", "en")
DEFAULT = "da"
#: The time zone of an event or series that does not say (the models' default too).
DEFAULT_TIMEZONE = "Europe/Copenhagen"
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


#: The Babel locale that formats dates, times and numbers for each language. English is British English: a
#: 24-hour clock and the day before the month ("23 Nov 2026, 19:30"), as readers in Denmark expect.
FORMATS = {"da": "da_DK", "en": "en_GB"}


def locale() -> Locale:
    return Locale.parse(FORMATS.get(current.get(), current.get()))


def local(moment: datetime | None, timezone: str = DEFAULT_TIMEZONE) -> datetime | None:
    """The moment on the clocks of `timezone`; a naive one (as some drivers hand them back) is read as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone or DEFAULT_TIMEZONE))


def time(moment: datetime | None, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The time of day: "19.30" (da), "19:30" (en)."""
    at = local(moment, timezone)
    return "" if at is None else babel_time(at, format="short", locale=locale())


def date_time(moment: datetime | None, timezone: str = DEFAULT_TIMEZONE, format: str = "medium") -> str:
    """Day and time: "23. nov. 2026 19.30.00" (da, medium); short: "23.11.2026 19.30" (da), "23/11/2026, 19:30"
    (en)."""
    at = local(moment, timezone)
    return "" if at is None else babel_datetime(at, format=format, tzinfo=at.tzinfo, locale=locale())


def date(moment: datetime | None, timezone: str = DEFAULT_TIMEZONE, format: str = "medium") -> str:
    """The day, as it is on the clocks of `timezone`: "23. nov. 2026" (da), "23 Nov 2026" (en); format "long"
    gives "23. november 2026", "full" "mandag den 23. november 2026"."""
    at = local(moment, timezone)
    return "" if at is None else babel_date(at.date(), format=format, locale=locale())


def long_date(moment: datetime | None, timezone: str = DEFAULT_TIMEZONE) -> str:
    """A meeting's day as people say it: "mandag den 7. december 2026", "Monday, 7 December 2026"."""
    return date(moment, timezone, "full")


def zone(timezone: str | None) -> str:
    """A time zone as a host reads it: "Danmark-tid" (da), "Denmark Time" (en), not "Europe/Copenhagen".
    Zones with no place (UTC, Etc/…) keep their own name: Babel would call them an "unknown region"."""
    name = timezone or DEFAULT_TIMEZONE
    if "/" not in name or name.startswith("Etc/"):
        return name
    return get_timezone_location(name, locale=locale())


def number(value: int | float | None) -> str:
    """A count or measure, grouped for the language: "1.234" (da), "1,234" (en); decimals "3,5" / "3.5"."""
    return "" if value is None else format_decimal(value, locale=locale())


def percent(value: float) -> str:
    """A share of 1 as a percentage: "45 %" (da), "45%" (en)."""
    return format_percent(value, locale=locale())
