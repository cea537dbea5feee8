"""The public log of the dialogue series, as a read model and as documents to take away.

The log is what became of every friction point raised (merged duplicates left out, their support counts on the
item they were merged into): its status now, its latest answer and the time from raised to closed. The page
(`web.views.series_log`) and the exports here are all made from `SeriesLog`s, so they say the same: Markdown for a
council paper, CSV for a spreadsheet (plain RFC 4180, or `excel=True` for Danish Excel, as the harvest's), JSON
with each item's whole history.

Paths: `/s/{series}/log` (page) and `/s/{series}/log.md|.csv|.json`; across all series `/s` (page) and
`/s/log.md|.csv|.json`. A series slug holds only letters, digits, - and _ (`validate.slug`), so `log.md` can never
be a slug, and the pages `/s` and `/s/{series}/log` clash with none: no slug needs reserving.

Like the harvest's exports, nothing here depends on the moment it runs, only on the log and the current language.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from liveboard import i18n
from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.domain.items import CHANNEL_LABELS, STATUS_LABELS, Entry
from liveboard.exports import BOM, EXCEL_DELIMITER, neutralise
from liveboard.models import ITEM_CLOSED, ITEM_OPEN, Meeting, Series, Step

#: Every status an item can have, in the order a reader follows them: open ones first, then the closing ones.
STATUSES = ("new", "looking", "forwarded", "reopened", "explained", "changed", "solved", "unsolvable")
assert set(STATUSES) == set(ITEM_OPEN) | set(ITEM_CLOSED)

CSV_COLUMNS = [
    "series",
    "id",
    "title",
    "service",
    "channel",
    "organisation",
    "status",
    "support",
    "raised_at",
    "closed_at",
    "days_to_close",
    "forwarded_to",
    "answer",
    "answer_author",
    "answer_at",
]


def aware(moment: datetime | None) -> datetime | None:
    """A time in UTC; a naive one (as some drivers hand them back) is read as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def days_between(start: datetime, end: datetime) -> int:
    """Whole days from `start` to `end`, rounded (an item closed the same afternoon took 0 days)."""
    seconds = (aware(end) - aware(start)).total_seconds()  # type: ignore[operator]
    return max(0, round(seconds / 86400))


@dataclass(frozen=True)
class Row:
    """One friction point in the log."""

    series: Series
    entry: Entry

    @property
    def item(self) -> Any:
        return self.entry.item

    @property
    def status(self) -> str:
        return self.entry.item.status

    @property
    def support(self) -> int:
        return self.entry.support

    @property
    def answer(self) -> Step | None:
        return self.entry.answer

    @property
    def history(self) -> list[Step]:
        return self.entry.history

    @property
    def closed(self) -> bool:
        return self.status in ITEM_CLOSED and self.item.closed_at is not None

    @property
    def days_to_close(self) -> int | None:
        """Days from raised to closed (its latest closing step); None while it is open."""
        if not self.closed:
            return None
        return days_between(self.item.created_at, self.item.closed_at)


@dataclass(frozen=True)
class SeriesLog:
    series: Series
    meetings: list[Meeting]
    #: Every item, newest first (as `items.log` orders them).
    rows: list[Row]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def median_days(self) -> float | None:
        """The median time from raised to closed of the items closed now; None when none is."""
        days = [row.days_to_close for row in self.rows if row.days_to_close is not None]
        return statistics.median(days) if days else None

    @property
    def services(self) -> list[str]:
        return sorted({row.item.service for row in self.rows if row.item.service}, key=str.casefold)

    @property
    def closed(self) -> int:
        return sum(self.counts.get(status, 0) for status in ITEM_CLOSED)

    def filtered(self, status: str | None = None, service: str | None = None) -> list[Row]:
        return [
            row
            for row in self.rows
            if (status is None or row.status == status) and (service is None or row.item.service == service)
        ]


def load(db: Session, series: Series) -> SeriesLog:
    rows = [Row(series, entry) for entry in items.log(db, series)]
    found = Counter(row.status for row in rows)
    return SeriesLog(series, series_domain.meetings(db, series), rows, {status: found[status] for status in STATUSES})


def load_all(db: Session) -> list[SeriesLog]:
    return [load(db, one) for one in series_domain.all_series(db)]


def total_counts(logs: Iterable[SeriesLog]) -> dict[str, int]:
    return {status: sum(log.counts.get(status, 0) for log in logs) for status in STATUSES}


def median_days(logs: Iterable[SeriesLog]) -> float | None:
    days = [row.days_to_close for log in logs for row in log.rows if row.days_to_close is not None]
    return statistics.median(days) if days else None


def day(moment: datetime | None, timezone: str = "Europe/Copenhagen") -> str:
    """A date as a reader says it ("11. dec. 2025"), in the series' time zone."""
    return i18n.date(aware(moment), timezone)


def status_label(status: str) -> str:
    return i18n.gettext(STATUS_LABELS.get(status, status))


def channel_label(channel: str) -> str:
    return i18n.gettext(CHANNEL_LABELS.get(channel, channel))


def number(value: float | None) -> str:
    return "" if value is None else i18n.number(value)


# --- Markdown --------------------------------------------------------------------------------------------------


def markdown(
    logs: list[SeriesLog], status: str | None = None, service: str | None = None, *, across: bool = False
) -> str:
    from liveboard.web.templating import render

    text = render(
        "series_log/_log.md",
        logs=logs,
        across=across,
        status=status,
        service=service,
        statuses=STATUSES,
        totals=total_counts(logs),
        median=median_days(logs),
        label=status_label,
        channel_label=channel_label,
        day=day,
        number=number,
    )
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1]):
            lines.append(line.rstrip())
    return "\n".join(lines).rstrip() + "\n"


# --- CSV -------------------------------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    found = aware(moment)
    return None if found is None else found.isoformat()


def csv_rows(logs: list[SeriesLog], status: str | None = None, service: str | None = None) -> list[list[str]]:
    rows = []
    for log in logs:
        for row in log.filtered(status, service):
            item, answer = row.item, row.answer
            rows.append(
                [
                    log.series.slug,
                    str(item.id),
                    item.title,
                    item.service,
                    item.channel,
                    item.organisation,
                    row.status,
                    str(row.support),
                    iso(item.created_at) or "",
                    iso(item.closed_at) if row.closed else "",
                    "" if row.days_to_close is None else str(row.days_to_close),
                    answer.forwarded_to if answer else "",
                    answer.text if answer else "",
                    answer.author if answer else "",
                    iso(answer.at) if answer else "",
                ]
            )
    return rows


def csv_text(
    logs: list[SeriesLog], status: str | None = None, service: str | None = None, *, excel: bool = False
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=EXCEL_DELIMITER if excel else ",")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(logs, status, service):
        writer.writerow([neutralise(cell) for cell in row])
    return (BOM if excel else "") + out.getvalue()


# --- JSON ------------------------------------------------------------------------------------------------------


def series_document(log: SeriesLog, status: str | None = None, service: str | None = None) -> dict[str, Any]:
    one = log.series
    return {
        "slug": one.slug,
        "title": one.title,
        "audience": one.audience,
        "language": one.language,
        "timezone": one.timezone,
        "counts": log.counts,
        "median_days_to_close": log.median_days,
        "meetings": [
            {"id": m.id, "starts": iso(m.starts), "place": m.place, "held_at": iso(m.held_at)} for m in log.meetings
        ],
        "items": [
            {
                "id": row.item.id,
                "title": row.item.title,
                "story": row.item.story,
                "service": row.item.service,
                "channel": row.item.channel,
                "organisation": row.item.organisation,
                "status": row.status,
                "support": row.support,
                "raised_at": iso(row.item.created_at),
                "closed_at": iso(row.item.closed_at) if row.closed else None,
                "days_to_close": row.days_to_close,
                "history": [
                    {
                        "status": step.status,
                        "text": step.text,
                        "forwarded_to": step.forwarded_to,
                        "author": step.author,
                        "at": iso(step.at),
                    }
                    for step in row.history
                ],
            }
            for row in log.filtered(status, service)
        ],
    }


def json_text(logs: list[SeriesLog], status: str | None = None, service: str | None = None, *, across: bool) -> str:
    """One series' log as its object; across all series, `{"series": [...], "counts", "median_days_to_close"}`."""
    if across:
        document: dict[str, Any] = {
            "counts": total_counts(logs),
            "median_days_to_close": median_days(logs),
            "series": [series_document(log, status, service) for log in logs],
        }
    else:
        document = series_document(logs[0], status, service)
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}


def export(
    logs: list[SeriesLog],
    suffix: str,
    *,
    across: bool,
    status: str | None = None,
    service: str | None = None,
    excel: bool = False,
) -> str:
    """The log in the format `suffix` ("md", "csv", "json"), in the current language."""
    if suffix == "md":
        return markdown(logs, status, service, across=across)
    if suffix == "csv":
        return csv_text(logs, status, service, excel=excel)
    return json_text(logs, status, service, across=across)
