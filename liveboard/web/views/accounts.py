"""The organisers' accounts page, and the invitation link where a new host chooses a password.

An invitation token is shown once: in the answer to the POST that made it (201 for a new account, as the contract
says), never stored in clear, never put in an address LiveBoard redirects to; pages that carry one are not cached
and send no referrer. The invitation's own pages need no host session (they are for people not logged in yet),
but their POST passes the same-origin guard like every POST.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liveboard import i18n
from liveboard.domain import accounts, audit
from liveboard.domain.accounts import Host
from liveboard.domain.errors import N_, Conflict, DomainError, Gone, Invalid
from liveboard.models import ROLES, Account
from liveboard.web import auth, htmx
from liveboard.web.errors import error_response, message, status_of
from liveboard.web.requests import form, now, read, write
from liveboard.web.templating import page, render
from liveboard.web.urls import public_base

HERE = "/host/accounts"
#: Pages that hold an invitation token: kept out of caches, and no address of theirs leaves in a Referer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
#: Entries of account activity under the list: weeks of logins and invitations at a municipality's pace.
ACTIVITY = 50


# --- the organisers' page ------------------------------------------------------------------------------------------


def overview(db: Session) -> dict[str, Any]:
    return {"listed": accounts.listing(db, now()), "activity": audit.installation(db, limit=ACTIVITY)}


async def _context(request: Request, me: Host, **extra: Any) -> dict[str, Any]:
    context = await read(request, overview)
    context.update(me=me, roles=ROLES, timezone=i18n.DEFAULT_TIMEZONE, days=accounts.INVITATION_DAYS, values={})
    context.update(idle_hours=int(accounts.IDLE_LIMIT.total_seconds() // 3600))
    context.update(extra)
    return context


async def _answer(request: Request, me: Host, status: int = 200, **extra: Any) -> Response:
    """The accounts page (its `<main>` alone for htmx), with whatever the action adds: an error, a new link."""
    name = "accounts/_main.html" if htmx.is_htmx(request) else "accounts/accounts.html"
    return page(request, name, status_code=status, **await _context(request, me, **extra))


async def accounts_page(request: Request) -> Response:
    me = await auth.require_organiser(request)
    return await _answer(request, me)


async def create(request: Request) -> Response:
    """A new account and its invitation link: 201 with the page that shows the link, once."""
    me = await auth.require_organiser(request)
    fields = await form(request)
    moment = now()
    try:
        account, token = await write(request, lambda db: accounts.create(db, fields, by=me.username, now=moment))
    except (Invalid, Conflict) as error:
        # The form comes back as it was typed, saying what is wrong, so nothing has to be typed again.
        return await _answer(request, me, status_of(error), error=message(error), field=error.field, values=fields)
    return await _invited(request, me, account, token, 201)


async def invite_again(request: Request) -> Response:
    """A fresh link for an account (a lost link, a forgotten password): shown once, like a new account's."""
    me = await auth.require_organiser(request)
    username = request.path_params["username"]
    account, token = await write(request, lambda db: accounts.invite_again(db, username, by=me.username, now=now()))
    return await _invited(request, me, account, token, 200)


async def _invited(request: Request, me: Host, account: Account, token: str, status: int) -> Response:
    link = f"{public_base(request)}/host/invite/{token}"
    response = await _answer(request, me, status, invited=account, link=link)
    response.headers.update(PRIVATE)
    return response


async def disable(request: Request) -> Response:
    """The account can no longer log in, and every browser logged in on it is logged out now."""
    me = await auth.require_organiser(request)
    username = request.path_params["username"]
    await write(request, lambda db: accounts.disable(db, username, now=now(), by=me.username))
    fragment = None
    if htmx.is_htmx(request):
        fragment = render("accounts/_main.html", request=request, **await _context(request, me))
    return htmx.done(request, f"{HERE}#accounts-list", fragment)


# --- the invitation ------------------------------------------------------------------------------------------------


async def invite_page(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        _, account = await read(request, lambda db: accounts.invitation(db, token, now()))
    except Gone as error:
        return _gone(request, error)
    return _invite_form(request, account, token)


async def accept(request: Request) -> Response:
    """The invited host's password is set, the link used up and a session begun: one transaction, then 303 to
    the hosts' home. A browser that was logged in as someone else is logged out of that on the server too."""
    token = request.path_params["token"]
    fields = await form(request)
    previous = await auth.current_host(request)
    moment = now()

    def run(db: Session) -> str:
        _, account = accounts.invitation(db, token, moment)
        password = accounts.check_new_password(fields.get("password"), account.username)
        # The form asks twice against typos; a script may send `password` alone, as the contract says.
        again = fields.get("again")
        if again is not None and again != password:
            raise Invalid(N_("The two passwords are not the same."), field="again")
        account = accounts.accept(db, token, fields, moment)
        if previous is not None:
            accounts.end_session(db, previous.session)
        return accounts.start_session(db, account, moment)

    try:
        session = await write(request, run)
    except Gone as error:
        return _gone(request, error)
    except Invalid as error:
        try:
            _, account = await read(request, lambda db: accounts.invitation(db, token, now()))
        except Gone as gone:
            return _gone(request, gone)
        return _invite_form(request, account, token, status=422, error=message(error), field=error.field)
    response = RedirectResponse("/host", status_code=303)
    auth.log_in(request, response, session)
    return response


def _invite_form(request: Request, account: Account, token: str, status: int = 200, **extra: Any) -> Response:
    response = page(
        request,
        "accounts/invite.html",
        status_code=status,
        account=account,
        token=token,
        minimum=accounts.PASSWORD_MIN,
        maximum=accounts.PASSWORD_MAX,
        **extra,
    )
    response.headers.update(PRIVATE)
    return response


def _gone(request: Request, error: DomainError) -> Response:
    """410, saying to ask an organiser for a new link: a page for a person, JSON or a fragment for a script."""
    text = message(error)
    if htmx.is_htmx(request) or "application/json" in request.headers.get("accept", ""):
        response = error_response(request, 410, text)
    else:
        response = page(request, "accounts/invite_gone.html", status_code=410, message=text)
    response.headers.update(PRIVATE)
    return response


routes = [
    Route(HERE, accounts_page),
    Route(HERE, create, methods=["POST"]),
    Route(HERE + "/{username}/disable", disable, methods=["POST"]),
    Route(HERE + "/{username}/invite", invite_again, methods=["POST"]),
    Route("/host/invite/{token}", invite_page),
    Route("/host/invite/{token}", accept, methods=["POST"]),
]
