"""How `liveboard serve` logs: uvicorn's plain text (the default), or one JSON object per line (`--log-format json`)
for a log collector.

In JSON, every line has `time` (UTC, ISO 8601), `level`, `logger`, `instance` (host:port, so lines of several
instances can be told apart) and `message`, plus the fields its record carries (`extra={"fields": {...}}`):
a request line (`liveboard.access`, only with `--access-log`) says method, route template, status and duration;
a host action (`liveboard.audit`, always) says who, what and which ids. What could identify someone or open
something never goes in: no query strings, cookies, headers, form bodies or passwords, and the route's template
instead of the path (a note-taker's link carries its key in the path).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    def __init__(self, instance: str = "") -> None:
        super().__init__()
        self.instance = instance

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "instance": self.instance,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def config(log_format: str, *, instance: str, access_log: bool) -> dict[str, Any] | None:
    """The `logging.config.dictConfig` for `serve` (uvicorn applies it too), or None for uvicorn's own text.

    JSON: everything on standard output, in order; uvicorn's access log is off, since its lines carry the raw path
    with its query string and the client's address: `liveboard.access` writes the request lines instead."""
    if log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "instance": instance}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        # Anything else that warns (a library) is a JSON line too, not a line of text in between.
        "root": {"handlers": ["json"], "level": "WARNING"},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "liveboard": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "liveboard.access": {"level": "INFO" if access_log else "WARNING"},
        },
    }
