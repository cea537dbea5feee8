"""The migrations build exactly the schema the models describe, and run down and up again, on both engines; and
each engine is set up the way the app relies on."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from servers import PostgresServer, database_name
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from liveboard import ROOT, migrate
from liveboard.db import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables yet, on each engine."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/m.db")
        yield database
        database.dispose()
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = postgres.create_database(database_name())
    database = Database(postgres.url(name))
    try:
        yield database
    finally:
        database.dispose()
        postgres.drop_database(name)


def head() -> str:
    script = ScriptDirectory.from_config(migrate.config(None))  # type: ignore[arg-type]
    revision = script.get_current_head()
    assert revision is not None
    return revision


def current(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrations_match_the_models(empty: Database) -> None:
    migrate.upgrade(empty.engine)
    with empty.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrations_go_down_and_up_again(empty: Database) -> None:
    migrate.upgrade(empty.engine)
    before = inspect(empty.engine).get_table_names()
    migrate.upgrade(empty.engine)  # a second start changes nothing
    assert inspect(empty.engine).get_table_names() == before
    assert current(empty) == head()
    migrate.downgrade(empty.engine, "base")
    assert set(inspect(empty.engine).get_table_names()) <= {"alembic_version"}
    assert current(empty) is None
    migrate.upgrade(empty.engine)
    assert "presence" in inspect(empty.engine).get_table_names()
    assert current(empty) == head()
    with empty.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_the_heads_read_from_the_files_are_alembics() -> None:
    script = ScriptDirectory.from_config(migrate.config(None))  # type: ignore[arg-type]
    assert migrate.heads() == frozenset(script.get_heads())


def test_a_database_at_the_head_is_told_without_alembic(empty: Database) -> None:
    assert migrate.current(empty.engine) == frozenset() and migrate.pending(empty.engine)
    migrate.upgrade(empty.engine, "0003")
    assert migrate.current(empty.engine) == {"0003"} and migrate.pending(empty.engine)
    migrate.upgrade(empty.engine)
    assert migrate.current(empty.engine) == migrate.heads() == {current(empty)}
    assert not migrate.pending(empty.engine)


#: What a server never needs at start: Alembic (with Mako and Pygments) on a migrated database, and the libraries of
#: pages and tools few evenings use (the solver's numpy and HiGHS, calendars, QR codes): ~35 MB held all evening.
NOT_AT_START = ("alembic", "mako", "pygments", "numpy", "highspy", "icalendar", "segno")


def test_a_server_starting_on_a_migrated_database_imports_none_of_the_heavy_optional_libraries(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    database = Database(url)
    migrate.upgrade(database.engine)
    database.dispose()
    start = (
        "import sys\n"
        "from liveboard import migrate\n"
        "from liveboard.app import create_app\n"
        "from liveboard.cli import cmd_serve\n"
        "from liveboard.config import Settings\n"
        "from liveboard.db import Database\n"
        "settings = Settings.from_env()\n"
        "database = Database(settings.database_url)\n"
        "migrate.upgrade(database.engine)\n"
        "create_app(settings, database)\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & set(sys.argv[1:])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", start, *NOT_AT_START],
        env={**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_two_instances_starting_at_once_migrate_once(postgres: PostgresServer) -> None:
    """Two servers starting together on a fresh PostgreSQL database: one migrates while the other waits on the
    advisory lock, then finds the work done. Without the lock both would create the same tables at once, and one
    would fail (or, in one process, hang: Alembic's context is process-wide)."""
    name = postgres.create_database(database_name())
    databases = [Database(postgres.url(name)) for _ in range(2)]
    barrier = threading.Barrier(len(databases))
    failures: list[BaseException] = []

    def start(database: Database) -> None:
        try:
            barrier.wait(timeout=10)
            migrate.upgrade(database.engine)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=start, args=(database,), daemon=True) for database in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads), "the two upgrades are stuck"
        assert failures == []
        assert current(databases[0]) == head()
        with databases[0].engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        for database in databases:
            database.dispose()
        postgres.drop_database(name)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/m.db")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def test_postgres_connections_give_up_after_five_seconds(pg_database: Database) -> None:
    """Not minutes of TCP retries: while PostgreSQL is down, a request fails fast and the page says so."""
    with pg_database.engine.connect() as connection:
        parameters = connection.connection.driver_connection.info.get_parameters()  # type: ignore[union-attr]
    assert parameters["connect_timeout"] == "5"
    assert pg_database.engine.pool._pre_ping  # type: ignore[attr-defined]


def test_every_migration_keeps_the_rows_there_are(empty: Database) -> None:
    """A migration of a database in use loses nothing. On SQLite, one that rebuilds a table (batch mode) would,
    with foreign keys on, cascade the old table's drop into every presence and note of the sessions."""
    from liveboard import demo

    migrate.upgrade(empty.engine)
    assert demo.load_demo(empty)

    def rows() -> dict[str, int]:
        with empty.engine.connect() as connection:
            tables = ("event", "room", "round", "pitch", "session", "presence", "interest", "note", "participant")
            found = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
            found["note.session_id"] = connection.execute(
                text("SELECT count(*) FROM note WHERE session_id IS NOT NULL")
            ).scalar_one()
            return found

    before = rows()
    assert before["presence"] and before["note.session_id"]
    script = ScriptDirectory.from_config(migrate.config(None))  # type: ignore[arg-type]
    for revision in script.walk_revisions():  # newest first: down one step at a time, then all the way up
        if revision.down_revision is None:
            break
        migrate.downgrade(empty.engine, revision.down_revision)  # type: ignore[arg-type]
        assert rows() == before, f"down to {revision.down_revision}"
    migrate.upgrade(empty.engine)
    assert rows() == before
    with empty.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # set back for the pool
