"""Field rules shared by the web forms, the event files and the CLI, so all three refuse the same things.

What is stored is what was typed, with these normalisations only (tests/web/test_fuzz_forms.py holds them):

- text: leading and trailing white space (Unicode's, as `str.strip` knows it) is removed and a CR LF line break
  becomes LF; every other character is kept as it came (HTML, quotes, formula starts, emoji, combining marks,
  right-to-left marks). A control character other than tab and line break is refused, not removed.
- whole numbers: as Python's `int` reads them (surrounding space, `_` between digits, other scripts' decimal
  digits); beyond a 64-bit database column they are refused.
- times: ISO 8601, stored in UTC; years outside `YEARS` are refused (nobody plans an evening there, and the
  arithmetic on them, a copy moved to a new date, must not overflow).

Pages escape it all (Jinja2 autoescape), the Markdown exports escape markup (`templating.markdown_text`, which also
puts a note on one line), and the CSV exports put a `'` before a cell a spreadsheet would run as a formula
(`exports.neutralise`); JSON carries the stored text as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from liveboard.domain.errors import N_, Invalid


def text(value: object, field: str, *, max_len: int, min_len: int = 0) -> str:
    """Trimmed text within its limits; a control character other than a line break is refused."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(N_("{field} must be text."), field=field)
    value = value.replace("\r\n", "\n").strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise Invalid(N_("{field} contains characters that are not allowed."), field=field)
    if len(value) < min_len:
        if min_len == 1:
            raise Invalid(N_("{field} is required."), field=field)
        raise Invalid(N_("{field} must be at least {min} characters."), field=field, min=min_len)
    if len(value) > max_len:
        raise Invalid(
            N_("{field} must be at most {max} characters (it has {length})."),
            field=field,
            max=max_len,
            length=len(value),
        )
    return value


def choice(value: object, field: str, options: Iterable[str]) -> str:
    options = tuple(options)
    if value not in options:
        raise Invalid(N_("{field} must be one of: {options}."), field=field, options=", ".join(options))
    return value  # type: ignore[return-value]


#: The largest whole number a database column holds (64-bit signed): a larger id names nothing.
BIGGEST = 2**63 - 1
#: The years a time may fall in (an event's start too: `setup.starts`).
YEARS = range(1900, 3000)


def integer(value: object, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise Invalid(N_("{field} must be a whole number."), field=field)
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise Invalid(N_("{field} must be a whole number."), field=field) from None
    if minimum is not None and number < minimum:
        raise Invalid(N_("{field} must be at least {min}."), field=field, min=minimum)
    maximum = BIGGEST if maximum is None else maximum
    if number < -BIGGEST:
        raise Invalid(N_("{field} must be at least {min}."), field=field, min=-BIGGEST)
    if number > maximum:
        raise Invalid(N_("{field} must be at most {max}."), field=field, max=maximum)
    return number


def moment(value: object, field: str, *, timezone: str | None = None) -> datetime:
    """An ISO 8601 time, in UTC. A time without offset is read in `timezone` (a form's datetime-local field);
    without a timezone it is refused, since it would be ambiguous."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise Invalid(N_("{field} must be a time like 2013-06-24T18:30:00+02:00."), field=field) from None
    if parsed.year not in YEARS:
        raise Invalid(
            N_("{field} must be a date between {first} and {last}."),
            field=field,
            first=YEARS.start,
            last=YEARS.stop - 1,
        )
    if parsed.tzinfo is None and timezone:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    if parsed.tzinfo is None:
        raise Invalid(N_("{field} needs a UTC offset, like 2013-06-24T18:30:00+02:00."), field=field)
    return parsed.astimezone(UTC)


def slug(value: object, field: str = "slug") -> str:
    value = text(value, field, min_len=1, max_len=60)
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in value) or not value[0].isalnum():
        raise Invalid(N_("{field} may hold only letters a–z, digits, - and _."), field=field)
    return value.lower()
