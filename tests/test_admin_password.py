"""`LIVEBOARD_ADMIN_PASSWORD` is the admin account's password at every start (`accounts.ensure_admin`): a new one
replaces the old, and browsers logged in with the old one are logged out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from liveboard.db import Database
from liveboard.domain import accounts
from liveboard.models import Account, HostSession


def start(database: Database, password: str) -> None:
    with database.write() as db:
        accounts.ensure_admin(db, password)


def log_in(database: Database, password: str) -> str | None:
    with database.write() as db:
        account = accounts.check_password(db, "admin", password)
        return accounts.start_session(db, account, datetime.now(UTC)) if account else None


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
