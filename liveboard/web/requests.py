"""Helpers every view uses: database work off the event loop, form fields, the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request

from liveboard.db import Database
from liveboard.web.auth import actor
from liveboard.writer import Together

T = TypeVar("T")
MAX_FORM_BYTES = 64 * 1024
#: A form's fields at most; a form of ticked boxes may have more (a city-wide evening has 240 cells to tick).
MAX_FIELDS = 50
MAX_LISTED_FIELDS = 300


def database(request: Request) -> Database:
    return request.app.state.db


async def read(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` in a read session on a worker thread: the event loop keeps serving WebSockets meanwhile."""
    db = database(request)

    def run() -> T:
        with db.read() as session:
            return work(session)

    return await db.off_loop(run)


async def write(request: Request, work: Callable[[Session], T], *, clean: bool = False) -> T:
    """Run `work` in a write transaction; the answer comes once it is committed, and an error it raises rolls
    back what it wrote.

    Writes go to the process's one writer thread, which commits those waiting together, in the order they came
    (`liveboard.writer`). The audit log of what it does names the host the request was checked for
    (`auth.require_host`). `clean`: `work` refuses only before it writes (`Writer.run`)."""
    result, versions = await database(request).writer.run(work, actor(request), clean=clean)
    _answered(request, versions)
    return result


async def write_together(request: Request, work: Together, item: Any) -> Any:
    """`write` for a write done together with the others of its kind waiting at the same moment, as a round
    start's joins are (`Writer.together`): `work(session, items)`."""
    result, versions = await database(request).writer.together(work, item, actor(request))
    _answered(request, versions)
    return result


def _answered(request: Request, versions: list[int]) -> None:
    if versions:
        # Scripts and benchmarks match this to the live frame that carries the change.
        request.scope.setdefault("state", {})["version"] = max(versions)


async def form(request: Request, lists: tuple[str, ...] = ()) -> dict[str, object]:
    """The posted fields. A body too large to be a human's form is refused before it is parsed. Fields named in
    `lists` may repeat (ticked boxes) and come as lists; any other field is its last value."""
    length = request.headers.get("content-length")
    if length is not None and (not (length.isascii() and length.isdigit()) or int(length) > MAX_FORM_BYTES):
        raise HTTPException(413)
    # The body itself, not only what Content-Length claims: a chunked body has none (at most 1 MiB, `security`).
    if len(await request.body()) > MAX_FORM_BYTES:
        raise HTTPException(413)
    try:
        data = await request.form(
            max_files=0, max_fields=MAX_LISTED_FIELDS if lists else MAX_FIELDS, max_part_size=MAX_FORM_BYTES
        )
    except HTTPException as error:
        # Starlette's own 400s say in English what it could not parse: too many fields is a form too large; a
        # broken multipart body gets `errors.http_error`'s 400, in the person's language.
        raise HTTPException(413 if "Too many" in str(error.detail) else 400) from None
    fields: dict[str, object] = {key: value for key, value in data.items() if isinstance(value, str)}
    for key in lists:
        fields[key] = [value for value in data.getlist(key) if isinstance(value, str)]
    return fields


def now() -> datetime:
    return datetime.now(UTC)
