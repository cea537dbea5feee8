"""Rules every request obeys: same-origin POSTs and WebSockets, security headers, and the request's language.

`Guard` is a pure ASGI middleware for HTTP. WebSocket handshakes never reach the middleware stack (the app hands
them to `live.endpoint.Sockets`, which applies `cross_site_socket` and `language` from here).
"""

from __future__ import annotations

from contextvars import ContextVar
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers, MutableHeaders
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
                await self.app(scope, receive, self._with_headers(scope, send, remember, remember_size))
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
