"""Who is asking: an anonymous participant (a signed random token) or a host (a signed, expiring session)."""

from __future__ import annotations

from itsdangerous import BadSignature, Signer, TimestampSigner
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from liveboard.domain import participants
from liveboard.domain import series as series_tokens
from liveboard.domain.errors import N_

PARTICIPANT_COOKIE = "lb_pid"
HOST_COOKIE = "lb_host"
HOST_MAX_AGE = 24 * 3600
PARTICIPANT_MAX_AGE = 365 * 24 * 3600


class HostRequired(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, N_("Host login required."))


def _signers(request: Request) -> tuple[Signer, TimestampSigner]:
    key = request.app.state.secret_key
    return Signer(key, salt="liveboard.participant"), TimestampSigner(key, salt="liveboard.host")


def participant_token(request: Request) -> str | None:
    raw = request.cookies.get(PARTICIPANT_COOKIE)
    if not raw:
        return None
    try:
        return _signers(request)[0].unsign(raw).decode()
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
    signed = _signers(request)[0].sign(token.encode()).decode()
    response.set_cookie(
        PARTICIPANT_COOKIE, signed, max_age=PARTICIPANT_MAX_AGE, httponly=True, samesite="lax", secure=_secure(request)
    )


def is_host(request: Request) -> bool:
    raw = request.cookies.get(HOST_COOKIE)
    if not raw:
        return False
    try:
        _signers(request)[1].unsign(raw, max_age=HOST_MAX_AGE)
    except BadSignature:
        return False
    return True


def require_host(request: Request) -> None:
    if not is_host(request):
        raise HostRequired()


def log_in(request: Request, response: Response) -> None:
    signed = _signers(request)[1].sign(b"host").decode()
    response.set_cookie(
        HOST_COOKIE, signed, max_age=HOST_MAX_AGE, httponly=True, samesite="lax", secure=_secure(request)
    )


def log_out(response: Response) -> None:
    response.delete_cookie(HOST_COOKIE, httponly=True, samesite="lax")


def _secure(request: Request) -> bool:
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
