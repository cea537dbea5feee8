"""Settings: environment variables first, command-line flags on top."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

BROADCAST_SCHEMES = ("memory", "redis", "rediss", "unix")
DATABASE_SCHEMES = ("sqlite", "postgresql")
LOG_FORMATS = ("text", "json")
#: Days after an event (or a series member's last visit) before what identifies people is purged: the contract's
#: default. At most ten years: a larger number is a mistake (seconds?), and would run past the calendar's end.
RETENTION_DAYS, RETENTION_MAX = 30, 3650


class ConfigError(ValueError):
    """A setting that cannot work; said at start, before anyone relies on the instance."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///liveboard.db"
    broadcast_url: str = "memory://"
    admin_password: str | None = None
    secret_key: str | None = None
    #: The public base URL printed on screens and in QR codes; derived from the request when empty.
    public_url: str = ""
    #: Who may read /metrics besides loopback: `Authorization: Bearer` this. None: loopback only.
    metrics_token: str | None = None
    #: How `serve` logs: uvicorn's text, or a JSON object per line (`liveboard.logs`).
    log_format: str = "text"
    #: `LIVEBOARD_RETENTION_DAYS`: see `domain.retention`. A whole number of days from 1: the GDPR asks that
    #: personal data go once they are not needed, so there is no "never"; 1 is the day after the event.
    retention_days: int = RETENTION_DAYS
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        database = self.database_url.split("://", 1)[0].split("+", 1)[0].lower()
        if "://" not in self.database_url or database not in DATABASE_SCHEMES:
            raise ConfigError(
                f"LIVEBOARD_DATABASE_URL must be sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST/DB, "
                f"not {self.database_url!r}"
            )
        broadcast = self.broadcast_url.split("://", 1)[0].lower()
        if "://" not in self.broadcast_url or broadcast not in BROADCAST_SCHEMES:
            raise ConfigError(
                f"LIVEBOARD_BROADCAST_URL must be memory:// or redis://HOST:PORT/DB, not {self.broadcast_url!r}"
            )
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"LIVEBOARD_LOG_FORMAT must be text or json, not {self.log_format!r}")
        if (
            isinstance(self.retention_days, bool)
            or not isinstance(self.retention_days, int)
            or not 1 <= self.retention_days <= RETENTION_MAX
        ):
            raise ConfigError(_retention_message(self.retention_days))

    @classmethod
    def from_env(cls, **overrides: str | None) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "database_url": env.get("LIVEBOARD_DATABASE_URL") or "sqlite:///liveboard.db",
            "broadcast_url": env.get("LIVEBOARD_BROADCAST_URL") or "memory://",
            "admin_password": env.get("LIVEBOARD_ADMIN_PASSWORD") or None,
            "secret_key": env.get("LIVEBOARD_SECRET_KEY") or None,
            "public_url": env.get("LIVEBOARD_PUBLIC_URL") or "",
            "metrics_token": env.get("LIVEBOARD_METRICS_TOKEN") or None,
            "log_format": (env.get("LIVEBOARD_LOG_FORMAT") or "text").lower(),
            "retention_days": _days(env.get("LIVEBOARD_RETENTION_DAYS")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _days(text: str | None) -> int:
    """`LIVEBOARD_RETENTION_DAYS` as a number of days; unset or empty is the default."""
    if text is None or not text.strip():
        return RETENTION_DAYS
    if not (text.strip().isascii() and text.strip().isdecimal()):
        raise ConfigError(_retention_message(text))
    return int(text.strip())


def _retention_message(value: object) -> str:
    return (
        f"LIVEBOARD_RETENTION_DAYS must be a whole number of days from 1 to {RETENTION_MAX} (default "
        f"{RETENTION_DAYS}): how long after an event what identifies its participants is kept; not {value!r}"
    )
