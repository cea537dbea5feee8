"""The one place that knows how htmx requests differ from plain ones."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def done(request: Request, back: str, fragment: str | None = None) -> Response:
    """After a POST: the fragment for htmx, a 303 back to the page for a plain form."""
    if is_htmx(request) and fragment is not None:
        return HTMLResponse(fragment)
    return RedirectResponse(back, status_code=303)
