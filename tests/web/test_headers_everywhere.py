"""The security headers on every answer the app gives, and the flags on every cookie it sets.

One walk over the contract's addresses (pages, htmx fragments, exports, JSON, calendars, static files, /healthz,
redirects, and the errors 401/403/404/405/409/410/413/422/429) as a stranger, a participant and a host. Each
answer must carry a Content-Security-Policy whose scripts come from this site only (no `unsafe-inline`, no
`unsafe-eval`) and that forbids framing (`frame-ancestors`), `X-Content-Type-Options: nosniff` and a referrer
policy; every `Set-Cookie` must be HttpOnly and SameSite.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from conftest import HX, LiveServer
from starlette.routing import Route

from liveboard.models import Series
from liveboard.web.security import MAX_BODY

#: Referrer policies that never send a path to another site.
PRIVATE_REFERRERS = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


@dataclass
class Ask:
    method: str
    path: str
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    #: None: any answer (it depends on who asks); else the statuses this request must get.
    status: tuple[int, ...] | None = None


def problems(response: httpx.Response) -> list[str]:
    """What is missing from one answer's headers, as readable lines (empty when nothing is)."""
    found: list[str] = []
    headers = response.headers
    policy = headers.get("content-security-policy")
    if policy is None:
        found.append("no Content-Security-Policy")
    else:
        directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
        scripts = directives.get("script-src", directives.get("default-src"))
        if scripts is None or "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts:
            found.append(f"scripts not limited to this site: {scripts}")
        if directives.get("frame-ancestors") not in (["'none'"], ["'self'"]):
            found.append(f"frame-ancestors: {directives.get('frame-ancestors')}")
        if directives.get("object-src") != ["'none'"]:
            found.append("object-src is not 'none'")
    if headers.get("x-content-type-options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    if headers.get("referrer-policy") not in PRIVATE_REFERRERS:
        found.append(f"referrer policy: {headers.get('referrer-policy')}")
    for cookie in headers.get_list("set-cookie"):
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        if "httponly" not in flags:
            found.append(f"cookie without HttpOnly: {cookie}")
        if flags.get("samesite", "").lower() not in ("samesite=lax", "samesite=strict"):
            found.append(f"cookie without SameSite: {cookie}")
    return found


def addresses(server: LiveServer) -> Iterator[Ask]:
    """Every kind of address of the contract, on the demo; the ids are the demo's."""
    slot, room, pitch = server.slot(1, "Lokale 1"), server.room("Lokale 1"), server.pitch("unge")
    series = server.rows(Series, Series.slug == "seniorer")[0]
    s = f"/s/{series.slug}"
    pages = [
        "/", "/?lang=da", "/?lang=en", "/host/login", "/host", "/host/events", "/host/events/demo/copy",
        "/host/accounts", "/host/invite/no-such-token", "/api/events/demo", "/api/series/seniorer", "/healthz",
        "/e/demo", "/e/demo?text=large", "/e/demo?text=normal&lang=da", "/e/demo/me", f"/e/demo/sessions/{slot.id}",
        f"/e/demo/rooms/{room.id}", "/e/demo/print/doors", "/e/demo/print/programme", "/e/demo/event.ics",
        f"{s}/meetings.ics", "/e/demo/screen", f"/e/demo/screen?room={room.id}", "/e/demo/host",
        "/e/demo/host/log.csv", "/e/demo/host/notes", f"/e/demo/sessions/{slot.id}/take?key=wrong",
        f"/e/demo/host/sessions/{slot.id}/note-key", "/e/demo/host/schedule/proposals/999999",
        "/e/demo/host/schedule/proposals/999999.json", "/e/demo/report", "/e/demo/report.csv",
        "/e/demo/report.csv?excel=1", "/e/demo/report.md", "/e/demo/report.json", "/s", "/s/log.md", "/s/log.csv",
        "/s/log.json", s, f"{s}?text=large", f"{s}/log", f"{s}/log.md", f"{s}/log.csv", f"{s}/log.json",
        f"{s}/screen", f"{s}/host", "/static/js/app.js", "/static/css/app.css", "/static/favicon.svg",
        "/static/no-such-file.js", "/no-such-page", "/e/no-such-event", "/s/no-such-series", "/e/demo/sessions/0",
    ]  # fmt: skip
    for path in pages:
        yield Ask("GET", path)
        yield Ask("GET", path, headers=HX)
    yield Ask("HEAD", "/e/demo")
    yield Ask("HEAD", "/static/js/app.js")
    # The participant's actions, plain and htmx (303 and fragments), and their refusals.
    for headers in ({}, HX):
        yield Ask("POST", "/e/demo/pitches", {"title": "Hovedtøj", "story": "x"}, headers)
        yield Ask("POST", f"/e/demo/pitches/{pitch.id}/interest", {}, headers)
        yield Ask("POST", f"/e/demo/sessions/{slot.id}/join", {}, headers)
        yield Ask("POST", f"/e/demo/sessions/{slot.id}/notes", {"kind": "idea", "text": "En idé"}, headers)
        yield Ask("POST", f"/e/demo/sessions/{slot.id}/leave", {}, headers)
        yield Ask("POST", f"{s}/items", {"title": "Et punkt", "channel": "digital"}, headers)
        yield Ask("POST", "/e/demo/pitches", {"title": ""}, headers, status=(422,))
        yield Ask("POST", "/e/demo/host/announce", {"text": "x"}, headers)  # 401 / 303 by role
        yield Ask("POST", "/e/demo/host/sessions", {"pitch_id": str(pitch.id), "room_id": str(room.id),
                  "round_id": str(server.round(1).id)}, headers)  # fmt: skip
    yield Ask("POST", "/e/demo/pitches", {"title": "x"}, {"Origin": "https://evil.example"}, status=(403,))
    yield Ask("GET", "/e/demo/pitches", status=(405,))
    yield Ask("PUT", "/e/demo", content=b"x", status=(405,))
    yield Ask("DELETE", "/static/js/app.js", status=(405,))
    yield Ask("POST", "/e/demo/pitches", content=b"title=" + b"x" * MAX_BODY, status=(413,))
    yield Ask("POST", "/e/demo/pitches", content=b"title=" + b"x" * 70_000, status=(413,))
    yield Ask("POST", "/host/invite/no-such-token", {"password": "a long enough password"})
    for _ in range(12):
        yield Ask("POST", "/host/login", {"username": "nobody", "password": "wrong"}, status=(303, 401, 403, 429))
    yield Ask("POST", "/host/login", {"username": "nobody", "password": "wrong"}, status=(429,))
    yield Ask("POST", "/host/logout", {})


@pytest.mark.parametrize("who", ["stranger", "participant", "host"])
def test_every_answer_carries_the_security_headers_and_every_cookie_its_flags(server: LiveServer, who: str) -> None:
    browser = server.client(host=who == "host", lang=None)
    if who != "stranger":
        browser.get("/e/demo")
        browser.get("/s/seniorer")
    seen: dict[int, int] = {}
    found: list[str] = []
    for ask in addresses(server):
        kwargs = {"data": ask.data} if ask.data is not None else {"content": ask.content}
        if ask.content is not None:
            ask.headers = {"Content-Type": "application/x-www-form-urlencoded", **ask.headers}
        response = browser.request(ask.method, ask.path, headers=ask.headers, **kwargs)  # type: ignore[arg-type]
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        where = f"{ask.method} {ask.path} {ask.headers} → {response.status_code}"
        if response.status_code >= 500 or (ask.status and response.status_code not in ask.status):
            found.append(f"{where}: unexpected status")
        found += [f"{where}: {problem}" for problem in problems(response)]
    assert not found, "\n".join(found)
    # The walk met every kind of answer it means to check.
    expected = {200, 303, 403, 404, 405, 413, 422, 429} | ({401} if who != "host" else set())
    assert expected <= set(seen), seen


def test_a_server_error_carries_the_headers_too(server: LiveServer) -> None:
    """An exception no handler knows becomes Starlette's 500 page, made outside the app's middleware: it carries
    the headers as well (a route that fails is added to the running app for this)."""

    async def fails(_request: object) -> None:
        raise RuntimeError("a bug")

    server.app.router.routes.append(Route("/boom", fails))
    response = server.client().get("/boom")
    assert response.status_code == 500
    assert problems(response) == []
    assert "Something went wrong on our side." in response.text and "a bug" not in response.text
