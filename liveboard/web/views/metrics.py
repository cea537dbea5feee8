"""`GET /metrics`: the instance's figures in Prometheus' text format, for its monitoring only.

Answered to a client on this machine (loopback) that came straight to the instance, or to anyone with
`Authorization: Bearer $LIVEBOARD_METRICS_TOKEN` when that is set. Everyone else gets the same 404 as an
address that does not exist, so the figures' existence is not told either.

Behind a proxy on the same machine every request comes from loopback: a request that carries a proxy's
forwarding header (`X-Forwarded-For`, `Forwarded`, …) is therefore never taken for a local one, whatever address
it came from (uvicorn has already replaced the proxy's address by the forwarded one when it trusts the proxy).
Through the proxy, only the token opens it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liveboard import i18n
from liveboard.web.errors import error_response

#: Headers a proxy adds: their presence means the request did not come straight from this machine.
FORWARDING = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "via")
READING = ("GET", "HEAD")


def is_local(request: Request) -> bool:
    """From loopback, and not relayed by a proxy."""
    if any(name in request.headers for name in FORWARDING):
        return False
    client = request.client
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client.host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def has_token(request: Request, token: str | None) -> bool:
    """`Authorization: Bearer TOKEN`, compared in constant time (as digests, so not even the length shows)."""
    if not token:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(hashlib.sha256(given.strip().encode()).digest(), hashlib.sha256(token.encode()).digest())


def may_read(request: Request, token: str | None) -> bool:
    return is_local(request) or has_token(request, token)


async def metrics(request: Request) -> Response:
    if not may_read(request, request.app.state.settings.metrics_token):
        raise HTTPException(404)
    if request.method not in READING:
        response = error_response(request, 405, i18n.gettext("This address does not take that kind of request."))
        response.headers["Allow"] = ", ".join(READING)
        return response
    # On the event loop, where the live channels are: the clients are counted between two flushes.
    body = generate_latest(request.app.state.metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})


#: Every method reaches the view, so one that may not read gets 404 for all of them, not 405 for some.
routes = [Route("/metrics", metrics, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])]
