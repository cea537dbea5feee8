"""The hosts' login, logout, and the list of events and dialogue series a host can open."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liveboard import i18n
from liveboard.domain import events
from liveboard.domain import series as series_domain
from liveboard.keys import password_matches
from liveboard.web import auth, ratelimit
from liveboard.web.requests import form, read
from liveboard.web.templating import page


def safe_next(value: object) -> str:
    """Only a path on this site: a login link must not send the host elsewhere."""
    text = str(value or "")
    parts = urlsplit(text)
    if not text.startswith("/") or text.startswith("//") or parts.scheme or parts.netloc or "\\" in text:
        return "/host"
    return text


async def login_form(request: Request) -> Response:
    return page(request, "host/login.html", next=safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    ratelimit.limiter(request).hit(ratelimit.LOGIN, "login", ratelimit.client_key(request))
    fields = await form(request)
    target = safe_next(fields.get("next"))
    password = fields.get("password")
    if not isinstance(password, str) or not password:
        error = i18n.gettext("Type the hosts' password.")
        return page(request, "host/login.html", status_code=422, error=error, next=target)
    if not password_matches(password, request.app.state.admin_password):
        error = i18n.gettext("That password is not right.")
        return page(request, "host/login.html", status_code=403, error=error, next=target)
    response = RedirectResponse(target, status_code=303)
    auth.log_in(request, response)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    auth.log_out(response)
    return response


async def host_index(request: Request) -> Response:
    if not auth.is_host(request):
        return RedirectResponse("/host/login?next=/host", status_code=303)
    all_events = await read(request, events.all_events)
    all_series = await read(request, series_domain.all_series)
    return page(request, "host/home.html", events=all_events, series_list=all_series)


async def index(request: Request) -> Response:
    all_events = await read(request, events.all_events)
    return page(request, "index.html", events=all_events)


routes = [
    Route("/", index),
    Route("/host", host_index),
    Route("/host/login", login_form),
    Route("/host/login", login, methods=["POST"]),
    Route("/host/logout", logout, methods=["POST"]),
]
