"""Field rules shared by the web forms, the event files and the CLI, so all three refuse the same things."""

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


def integer(value: object, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise Invalid(N_("{field} must be a whole number."), field=field)
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise Invalid(N_("{field} must be a whole number."), field=field) from None
    if minimum is not None and number < minimum:
        raise Invalid(N_("{field} must be at least {min}."), field=field, min=minimum)
    if maximum is not None and number > maximum:
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
