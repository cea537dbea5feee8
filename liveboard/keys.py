"""The secret that signs cookies, and the `admin` account's password.

The secret key lives in the database when not configured, so a restart, and every other instance on the same
database, keeps everyone's cookies valid. The first instance to start writes it; the others read that one.
"""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from liveboard.db import Database
from liveboard.domain import accounts, audit
from liveboard.models import Setting

SECRET_KEY = "secret_key"


def secret_key(database: Database, configured: str | None) -> str:
    if configured:
        return configured
    with database.read() as db:
        found = db.get(Setting, SECRET_KEY)
        if found is not None:
            return found.value
    try:
        with database.write() as db:
            db.add(Setting(key=SECRET_KEY, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another instance won the race; use its key
    with database.read() as db:
        stored = db.get(Setting, SECRET_KEY)
        assert stored is not None
        return stored.value


def admin_password(configured: str | None) -> tuple[str, bool]:
    """The hosts' password, and whether it was generated now (and so must be printed once)."""
    if configured:
        return configured, False
    return secrets.token_urlsafe(12), True


def admin_account(database: Database, password: str) -> None:
    """The `admin` account exists with this password (see `accounts.ensure_admin`). Instances of a cluster that
    start together on a new database race to make it: the one that loses finds the winner's row on its second
    try, with the same configured password."""
    for attempt in (1, 2):
        try:
            with database.write() as db:
                db.info["actor"] = audit.SYSTEM
                accounts.ensure_admin(db, password)
            return
        except IntegrityError:
            if attempt == 2:
                raise
