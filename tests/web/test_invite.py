"""The invitation link `/host/invite/{token}` (`liveboard/web/views/accounts.py`): the invited host chooses a password
and is logged in; the link works once and for 7 days, then answers 410 in the person's language; and no password
is ever stored in clear."""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import HOST_PASSWORD, HX, LiveServer, errors
from sqlmodel import select

from liveboard.models import Account, HostSession, Invitation

PASSWORD = "correct horse battery staple"


def invite(server: LiveServer, username: str = "mette", role: str = "host", name: str = "Mette Hansen") -> str:
    """The path of a new account's invitation link, made by admin on the accounts page."""
    organiser = server.client(host=True)
    response = organiser.post("/host/accounts", data={"username": username, "name": name, "role": role})
    assert response.status_code == 201, errors(response.text)
    link = html.unescape(re.search(r'<a id="invite-link" href="([^"]+)"', response.text).group(1))  # type: ignore[union-attr]
    assert link.startswith(server.url)
    return link.removeprefix(server.url)


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def expire(server: LiveServer) -> None:
    """Every invitation made 7 days and a second ago."""
    with server.database.write() as db:
        for found in db.exec(select(Invitation)).all():
            found.created_at -= timedelta(days=7, seconds=1)
            found.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            db.add(found)


@pytest.fixture
def path(server: LiveServer) -> str:
    return invite(server)


def test_the_invitation_page_names_the_person(server: LiveServer, path: str) -> None:
    newcomer = server.client()
    page = newcomer.get(path)
    assert page.status_code == 200
    said = text(page.text)
    assert "Welcome, Mette Hansen" in said and "as mette" in said
    assert f'action="{path}"' in page.text
    assert 'name="password" type="password" autocomplete="new-password"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "lb_host" not in newcomer.cookies


def test_a_password_alone_sets_it_and_logs_the_host_in(server: LiveServer, path: str) -> None:
    newcomer = server.client()
    response = newcomer.post(path, data={"password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/host"
    assert newcomer.get("/host").status_code == 200
    assert newcomer.get("/e/demo/host").status_code == 200
    account = server.rows(Account, Account.username == "mette")[0]
    assert account.password_hash is not None and account.password_hash.startswith("$argon2id$")
    assert account.last_login_at is not None
    assert server.rows(Invitation)[0].used_at is not None
    # A host, not an organiser: the accounts page is not hers.
    assert newcomer.get("/host/accounts").status_code == 403
    # And she can log in with it from any other browser.
    other = server.client()
    assert other.post("/host/login", data={"username": "mette", "password": PASSWORD}).status_code == 303
    assert other.post("/host/login", data={"username": "mette", "password": PASSWORD + "x"}).status_code == 403


def test_the_form_asks_twice_and_both_must_match(server: LiveServer, path: str) -> None:
    newcomer = server.client()
    before = server.dump()
    response = newcomer.post(path, data={"password": PASSWORD, "again": PASSWORD + "!"})
    assert response.status_code == 422
    assert "The two passwords are not the same." in errors(response.text)
    assert re.search(r'<input id="invite-again"[^>]*aria-invalid="true"', response.text)
    assert server.dump() == before
    assert newcomer.post(path, data={"password": PASSWORD, "again": PASSWORD}).status_code == 303


def test_the_log_says_who_invited_whom_and_when_it_was_used(server: LiveServer, path: str) -> None:
    server.client().post(path, data={"password": PASSWORD})
    entries = [(e.action, e.actor, e.subject) for e in server.audit() if e.subject == "account:mette"]
    assert entries == [
        ("account.add", "admin", "account:mette"),
        ("account.join", "mette", "account:mette"),
        ("account.login", "mette", "account:mette"),
    ]
    joined = next(e for e in server.audit() if e.action == "account.join")
    assert joined.at >= next(e for e in server.audit() if e.action == "account.add").at
    page = server.client(host=True).get("/host/accounts").text
    assert re.search(r"mette Invitation used: password chosen", text(page))


# --- once, and for 7 days ----------------------------------------------------------------------------------------


def test_the_link_works_once(server: LiveServer, path: str) -> None:
    assert server.client().post(path, data={"password": PASSWORD}).status_code == 303
    before = server.dump()
    second = server.client()
    for response in (second.post(path, data={"password": "another long password"}), second.get(path)):
        assert response.status_code == 410
        assert "already been used" in text(response.text) and "Ask an organiser for a new one" in text(response.text)
        assert "lb_host" not in response.headers.get("set-cookie", "")
    assert server.dump() == before
    # The password chosen first still holds; the second one opens nothing.
    assert server.client().post("/host/login", data={"username": "mette", "password": PASSWORD}).status_code == 303
    refused = server.client().post("/host/login", data={"username": "mette", "password": "another long password"})
    assert refused.status_code == 403


def test_after_7_days_it_is_gone_to_get_and_post(server: LiveServer, path: str) -> None:
    expire(server)
    before = server.dump()
    newcomer = server.client()
    for response in (newcomer.get(path), newcomer.post(path, data={"password": PASSWORD})):
        assert response.status_code == 410
        said = text(response.text)
        assert "has expired (links work for 7 days). Ask an organiser for a new one." in said
    assert server.dump() == before
    assert server.rows(Account, Account.username == "mette")[0].password_hash is None


def test_the_410_is_in_danish_for_a_danish_browser(server: LiveServer, path: str) -> None:
    expire(server)
    dane = server.client(lang="da")
    for response in (dane.get(path), dane.post(path, data={"password": PASSWORD})):
        assert response.status_code == 410
        assert '<html lang="da"' in response.text
        said = text(response.text)
        assert "Dette invitationslink er udløbet" in said and "Bed en arrangør om et nyt." in said
        assert "Ask an organiser" not in said


def test_the_410_is_json_for_a_script(server: LiveServer, path: str) -> None:
    expire(server)
    response = server.client().post(path, data={"password": PASSWORD}, headers={"Accept": "application/json"})
    assert response.status_code == 410
    assert "Ask an organiser for a new one" in response.json()["error"]
    fragment = server.client().post(path, data={"password": PASSWORD}, headers=HX)
    assert fragment.status_code == 410 and "Ask an organiser for a new one" in errors(fragment.text)


@pytest.mark.parametrize("token", ["made-up", "x" * 43, "%20"])
def test_an_unknown_link_is_gone(server: LiveServer, token: str) -> None:
    before = server.dump()
    stranger = server.client()
    link = f"/host/invite/{token}"
    for response in (stranger.get(link), stranger.post(link, data={"password": PASSWORD})):
        assert response.status_code == 410
        assert "Ask an organiser for a new one" in text(response.text)
    assert server.dump() == before


def test_a_disabled_accounts_link_is_gone(server: LiveServer, path: str) -> None:
    assert server.client(host=True).post("/host/accounts/mette/disable").status_code == 303
    assert server.client().get(path).status_code == 410


# --- password rules --------------------------------------------------------------------------------------------

RULES = [
    (None, "Password is required."),
    ("", "Password is required."),
    ("123456789", "Password must be at least 10 characters."),
    ("my name is mette, ok", "The password must not contain your username."),
    ("IAmMETTE-2026", "The password must not contain your username."),
    ("x" * 201, "Password must be at most 200 characters"),
]


@pytest.mark.parametrize(("password", "words"), RULES, ids=["missing", "empty", "9-chars", "username", "upper", "long"])
def test_password_rules(server: LiveServer, path: str, password: str | None, words: str) -> None:
    newcomer = server.client()
    before = server.dump()
    response = newcomer.post(path, data={} if password is None else {"password": password})
    assert response.status_code == 422
    assert words in errors(response.text)
    assert re.search(r'<input id="invite-password"[^>]*aria-invalid="true"', response.text)
    if password:
        assert html.escape(password) not in response.text  # a password is never written back into the page
    assert "lb_host" not in newcomer.cookies
    assert server.dump() == before
    # The link still works for a good password.
    assert newcomer.post(path, data={"password": PASSWORD}).status_code == 303


def test_ten_characters_are_enough(server: LiveServer, path: str) -> None:
    assert server.client().post(path, data={"password": "0123456789"}).status_code == 303


def test_password_rules_in_danish(server: LiveServer, path: str) -> None:
    response = server.client(lang="da").post(path, data={"password": "kort"})
    assert response.status_code == 422
    assert '<html lang="da"' in response.text
    assert "Adgangskode skal være på mindst 10 tegn." in errors(response.text)


def test_a_cross_site_post_is_refused(server: LiveServer, path: str) -> None:
    before = server.dump()
    foreign = server.client(origin=False, headers={"Origin": "https://evil.example"})
    assert foreign.post(path, data={"password": PASSWORD}).status_code == 403
    bare = server.client(origin=False)
    assert bare.post(path, data={"password": PASSWORD}).status_code == 403
    assert server.dump() == before


def test_a_browser_logged_in_as_someone_else_is_logged_out_of_that(server: LiveServer, path: str) -> None:
    """An organiser who opens the link themselves (to check it) becomes the new host in that browser; their own
    session ends on the server rather than lingering unseen."""
    organiser = server.client(host=True)
    old = organiser.cookies["lb_host"]
    assert organiser.post(path, data={"password": PASSWORD}).status_code == 303
    assert organiser.get("/host/accounts").status_code == 403  # now mette, a host
    replay = server.client()
    replay.cookies.set("lb_host", old, domain="127.0.0.1")
    assert replay.get("/host/accounts").status_code == 303
    admin, mette = (server.rows(Account, Account.username == name)[0].id for name in ("admin", "mette"))
    # Left: the session of the organiser who made the link (in `invite`), and mette's; not the one replaced.
    assert server.count(HostSession, HostSession.account_id == admin) == 1
    assert server.count(HostSession, HostSession.account_id == mette) == 1


# --- no password in clear --------------------------------------------------------------------------------------


def encodings(secret: str) -> dict[str, bytes]:
    raw = secret.encode()
    return {
        "utf-8": raw,
        "utf-16-le": secret.encode("utf-16-le"),
        "utf-16-be": secret.encode("utf-16-be"),
        "base64": base64.b64encode(raw),
        "base64url": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "hex": raw.hex().encode(),
    }


def test_no_password_is_anywhere_in_the_database_files(server: LiveServer, path: str) -> None:
    newcomer = server.client()
    assert newcomer.post(path, data={"password": PASSWORD}).status_code == 303
    assert server.client().post("/host/login", data={"username": "mette", "password": PASSWORD}).status_code == 303
    assert server.client().post("/host/login", data={"password": HOST_PASSWORD}).status_code == 303
    token = path.rsplit("/", 1)[1]
    database = Path(server.database.url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]
    assert database.exists() and files[1].exists(), "the server runs in WAL mode: its latest writes are in -wal"
    found = {file.name: file.read_bytes() for file in files}
    assert sum(map(len, found.values())) > 100_000
    for secret in (PASSWORD, HOST_PASSWORD, token):
        for name, data in found.items():
            for encoding, needle in encodings(secret).items():
                assert needle not in data, f"{secret!r} as {encoding} in {name}"
    # What is there instead: argon2id hashes.
    assert b"$argon2id$" in b"".join(found.values())
