"""Rules every request obeys: same-origin POSTs and WebSockets, security headers, a request body's size, and the
request's language.

`Guard` is a pure ASGI middleware for HTTP. WebSocket handshakes never reach the middleware stack (the app hands
them to `live.endpoint.Sockets`, which applies `cross_site_socket` and `language` from here).
"""

from __future__ import annotations

from contextvars import ContextVar
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liveboard import i18n

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: The largest request body any address takes (the contract's 1 MiB); forms refuse far less (`requests.form`).
#: A larger Content-Length is refused before the app runs; a body without one (chunked) is counted as it is read.
#: (With a Content-Length, uvicorn's HTTP parser never hands on more than it says.)
MAX_BODY = 1024 * 1024
LANG_COOKIE = "lb_lang"
#: The phone's large-text mode: `?text=large` / `?text=normal`, remembered like the language. Anything else is
#: ignored. Read by the templates (base.html puts a class on <html>), which render outside any request object.
TEXT_COOKIE = "lb_text"
TEXT_SIZES = ("normal", "large")
text_size: ContextVar[str] = ContextVar("text_size", default="normal")


def same_origin(headers: Headers, allowed: set[str]) -> bool:
    """True when the request comes from a page of this site: by Origin, or by the browser's Sec-Fetch-Site."""
    origin = headers.get("origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc.lower() in allowed | {headers.get("host", "").lower()}
    return headers.get("sec-fetch-site") == "same-origin"


def cross_site_socket(headers: Headers, allowed: set[str]) -> bool:
    """A WebSocket handshake from another site's page. One without Origin comes from no browser page (a script, a
    monitor): only a foreign Origin is refused."""
    return "origin" in headers and not same_origin(headers, allowed)


def language(scope: Scope, headers: Headers) -> tuple[str, str | None]:
    """The request's language, and the one to remember in a cookie when `?lang=` asked for a change."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    chosen = i18n.pick(asked)
    if chosen:
        return chosen, chosen
    remembered = i18n.pick(_cookie(headers, LANG_COOKIE))
    return remembered or i18n.DEFAULT, None


def text(scope: Scope, headers: Headers) -> tuple[str, str | None]:
    """The page's text size, and the one to remember when `?text=` asked for a known size."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("text", [None])[0]
    if asked in TEXT_SIZES:
        return asked, asked
    remembered = _cookie(headers, TEXT_COOKIE)
    return (remembered if remembered in TEXT_SIZES else "normal"), None


def _cookie(headers: Headers, name: str) -> str | None:
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:
        return None
    return cookie[name].value if name in cookie else None


class Guard:
    def __init__(self, app: ASGIApp, allowed_hosts: set[str] | None = None) -> None:
        self.app = app
        self.allowed = {h.lower() for h in (allowed_hosts or set())}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        lang, remember = language(scope, headers)
        size, remember_size = text(scope, headers)
        scope.setdefault("state", {})["lang"] = lang
        cross_site = scope["method"] in UNSAFE_METHODS and not same_origin(headers, self.allowed)
        with i18n.using(lang):
            if cross_site:
                refused = PlainTextResponse(
                    i18n.gettext("This request came from another site and was refused."), status_code=403
                )
                await refused(scope, receive, self._with_headers(scope, send, None))
                return
            token = text_size.set(size)
            try:
                send = self._with_headers(scope, send, remember, remember_size)
                if "content-length" not in headers and "transfer-encoding" in headers:
                    whole = await _read_chunked(receive)
                    if whole is None:
                        await _refuse_too_large(scope, receive, send)
                        return
                    receive = whole
                elif too_large(headers):
                    await _refuse_too_large(scope, receive, send)
                    return
                await self.app(scope, receive, send)
            finally:
                text_size.reset(token)

    @staticmethod
    def _with_headers(scope: Scope, send: Send, remember: str | None, remember_size: str | None = None) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                version = scope["state"].get("version")
                if version is not None:
                    headers.append("x-liveboard-version", str(version))
                for key, value in SECURITY_HEADERS:
                    if key.decode() not in headers:
                        headers.raw.append((key, value))
                # Read by the server only, so no script needs them: HttpOnly, like every cookie LiveBoard sets.
                for name, value in ((LANG_COOKIE, remember), (TEXT_COOKIE, remember_size)):
                    if value:
                        cookie = f"{name}={value}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
                        headers.append("set-cookie", cookie)
            await send(message)

        return wrapped


def too_large(headers: Headers) -> bool:
    """A Content-Length over `MAX_BODY`, or one that is no number at all."""
    length = headers.get("content-length")
    return length is not None and (not (length.isascii() and length.isdigit()) or int(length) > MAX_BODY)


async def _read_chunked(receive: Receive) -> Receive | None:
    """A body sent without a Content-Length (chunked), read whole and counted as it arrives, before the app runs:
    None once it passes `MAX_BODY`, else a `receive` that hands the app the body as if it had just arrived. Read
    here, not where a view reads it, so an address whose view reads no body refuses it too."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _replay(message, receive)
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            return None
        if not message.get("more_body", False):
            return _replay({"type": "http.request", "body": bytes(body), "more_body": False}, receive)


def _replay(first: Message, receive: Receive) -> Receive:
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return first
        return await receive()

    return replay


async def _refuse_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    """The 413 answered without running the app, as its error handler would have answered it."""
    from starlette.requests import Request

    from liveboard.web.errors import http_error  # it renders with the templates, which read `text_size` from here

    response = await http_error(Request(scope, receive), HTTPException(413))
    await response(scope, receive, send)
