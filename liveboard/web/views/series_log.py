"""The public log of the dialogue series: what became of what people raised, per series and across them.

`/s/{series}/log` shows one series, `/s` all of them; both can be narrowed by status and by service with a
plain GET form (`?status=…&service=…`; a value the log does not know is ignored, so an old link never fails).
The exports (`/s/{series}/log.md|.csv|.json`, across all series `/s/log.md|.csv|.json`, `.csv?excel=1` for Danish
Excel) take the same filters; they are built in `liveboard.series_exports`. The page sets no cookie: reading the
log does not make anyone a member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import series_exports
from liveboard.domain import series as series_domain
from liveboard.series_exports import STATUSES, SeriesLog
from liveboard.web.requests import read
from liveboard.web.templating import ENV, page

ENV.filters.setdefault("day", series_exports.day)


def filters(request: Request, logs: list[SeriesLog]) -> tuple[str | None, str | None]:
    """The status and service asked for, each None when not asked or not known."""
    status = request.query_params.get("status") or None
    service = request.query_params.get("service") or None
    services = {name for log in logs for name in log.services}
    return (status if status in STATUSES else None, service if service in services else None)


def query(status: str | None, service: str | None, **more: str) -> str:
    """The query string that keeps the current filters (for the export links), "" when there are none."""
    pairs = {k: v for k, v in (("status", status), ("service", service)) if v} | more
    return "?" + urlencode(pairs) if pairs else ""


def _context(request: Request, logs: list[SeriesLog], *, across: bool) -> dict[str, object]:
    status, service = filters(request, logs)
    shown = [(log, log.filtered(status, service)) for log in logs]
    return {
        "logs": logs,
        "shown": shown,
        "across": across,
        "series": None if across else logs[0].series,
        "status": status,
        "service": service,
        "statuses": STATUSES,
        "services": sorted({name for log in logs for name in log.services}, key=str.casefold),
        "counts": series_exports.total_counts(logs),
        "median": series_exports.median_days(logs),
        "matching": sum(len(rows) for _, rows in shown),
        "total": sum(len(log.rows) for log in logs),
        "base": "/s/log" if across else f"/s/{logs[0].series.slug}/log",
        "page_path": "/s" if across else f"/s/{logs[0].series.slug}/log",
        "query": query(status, service),
        "excel_query": query(status, service, excel="1"),
        "with_status": lambda value: query(value, service),
    }


async def series_log(request: Request) -> Response:
    slug = request.path_params["series"]
    logs = await read(request, lambda db: [series_exports.load(db, series_domain.by_slug(db, slug))])
    return page(request, "series_log/log.html", **_context(request, logs, across=False))


async def all_logs(request: Request) -> Response:
    logs = await read(request, series_exports.load_all)
    return page(request, "series_log/log.html", **_context(request, logs, across=True))


def _export(suffix: str, *, across: bool) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        if across:
            logs = await read(request, series_exports.load_all)
            name = "series-log"
        else:
            slug = request.path_params["series"]
            logs = await read(request, lambda db: [series_exports.load(db, series_domain.by_slug(db, slug))])
            name = f"{slug}-log"
        status, service = filters(request, logs)
        excel = suffix == "csv" and request.query_params.get("excel") == "1"
        body = series_exports.export(logs, suffix, across=across, status=status, service=service, excel=excel)
        disposition = "attachment" if suffix == "csv" else "inline"
        headers = {"content-disposition": f'{disposition}; filename="{name}.{suffix}"'}
        return Response(body, media_type=series_exports.MEDIA_TYPES[suffix], headers=headers)

    return handler


routes = [
    Route("/s", all_logs),
    # Before `/s/{series}`: "log.md" can never be a slug (no dots), so these shadow no series.
    *[Route(f"/s/log.{suffix}", _export(suffix, across=True)) for suffix in ("md", "csv", "json")],
    Route("/s/{series}/log", series_log),
    *[Route(f"/s/{{series}}/log.{suffix}", _export(suffix, across=False)) for suffix in ("md", "csv", "json")],
]
