"""Hosts' accounts: who they are, their passwords, their logged-in browsers, and their invitations.

Passwords are hashed with argon2id (argon2-cffi: slow, salted, memory-hard); nothing here ever stores
or logs a password, and a hash from older parameters is replaced at the next login. Session and invitation
tokens are random (`secrets`), handed to the browser once, and stored only as their SHA-256: a copy of the
database opens nothing. A session ends when its host logs out, when the account is disabled, or after
`IDLE_LIMIT` without a request; a replayed cookie of an ended session matches no row.

`admin` always exists, as an organiser, with `LIVEBOARD_ADMIN_PASSWORD` (or the one printed at start) as its
password: `ensure_admin` sets its hash at every start.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from liveboard.domain import audit, validate
from liveboard.domain.errors import N_, Conflict, Gone, Invalid, NotFound
from liveboard.models import ROLES, Account, HostSession, Invitation

ADMIN = "admin"
USERNAME = re.compile(r"[a-z0-9._-]{3,40}")
PASSWORD_MIN = 10
#: A password longer than this is refused before hashing: argon2 would take it, but nobody types it.
PASSWORD_MAX = 200
#: How long an invitation link works.
INVITATION_DAYS = 7
#: A host who has not made a request for this long is logged out: long enough for an evening with breaks
#: and a console left open, short enough that a laptop forgotten in the hall is not a way in the next day.
IDLE_LIMIT = timedelta(hours=12)
#: `last_seen_at` is written at most this often, so a busy host's clicks do not each cost a write.
SEEN_EVERY = timedelta(minutes=1)

#: argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 55 ms per login on this 2-core
#: machine, slow for a guesser with a stolen database, and light enough that a login during the evening does not
#: take the CPU from a round start (argon2-cffi's default, 64 MiB × 3 passes on 4 lanes, took 210 ms).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@dataclass(frozen=True)
class Host:
    """The account behind a request, as the web layer needs it: no hash, no token."""

    id: int
    username: str
    name: str
    role: str
    #: The SHA-256 of the session's token: what logging out deletes.
    session: str

    @property
    def organiser(self) -> bool:
        return self.role == "organiser"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


#: Pairs of (stored hash, password) this process has already seen verify, as HMACs under a key that lives and dies
#: with the process: the same admin password checked at every start of an app, or the same host logging in again,
#: does not pay argon2 twice, and nothing here can be turned back into a password. A wrong password is never
#: remembered, so guessing costs the full hash every time.
_VERIFIED: OrderedDict[bytes, None] = OrderedDict()
_VERIFIED_KEY = secrets.token_bytes(32)
_VERIFIED_SIZE = 256


def _verify(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    seen = hmac.new(_VERIFIED_KEY, f"{stored}\0{password}".encode(), hashlib.sha256).digest()
    if seen in _VERIFIED:
        _VERIFIED.move_to_end(seen)
        return True
    try:
        ok = _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    _VERIFIED[seen] = None
    if len(_VERIFIED) > _VERIFIED_SIZE:
        _VERIFIED.popitem(last=False)
    return ok


#: A hash to verify against when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


# --- accounts ------------------------------------------------------------------------------------------------------


def by_username(db: Session, username: object) -> Account:
    found = db.exec(select(Account).where(Account.username == str(username or "").strip().lower())).first()
    if found is None:
        raise NotFound(N_("There is no account called {username}."), username=str(username or ""))
    return found


def all_accounts(db: Session) -> list[Account]:
    return list(db.exec(select(Account).order_by(col(Account.disabled_at).is_not(None), Account.username)))


def active_sessions(db: Session) -> dict[int, int]:
    """How many logged-in browsers each account has."""
    rows = db.exec(select(HostSession.account_id, func.count()).group_by(HostSession.account_id))
    return dict(rows.all())


@dataclass(frozen=True)
class Listed:
    """One account as organisers see it in the list: never its hash, never a token."""

    account: Account
    #: `active` (it can log in), `invited` (waiting for its link to be used), `expired` (the link ran out before a
    #: password was chosen) or `disabled`.
    status: str
    #: Until when its newest unused invitation link works; None when it has none that still works.
    invited_until: datetime | None
    #: Browsers logged in on it now: sessions not yet idle past `IDLE_LIMIT` (idle ones are only swept at logins).
    sessions: int


def listing(db: Session, now: datetime) -> list[Listed]:
    """Every account with its status, open invitation and logged-in browsers, in `all_accounts` order."""
    sessions = dict(
        db.exec(
            select(HostSession.account_id, func.count())
            .where(col(HostSession.last_seen_at) > now - IDLE_LIMIT)
            .group_by(HostSession.account_id)
        ).all()
    )
    open_links = dict(
        db.exec(
            select(Invitation.account_id, func.max(Invitation.expires_at))
            .where(col(Invitation.used_at).is_(None))
            .group_by(Invitation.account_id)
        ).all()
    )
    listed = []
    for account in all_accounts(db):
        until = open_links.get(account.id)
        if until is not None and until.tzinfo is None:  # SQLite's max() hands back a naive value
            until = until.replace(tzinfo=UTC)
        until = until if until is not None and until > now else None
        if account.disabled_at is not None:
            status, until = "disabled", None
        elif account.password_hash is not None:
            status = "active"
        else:
            status = "invited" if until is not None else "expired"
        listed.append(Listed(account, status, until, sessions.get(account.id, 0)))
    return listed


def _username(value: object) -> str:
    username = validate.text(value, "username", min_len=1, max_len=40).lower()
    if not USERNAME.fullmatch(username):
        raise Invalid(N_("{field} must be 3–40 of a–z, 0–9, dot, _ and -."), field="username")
    return username


def create(db: Session, fields: dict[str, object], *, by: str, now: datetime) -> tuple[Account, str]:
    """A new account without a password, and its invitation token (to hand over once, as a link)."""
    username = _username(fields.get("username"))
    name = validate.text(fields.get("name"), "name", min_len=1, max_len=80)
    role = validate.choice(fields.get("role"), "role", ROLES)
    # admin is taken even before its first start has made it (`liveboard accounts add` on a fresh database).
    if username == ADMIN or db.exec(select(Account).where(Account.username == username)).first() is not None:
        raise Conflict(N_("There is already an account called {username}."), field="username", username=username)
    account = Account(username=username, name=name, role=role, created_by=by)
    try:
        with db.begin_nested():  # two organisers choosing the same name at once: one wins, the other is told
            db.add(account)
    except IntegrityError:
        raise Conflict(
            N_("There is already an account called {username}."), field="username", username=username
        ) from None
    token = _invite(db, account, by=by, now=now)
    audit.record(db, None, "account.add", subject=f"account:{username}", detail=name, data={"role": role})
    return account, token


def invite_again(db: Session, username: object, *, by: str, now: datetime) -> tuple[Account, str]:
    """A fresh invitation link for an account (a lost link, a forgotten password); earlier unused links stop
    working. The current password keeps working until the link is used: a link that goes astray locks nobody out,
    and a lost phone is what `disable` is for."""
    account = by_username(db, username)
    if account.username == ADMIN:
        raise Conflict(N_("The admin account's password is set on the server (LIVEBOARD_ADMIN_PASSWORD)."))
    if account.disabled_at is not None:
        raise Conflict(N_("{username} is disabled."), username=account.username)
    db.exec(delete(Invitation).where(Invitation.account_id == account.id, col(Invitation.used_at).is_(None)))  # type: ignore[call-overload]
    token = _invite(db, account, by=by, now=now)
    audit.record(db, None, "account.invite", subject=f"account:{account.username}")
    return account, token


def _invite(db: Session, account: Account, *, by: str, now: datetime) -> str:
    db.flush()
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=INVITATION_DAYS)
    db.add(
        Invitation(token_hash=digest(token), account_id=account.id, created_at=now, expires_at=expires, created_by=by)
    )  # type: ignore[arg-type]
    return token


def disable(db: Session, username: object, *, now: datetime, by: str | None = None) -> Account:
    """The account can no longer log in, and every browser it is logged in on is logged out now. `by`, the
    organiser asking, cannot disable themselves: an installation must not lose its last organiser by a slip."""
    account = by_username(db, username)
    if account.username == ADMIN:
        raise Conflict(N_("The admin account cannot be disabled; change LIVEBOARD_ADMIN_PASSWORD instead."))
    if by is not None and account.username == by:
        raise Conflict(N_("You cannot disable your own account. Ask another organiser to do it."))
    if account.disabled_at is None:
        account.disabled_at = now
        db.add(account)
        audit.record(db, None, "account.disable", subject=f"account:{account.username}")
    db.exec(delete(HostSession).where(HostSession.account_id == account.id))  # type: ignore[call-overload]
    db.exec(delete(Invitation).where(Invitation.account_id == account.id, col(Invitation.used_at).is_(None)))  # type: ignore[call-overload]
    return account


def ensure_admin(db: Session, password: str) -> Account:
    """`admin` exists, is an organiser, and has `password`: the configured one is the truth at every start."""
    account = db.exec(select(Account).where(Account.username == ADMIN)).first()
    if account is None:
        account = Account(username=ADMIN, name="Admin", role="organiser")
    elif _verify(account.password_hash, password) and account.role == "organiser" and account.disabled_at is None:
        return account
    else:
        # A new password on the server: browsers logged in with the old one are logged out.
        db.exec(delete(HostSession).where(HostSession.account_id == account.id))  # type: ignore[call-overload]
    account.password_hash = hash_password(password)
    account.role, account.disabled_at = "organiser", None
    db.add(account)
    return account


# --- invitations ---------------------------------------------------------------------------------------------------


def invitation(db: Session, token: str, now: datetime) -> tuple[Invitation, Account]:
    """The invitation behind a link, while it can still be used; a used, expired or unknown one is gone (410)."""
    found = db.get(Invitation, digest(token)) if token else None
    account = db.get(Account, found.account_id) if found is not None else None
    if found is None or account is None or found.used_at is not None or account.disabled_at is not None:
        raise Gone(
            N_("This invitation link has already been used or is no longer valid. Ask an organiser for a new one.")
        )
    if found.expires_at <= now:
        raise Gone(
            N_("This invitation link has expired (links work for {days} days). Ask an organiser for a new one."),
            days=INVITATION_DAYS,
        )
    return found, account


def check_new_password(password: object, username: str) -> str:
    """The password a host chose, if it may be one: long enough to resist guessing, short enough to be typed,
    and not their username (the first thing a guesser tries)."""
    if not isinstance(password, str) or not password:
        raise Invalid(N_("{field} is required."), field="password")
    if len(password) < PASSWORD_MIN:
        raise Invalid(N_("{field} must be at least {min} characters."), field="password", min=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        raise Invalid(
            N_("{field} must be at most {max} characters (it has {length})."),
            field="password",
            max=PASSWORD_MAX,
            length=len(password),
        )
    if username in password.lower():
        raise Invalid(N_("The password must not contain your username."), field="password")
    return password


def accept(db: Session, token: str, fields: dict[str, object], now: datetime) -> Account:
    """The invited host's password is set and the link used up, in one transaction."""
    found, account = invitation(db, token, now)
    password = check_new_password(fields.get("password"), account.username)
    # Claimed by a conditional update: of two tabs submitting the same link at once, only one sets a password.
    claimed = db.exec(  # type: ignore[call-overload]
        Invitation.__table__.update()  # type: ignore[attr-defined]
        .where(Invitation.token_hash == found.token_hash, col(Invitation.used_at).is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise Gone(
            N_("This invitation link has already been used or is no longer valid. Ask an organiser for a new one.")
        )
    account.password_hash = hash_password(password)
    db.add(account)
    audit.record(db, None, "account.join", subject=f"account:{account.username}", actor=account.username)
    return account


# --- logging in and out --------------------------------------------------------------------------------------------


def check_password(db: Session, username: str, password: str) -> Account | None:
    """The account these credentials open, or None; a disabled account opens nothing. Runs the hash either way.

    It only reads: the hash (tens of milliseconds, on purpose) runs outside the write that logs the host in
    (`log_in`), which would otherwise hold up every other write of the process meanwhile."""
    account = db.exec(select(Account).where(Account.username == username.strip().lower())).first()
    if account is None or account.password_hash is None:
        _verify(_DUMMY, password)
        return None
    if not _verify(account.password_hash, password) or account.disabled_at is not None:
        return None
    return account


def log_in(db: Session, checked: Account, password: str, now: datetime) -> str | None:
    """A session for an account `check_password` opened, unless it changed since (disabled, or a new password):
    then None, as for a wrong password."""
    account = db.get(Account, checked.id)
    if account is None or account.disabled_at is not None or account.password_hash != checked.password_hash:
        return None
    if _hasher.check_needs_rehash(account.password_hash):  # type: ignore[arg-type]
        account.password_hash = hash_password(password)
    return start_session(db, account, now)


def start_session(db: Session, account: Account, now: datetime) -> str:
    """A new logged-in browser for `account`; the token goes into its cookie and nowhere else."""
    token = secrets.token_urlsafe(32)
    db.add(HostSession(token_hash=digest(token), account_id=account.id, created_at=now, last_seen_at=now))  # type: ignore[arg-type]
    account.last_login_at = now
    db.add(account)
    # Sessions that went idle are swept here, at a moment when hosts are around anyway.
    db.exec(delete(HostSession).where(col(HostSession.last_seen_at) < now - IDLE_LIMIT))  # type: ignore[call-overload]
    audit.record(db, None, "account.login", subject=f"account:{account.username}", actor=account.username)
    return token


def session_host(db: Session, token: str, now: datetime) -> tuple[Host | None, bool]:
    """The host whose browser holds `token`, and whether its `last_seen_at` should be written now. None when the
    session ended (logged out, disabled, idle), never existed, or its account is disabled."""
    return session_host_by_hash(db, digest(token), now)


def session_host_by_hash(db: Session, hashed: str, now: datetime) -> tuple[Host | None, bool]:
    row = db.exec(
        select(HostSession, Account)
        .join(Account, col(Account.id) == HostSession.account_id)
        .where(HostSession.token_hash == hashed)
    ).first()
    if row is None:
        return None, False
    session, account = row
    seen = session.last_seen_at
    if account.disabled_at is not None or seen <= now - IDLE_LIMIT:
        return None, False
    host = Host(account.id, account.username, account.name, account.role, hashed)  # type: ignore[arg-type]
    return host, now - seen >= SEEN_EVERY


def seen(db: Session, session: str, now: datetime) -> None:
    db.exec(  # type: ignore[call-overload]
        HostSession.__table__.update().where(HostSession.token_hash == session).values(last_seen_at=now)  # type: ignore[attr-defined]
    )


def end_session(db: Session, session: str) -> None:
    db.exec(delete(HostSession).where(HostSession.token_hash == session))  # type: ignore[call-overload]
