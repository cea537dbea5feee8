"""Reads on a pooled DBAPI connection, past SQLAlchemy's Session and Connection, for the few statements a hall
makes by the thousand: its phones reloading the page and reopening their sockets at once.

One statement costs ~40 µs on SQLite this way, against ~340 µs through a Session (its BEGIN and rollback, the
ORM's and the Connection's bookkeeping). The statements are SQLAlchemy Core, compiled once for the database's
dialect, so they are written once for SQLite and PostgreSQL; parameters are passed by name whatever the driver's
style. The database's errors come out as SQLAlchemy's, as from a Session: a database that is away is an
`OperationalError`, which the web layer answers with 503 and a socket with 1013.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


class QuickReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        #: id(statement) → (the statement, kept so its id stays its own; its SQL; its parameters' order or None)
        self._compiled: dict[int, tuple[Executable, str, tuple[str, ...] | None]] = {}

    def scalar(self, statement: Executable, **params: Any) -> Any:
        """The first column of the first row `statement` reads, or None."""
        with self.reading(consistent=False) as read:
            return read.scalar(statement, **params)

    @contextmanager
    def reading(self, *, consistent: bool = True) -> Iterator[Reading]:
        """Statements on one connection; `consistent`: all of them see one snapshot (SQLite: in one read
        transaction; PostgreSQL's READ COMMITTED gives each statement its own, as a Session does)."""
        dbapi = self.engine.dialect.loaded_dbapi
        try:
            connection = self.engine.raw_connection()
        except dbapi.Error as error:
            raise DBAPIError.instance(None, None, error, dbapi.Error, dialect=self.engine.dialect) from error
        try:
            cursor = connection.cursor()
            if consistent and self._sqlite:
                cursor.execute("BEGIN")  # the engine sets SQLite's connections to autocommit (db.py)
            yield Reading(self, cursor)
            cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back what is open

    def compiled(self, statement: Executable) -> tuple[str, tuple[str, ...] | None]:
        found = self._compiled.get(id(statement))
        if found is None:
            compiled = statement.compile(dialect=self.engine.dialect)  # type: ignore[attr-defined]
            order = tuple(compiled.positiontup) if compiled.positional else None
            found = self._compiled[id(statement)] = (statement, compiled.string, order)
        return found[1], found[2]


class Reading:
    """Statements on one connection (`QuickReads.reading`)."""

    def __init__(self, reads: QuickReads, cursor: Any) -> None:
        self._reads, self._cursor = reads, cursor

    def rows(self, statement: Executable, **params: Any) -> list[tuple[Any, ...]]:
        sql, order = self._reads.compiled(statement)
        dbapi = self._reads.engine.dialect.loaded_dbapi
        try:
            self._cursor.execute(sql, params if order is None else tuple(params[name] for name in order))
            return self._cursor.fetchall()
        except dbapi.Error as error:
            dialect = self._reads.engine.dialect
            raise DBAPIError.instance(sql, params, error, dbapi.Error, dialect=dialect) from error

    def scalar(self, statement: Executable, **params: Any) -> Any:
        found = self.rows(statement, **params)
        return found[0][0] if found else None
