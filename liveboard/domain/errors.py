"""What can go wrong in the domain, in words a person can act on.

Messages are English message ids with `{placeholders}`; the web layer translates them for the reader's
language (`N_` only marks them for the catalog extractor).
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    return message


def NC_(context: str, message: str) -> tuple[str, str]:
    """A message with a context, for an English word with two meanings ("Place" a pitch, a meeting's place): the
    catalog keeps one Danish word for each (`pgettext`)."""
    return (context, message)


class DomainError(Exception):
    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message.format(field=field, **params))
        self.message = message
        self.field = field
        self.params = params


class Invalid(DomainError):
    """The input is wrong: nothing was changed (HTTP 422)."""


class Conflict(DomainError):
    """The input is fine, but the current state does not allow it (HTTP 409)."""


class NotFound(DomainError):
    """No such thing here (HTTP 404)."""


class Denied(DomainError):
    """Not for this person: a key that does not open this (HTTP 403)."""


class Gone(DomainError):
    """It was here and is no longer: a used or expired link (HTTP 410)."""
