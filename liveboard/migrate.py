"""Schema migrations, applied by the server at start and by the CLI before it touches the database.

Alembic is imported only when there is something to migrate: with Mako and Pygments it is about 10 MB of a server's
memory for good, and a database at the current revision (every start but the first after an upgrade) is told by
one `SELECT` and the revisions named in the migration files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Alembic's table of the revisions a database is at (one row per head).
VERSION_TABLE = "alembic_version"


@cache
def heads() -> frozenset[str]:
    """The newest revisions of the migration files: those no other file revises. Read from the files' own
    `revision` and `down_revision` assignments, as Alembic reads them, without importing them."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        names = _assignments(path, ("revision", "down_revision"))
        if "revision" not in names:
            continue
        revisions.add(names["revision"])
        down = names.get("down_revision")
        revised.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - revised)


def _assignments(path: Path, wanted: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in wanted and value is not None:
            found[target.id] = ast.literal_eval(value)
    return found


def current(engine: Engine) -> frozenset[str]:
    """The revisions the database is at (empty for a new one)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return frozenset()
        return frozenset(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def pending(engine: Engine) -> bool:
    """Whether `upgrade` has anything to do."""
    return current(engine) != heads()


def config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for a migration run.

    On SQLite, foreign keys are off meanwhile: a batch migration copies a table and drops the old one, and
    with foreign keys on, that drop would cascade, deleting every presence and unlinking every note of the
    sessions. They are checked before the commit instead. (The pragma is a no-op inside a transaction, so it
    is set on the raw connection before the transaction begins, and set back before the pool has it again.)
    On PostgreSQL several instances may start at once: one migrates, the others wait for it.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw: Any = connection.connection.dbapi_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration would break foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and not pending(engine):
        return
    from alembic import command

    cfg = config(engine)
    with _migrating(engine) as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database (for developers)."""
    from alembic import command

    cfg = config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = config(engine)
    with _migrating(engine) as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)
