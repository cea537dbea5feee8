"""Public addresses as printed on screens and in QR codes."""

from __future__ import annotations

from starlette.requests import Request


def public_base(request: Request) -> str:
    """The configured public URL, else the address the screen itself was opened with."""
    configured = request.app.state.settings.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def short(url: str) -> str:
    """The URL as a person types it: no scheme."""
    return url.split("://", 1)[-1]
