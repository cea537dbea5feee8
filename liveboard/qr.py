"""QR codes as inline SVG, made by segno: crisp at any size on a wall screen, no image requests."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup


@lru_cache(maxsize=512)
def svg(url: str, title: str = "") -> Markup:
    """The QR code of `url` as an <svg> element. Safe to mark: segno escapes the title, the URL is not shown."""
    import segno  # with the first code drawn, not at start

    code = segno.make(url, error="m")
    markup = code.svg_inline(scale=1, border=2, dark="#000", light="#fff", title=title or None, omitsize=True)
    return Markup(markup.replace("<svg ", '<svg class="qr" role="img" ', 1))
