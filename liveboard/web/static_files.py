"""Static files that a reload does not ask for again.

Pages name each file with its content's digest (`/static/css/app.css?v=3f1c…`, `url`), and such an address is
served as immutable for a year: when 1,500 phones reload at once, their browsers take the style sheet and the
scripts from their own cache instead of asking five times each. A new release changes the digest, so the address,
so nobody keeps an old file. An address without `v` (a bookmark, an old page) is asked again every time
(`no-cache`: the ETag answers it with a 304).
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from liveboard import ROOT

DIRECTORY = ROOT / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def digest(path: str) -> str:
    """The first hex digits of the file's SHA-256, read once per process (a release restarts it). A file that is
    not there yet (vendored scripts before `liveboard assets`) gets none: its address is then asked every time."""
    try:
        return hashlib.sha256((DIRECTORY / path).read_bytes()).hexdigest()[:12]
    except OSError:
        return ""


def url(path: str) -> str:
    """The address of a static file, with its digest: `url("css/app.css")`."""
    version = digest(path)
    return f"/static/{path}?v={version}" if version else f"/static/{path}"


class Static(StaticFiles):
    def file_response(
        self, full_path: os.PathLike[str] | str, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [])
        # Immutable only under the digest of what is served: an old page asking for an old version gets today's
        # file, and its browser must not keep that under the old address.
        current = digest(Path(full_path).resolve().relative_to(DIRECTORY.resolve()).as_posix())
        response.headers["Cache-Control"] = IMMUTABLE if current and asked == [current] else "no-cache"
        return response
