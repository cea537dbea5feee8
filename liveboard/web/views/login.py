"""The hosts' login and logout, and the public front page. (The hosts' home, `/host`, is `home.py`.)"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liveboard import i18n
from liveboard.domain import accounts, audit, events
from liveboard.web import auth, ratelimit
from liveboard.web.requests import form, now, read, write
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
    """A host logs in as themselves; a form with only a password means `admin` (the password of old).

    Failed attempts are limited per address and per username (`ratelimit.LOGIN_*`), so guessing is slow whether
    one laptop tries many names or many laptops try one name; a venue's shared address still lets its hosts in.
    """
    fields = await form(request)
    target = safe_next(fields.get("next"))
    username = str(fields.get("username") or "").strip().lower() or accounts.ADMIN
    password = fields.get("password")
    limits = ratelimit.limiter(request)
    keys = (("login-address", ratelimit.client_key(request)), ("login-user", username))
    await limits.check(ratelimit.LOGIN_PER_ADDRESS, *keys[0])
    await limits.check(ratelimit.LOGIN_PER_USERNAME, *keys[1])
    if not isinstance(password, str) or not password:
        error = i18n.gettext("Type your password.")
        return page(request, "host/login.html", status_code=422, error=error, next=target, username=username)
    moment = now()

    account = await read(request, lambda db: accounts.check_password(db, username, password))
    token = await write(request, lambda db: accounts.log_in(db, account, password, moment)) if account else None
    if token is None:
        await limits.count(ratelimit.LOGIN_PER_ADDRESS, *keys[0])
        await limits.count(ratelimit.LOGIN_PER_USERNAME, *keys[1])
        error = i18n.gettext("That username and password do not match an account that may log in.")
        return page(request, "host/login.html", status_code=403, error=error, next=target, username=username)
    response = RedirectResponse(target, status_code=303)
    auth.log_in(request, response, token)
    return response


async def logout(request: Request) -> Response:
    """The session ends on the server: the cookie, even replayed, opens nothing any more."""
    host = await auth.current_host(request)
    if host is not None:

        def end(db: Session) -> None:
            accounts.end_session(db, host.session)
            audit.record(db, None, "account.logout", subject=f"account:{host.username}")

        await write(request, end)
    response = RedirectResponse("/", status_code=303)
    auth.log_out(response)
    return response


async def index(request: Request) -> Response:
    all_events = await read(request, events.all_events)
    return page(request, "index.html", events=all_events)


routes = [
    Route("/", index),
    Route("/host/login", login_form),
    Route("/host/login", login, methods=["POST"]),
    Route("/host/logout", logout, methods=["POST"]),
]
