"""`LIVEBOARD_ADMIN_PASSWORD` is the admin account's password at every start (`accounts.ensure_admin`): a new one
replaces the old, and browsers logged in with the old one are logged out."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlmodel import select

from liveboard import keys
from liveboard.db import Database
from liveboard.domain import accounts
from liveboard.models import Account, HostSession


def start(database: Database, password: str) -> None:
    with database.write() as db:
        accounts.ensure_admin(db, password)


def log_in(database: Database, password: str) -> str | None:
    with database.read() as db:
        account = accounts.check_password(db, "admin", password)
    if account is None:
        return None
    with database.write() as db:
        return accounts.log_in(db, account, password, datetime.now(UTC))


def test_a_new_admin_password_replaces_the_old_and_ends_its_sessions(database: Database) -> None:
    start(database, "the first password")
    token = log_in(database, "the first password")
    assert token is not None
    start(database, "the first password")  # a restart with the same password changes nothing
    with database.read() as db:
        assert accounts.session_host(db, token, datetime.now(UTC))[0] is not None
    start(database, "a second password")
    assert log_in(database, "the first password") is None
    with database.read() as db:
        assert accounts.session_host(db, token, datetime.now(UTC))[0] is None
        assert db.exec(select(HostSession)).all() == []
        admin = db.exec(select(Account).where(Account.username == "admin")).one()
    assert admin.role == "organiser" and admin.password_hash and admin.password_hash.startswith("$argon2id$")
    assert log_in(database, "a second password") is not None


def test_instances_starting_together_on_a_new_database_make_one_admin(pg_database: Database) -> None:
    """A cluster's instances start at once on a new PostgreSQL database: each makes sure of `admin`, and the ones
    that lose the race to insert it find the winner's row instead of failing to start."""
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def start_instance() -> None:
        barrier.wait(timeout=10)
        try:
            keys.admin_account(pg_database, "samme-adgangskode")
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=start_instance) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    with pg_database.read() as db:
        assert len(db.exec(select(Account).where(Account.username == "admin")).all()) == 1
    assert log_in(pg_database, "samme-adgangskode")
