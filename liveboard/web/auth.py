"""Who is asking: an anonymous participant (a signed random token) or a host (a session stored on the server)."""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, Signer
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from liveboard.domain import accounts, participants
from liveboard.domain import series as series_tokens
from liveboard.domain.accounts import Host
from liveboard.domain.errors import N_, Denied

PARTICIPANT_COOKIE = "lb_pid"
HOST_COOKIE = "lb_host"
#: The host cookie's lifetime in the browser. The server ends the session sooner: at logout, when the account is
#: disabled, or after `accounts.IDLE_LIMIT` without a request.
HOST_MAX_AGE = 7 * 24 * 3600
PARTICIPANT_MAX_AGE = 365 * 24 * 3600
#: Where the looked-up host is kept for the rest of the request (None: looked up, nobody).
_HOST_KEY = "host"


class HostRequired(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, N_("Host login required."))


def _participant_signer(request: HTTPConnection) -> Signer:
    return Signer(request.app.state.secret_key, salt="liveboard.participant")


def _host_signer(request: HTTPConnection) -> Signer:
    return Signer(request.app.state.secret_key, salt="liveboard.host-session")


def participant_token(request: Request) -> str | None:
    raw = request.cookies.get(PARTICIPANT_COOKIE)
    if not raw:
        return None
    try:
        return _participant_signer(request).unsign(raw).decode()
    except BadSignature:
        return None


def ensure_participant_token(request: Request) -> tuple[str, bool]:
    """This browser's token, and whether it is new (and so must be set as a cookie on the response)."""
    token = participant_token(request)
    if token:
        return token, False
    token = request.scope.setdefault("state", {}).get("new_token") or participants.new_token()
    request.scope["state"]["new_token"] = token
    return token, True


def set_participant_cookie(request: Request, response: Response, token: str) -> None:
    signed = _participant_signer(request).sign(token.encode()).decode()
    response.set_cookie(
        PARTICIPANT_COOKIE, signed, max_age=PARTICIPANT_MAX_AGE, httponly=True, samesite="lax", secure=_secure(request)
    )


# --- hosts ---------------------------------------------------------------------------------------------------------


def _host_token(connection: HTTPConnection) -> str | None:
    """The session token in the host cookie. Signed, so a forged or mangled cookie costs no database read."""
    raw = connection.cookies.get(HOST_COOKIE)
    if not raw:
        return None
    try:
        return _host_signer(connection).unsign(raw).decode()
    except BadSignature:
        return None


async def current_host(connection: HTTPConnection) -> Host | None:
    """The host logged in on this browser, looked up on the server once per request; None when nobody is (or the
    session ended: logged out, account disabled, idle too long)."""
    state = connection.scope.setdefault("state", {})
    if _HOST_KEY in state:
        return state[_HOST_KEY]
    token = _host_token(connection)
    host = None
    if token:
        database, now = connection.app.state.db, datetime.now(UTC)

        def look() -> Host | None:
            with database.read() as db:
                found, touch = accounts.session_host(db, token, now)
            if found is not None and touch:
                with database.write() as db:
                    accounts.seen(db, found.session, now)
            return found

        host = await database.off_loop(look)
    state[_HOST_KEY] = host
    return host


async def is_host(connection: HTTPConnection) -> bool:
    return await current_host(connection) is not None


async def require_host(request: HTTPConnection) -> Host:
    host = await current_host(request)
    if host is None:
        raise HostRequired()
    return host


async def require_organiser(request: HTTPConnection) -> Host:
    """A host with the organiser role: events, copies and accounts are theirs (403 for other hosts)."""
    host = await require_host(request)
    if not host.organiser:
        raise Denied(N_("Only organisers can do this. Ask an organiser."))
    return host


def actor(request: HTTPConnection) -> str | None:
    """The username behind this request's writes, for the audit log: set once `current_host` has run."""
    host = request.scope.get("state", {}).get(_HOST_KEY)
    return host.username if host is not None else None


def log_in(request: Request, response: Response, token: str) -> None:
    signed = _host_signer(request).sign(token.encode()).decode()
    response.set_cookie(
        HOST_COOKIE, signed, max_age=HOST_MAX_AGE, httponly=True, samesite="lax", secure=_secure(request)
    )


def log_out(response: Response) -> None:
    response.delete_cookie(HOST_COOKIE, httponly=True, samesite="lax")


def _secure(request: HTTPConnection) -> bool:
    return request.url.scheme == "https"


# --- dialogue-series members ---------------------------------------------------------------------------------------
#
# A series' participant is known by a random token of its own in `lb_mid`, a cookie scoped to the series' path
# (Path=/s/{series}): each series sees a different token, so nothing links what one person did across series.

MEMBER_COOKIE = "lb_mid"


def _member_signer(request: Request) -> Signer:
    return Signer(request.app.state.secret_key, salt="liveboard.member")


def member_token(request: Request) -> str | None:
    raw = request.cookies.get(MEMBER_COOKIE)
    if not raw:
        return None
    try:
        return _member_signer(request).unsign(raw).decode()
    except BadSignature:
        return None


def ensure_member_token(request: Request) -> tuple[str, bool]:
    """This browser's token for the series it is on, and whether it is new (and so must be set as a cookie)."""
    token = member_token(request)
    if token:
        return token, False
    token = request.scope.setdefault("state", {}).get("new_member_token") or series_tokens.new_token()
    request.scope["state"]["new_member_token"] = token
    return token, True


def set_member_cookie(request: Request, response: Response, token: str, series_slug: str) -> None:
    signed = _member_signer(request).sign(token.encode()).decode()
    response.set_cookie(
        MEMBER_COOKIE,
        signed,
        max_age=PARTICIPANT_MAX_AGE,
        path=f"/s/{series_slug}",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
