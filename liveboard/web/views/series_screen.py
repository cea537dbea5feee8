"""The wall screen of a dialogue series' current meeting: the agenda with support, the item being discussed now
with its notes, and a QR code to the series' page. Read from five metres; live through `/s/{series}/ws`."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import i18n, qr
from liveboard.domain import series as series_domain
from liveboard.live import series as series_live
from liveboard.web.requests import now, read
from liveboard.web.templating import page
from liveboard.web.urls import public_base, short
from liveboard.web.views.screen import QR_TITLE


async def series_screen(request: Request) -> Response:
    slug = request.path_params["series"]

    def load(db: Session) -> dict[str, Any]:
        found = series_domain.by_slug(db, slug)
        return series_live.context(series_live.load(db, found.id, now()), view="screen", oob=False)  # type: ignore[arg-type]

    context = await read(request, load)
    url = f"{public_base(request)}/s/{slug}"
    return page(
        request,
        "series_screen/screen.html",
        qr=qr.svg(url, i18n.gettext(QR_TITLE)),
        url=url,
        short_url=short(url),
        **context,
    )


routes = [Route("/s/{series}/screen", series_screen)]
