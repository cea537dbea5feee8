"""`liveboard backup FILE`: a consistent copy of the SQLite database while the evening goes on.

Copying the file with `cp` while the server writes can catch a transaction half in the database file and half in
its WAL. SQLite's online backup API copies every page inside one read transaction instead: the copy is the
database as one commit left it, and the server's writes go on meanwhile (in WAL mode a reader blocks no writer).
It runs in one step: done in steps, a backup starts again from scratch whenever another connection writes between
two of them, which on a busy evening could be forever; one step of a LiveBoard database (megabytes) takes
milliseconds.

The copy is written next to FILE under a temporary name, checked (`PRAGMA integrity_check`), made a plain file
that needs no `-wal` beside it, synced to disk, and only then renamed to FILE: FILE is either the old copy or the
new one, never half of one. PostgreSQL has its own tools for this (docs/deploy.md, "Backups").
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: How long the backup waits for a lock before it gives up (SQLite's busy timeout), in milliseconds: a checkpoint
#: or a write batch holds one for milliseconds.
BUSY_TIMEOUT = 30_000


class BackupRefused(Exception):
    """Nothing was copied, for a reason the person can fix: said as it is, the command exits with status 2."""


class BackupFailed(Exception):
    """The copy went wrong on the way (disk full, an unreadable database): FILE is as it was; exit status 1."""


@dataclass(frozen=True)
class Copied:
    source: Path
    target: Path
    size: int


def source_of(url: str) -> Path:
    """The SQLite file a database URL names; refused for anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BackupRefused(f"LIVEBOARD_DATABASE_URL is not a database URL: {url!r}") from None
    if parsed.get_backend_name() != "sqlite":
        raise BackupRefused(
            f"liveboard backup copies a SQLite database; this one is {parsed.get_backend_name()}. Back up PostgreSQL "
            "with pg_dump (custom format): docs/deploy.md, section Backups, says how and how often."
        )
    if parsed.database in (None, "", ":memory:"):
        raise BackupRefused("LIVEBOARD_DATABASE_URL names an in-memory SQLite database: there is no file to copy.")
    source = Path(parsed.database)
    if not source.is_file():
        raise BackupRefused(f"there is no database at {source} (LIVEBOARD_DATABASE_URL={url})")
    return source


def check_target(source: Path, target: Path, *, force: bool) -> None:
    if target.is_dir():
        raise BackupRefused(f"{target} is a directory; give the backup's file name, e.g. {target / 'liveboard.db'}")
    if not target.parent.is_dir():
        raise BackupRefused(f"the directory {target.parent} does not exist; make it first")
    if target.exists():
        if target.resolve() == source.resolve():
            raise BackupRefused(f"{target} is the database itself; give another file")
        if not force:
            raise BackupRefused(f"{target} exists; use --force to replace it, or give another file")


def backup(url: str, target: Path, *, force: bool = False) -> Copied:
    """Copy the database LIVEBOARD_DATABASE_URL names to `target`, consistently, while it is in use."""
    source = source_of(url)
    check_target(source, target, force=force)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        _copy(source, Path(temporary))
        _sync(temporary)
        os.replace(temporary, target)
        _sync(target.parent)
    except (sqlite3.Error, OSError) as error:
        raise BackupFailed(f"backup of {source} failed, {target} is as it was: {error}") from None
    finally:
        for leftover in (temporary, f"{temporary}-journal", f"{temporary}-wal", f"{temporary}-shm"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return Copied(source, target, target.stat().st_size)


def _copy(source: Path, temporary: Path) -> None:
    # mode=rw: a database that vanished is an error, never a new empty file.
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT / 1000)
    try:
        copy = sqlite3.connect(temporary)
        try:
            reader.backup(copy)  # all pages in one step: one read transaction, one commit's state
            problems = copy.execute("PRAGMA integrity_check").fetchall()
            if problems != [("ok",)]:
                raise BackupFailed(f"the copy of {source} does not pass SQLite's integrity check: {problems[:5]}")
            # The source's WAL mode came with its pages; a backup is one plain file, restored by copying it back.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        reader.close()


def _sync(path: str | Path) -> None:
    """fsync a file or a directory: the copy, and then its new name, are on disk before the command says so."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
