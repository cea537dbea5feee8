"""The organisers' accounts page (`liveboard/web/views/accounts.py`): who may see and change it, new accounts and
their invitation links, disabling (sessions and live consoles end at once), and the account activity it shows."""

from __future__ import annotations

import html
import re
import time
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import ACCOUNT_PASSWORD, HX, LiveServer, errors
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.live import endpoint
from liveboard.models import Account, AuditEntry, HostSession

PAGE = "/host/accounts"
NEW = {"username": "ole.k", "name": "Ole Kristensen", "role": "host"}


def invite_link(page: str) -> str:
    found = re.search(r'<a id="invite-link" href="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def login(server: LiveServer, username: str, password: str) -> int:
    """The status of a login from a fresh browser: 303 when it opened a session."""
    return server.client().post("/host/login", data={"username": username, "password": password}).status_code


def row_of(page: str, username: str) -> str:
    """The text of an account's row in the list."""
    found = re.search(rf'<tr id="account-{re.escape(username)}".*?</tr>', page, re.S)
    assert found, page
    return text(found.group(0))


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def organiser(server: LiveServer) -> httpx.Client:
    """admin, an organiser, logged in with the password alone."""
    return server.client(host=True)


@pytest.fixture
def mette(server: LiveServer) -> httpx.Client:
    """A host (not an organiser), logged in as herself."""
    server.add_account("mette", "host", name="Mette Hansen")
    return server.client(account="mette")


# --- who may ---------------------------------------------------------------------------------------------------


def posts(server: LiveServer) -> dict[str, tuple[str, dict[str, str]]]:
    """Every POST of the page, each one that would succeed for an organiser."""
    return {
        "create": (PAGE, NEW),
        "disable": (f"{PAGE}/mette/disable", {}),
        "invite": (f"{PAGE}/mette/invite", {}),
    }


@pytest.mark.parametrize("name", ["create", "disable", "invite"])
def test_nobody_logged_in_is_refused_and_nothing_changes(server: LiveServer, mette: httpx.Client, name: str) -> None:
    path, data = posts(server)[name]
    before = server.dump()
    stranger = server.client()
    assert stranger.post(path, data=data).status_code == 401
    assert stranger.post(path, data=data, headers=HX).status_code == 401
    assert server.dump() == before


def test_nobody_logged_in_is_sent_to_the_login_page(server: LiveServer) -> None:
    stranger = server.client()
    response = stranger.get(PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == "/host/login?next=/host/accounts"
    assert stranger.get(PAGE, headers=HX).status_code == 401


@pytest.mark.parametrize("name", ["create", "disable", "invite"])
def test_a_host_who_is_not_an_organiser_gets_403_and_nothing_changes(
    server: LiveServer, mette: httpx.Client, name: str
) -> None:
    path, data = posts(server)[name]
    before = server.dump()
    response = mette.post(path, data=data)
    assert response.status_code == 403
    assert "Only organisers can do this" in html.unescape(response.text)
    assert mette.post(path, data=data, headers=HX).status_code == 403
    assert server.dump() == before


def test_a_host_who_is_not_an_organiser_cannot_see_the_page(server: LiveServer, mette: httpx.Client) -> None:
    before = server.dump()
    response = mette.get(PAGE)
    assert response.status_code == 403
    assert "Only organisers can do this" in html.unescape(response.text)
    assert "invite-link" not in response.text and "Mette Hansen" not in response.text
    assert server.dump() == before


@pytest.mark.parametrize("name", ["create", "disable", "invite"])
def test_a_cross_site_post_is_refused_even_for_an_organiser(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client, name: str
) -> None:
    path, data = posts(server)[name]
    before = server.dump()
    foreign = server.client(origin=False, headers={"Origin": "https://evil.example"})
    foreign.cookies.set("lb_host", organiser.cookies["lb_host"], domain="127.0.0.1")
    assert foreign.post(path, data=data).status_code == 403
    assert server.dump() == before


# --- the page --------------------------------------------------------------------------------------------------


def test_the_page_lists_every_account_with_role_status_and_browsers(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client
) -> None:
    server.client(account="mette")  # a second browser
    page = organiser.get(PAGE)
    assert page.status_code == 200
    cells = row_of(page.text, "mette")
    assert "Mette Hansen" in cells and "host" in cells and "active" in cells and "2 browsers" in cells
    admin = row_of(page.text, "admin")
    assert "organiser" in admin and "(you)" in admin and "Password set on the server" in admin
    # Neither admin nor yourself can be disabled from here; mette can.
    assert f'action="{PAGE}/mette/disable"' in page.text
    assert f'action="{PAGE}/admin/disable"' not in page.text
    assert f'action="{PAGE}/admin/invite"' not in page.text
    # The last login on Denmark's clock, as Babel writes it for the reader's language.
    last = server.rows(Account, Account.username == "mette")[0].last_login_at
    assert last.astimezone(ZoneInfo("Europe/Copenhagen")).strftime("%d/%m/%Y, %H:%M") in cells


def test_the_page_in_danish(server: LiveServer, mette: httpx.Client) -> None:
    organiser = server.client(host=True, lang="da")
    page = organiser.get(PAGE)
    assert '<html lang="da"' in page.text
    found = text(page.text)
    assert "Konti" in found and "Ny konto" in found and "vært" in found and "aktiv" in found
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d\.\d\d", found)  # 03.12.2026 19.30


def test_a_new_account_answers_201_with_its_one_time_link(server: LiveServer, organiser: httpx.Client) -> None:
    response = organiser.post(PAGE, data=NEW)
    assert response.status_code == 201, errors(response.text)
    link = invite_link(response.text)
    assert re.fullmatch(re.escape(server.url) + r"/host/invite/[A-Za-z0-9_-]{40,}", link)
    said = text(response.text)
    assert "works once, for 7 days" in said and "privately" in said and "Ole Kristensen (ole.k)" in said
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    account = server.rows(Account, Account.username == "ole.k")[0]
    assert (account.name, account.role, account.created_by, account.password_hash) == (
        "Ole Kristensen",
        "host",
        "admin",
        None,
    )
    # The token itself is nowhere in the database: only its hash.
    token = link.rsplit("/", 1)[1]
    assert token not in str(server.dump())
    entry = server.audit()[-1]
    assert (entry.action, entry.actor, entry.subject, entry.detail, entry.data) == (
        "account.add",
        "admin",
        "account:ole.k",
        "Ole Kristensen",
        {"role": "host"},
    )
    # The list on the same page already shows the new account as invited.
    row = row_of(response.text, "ole.k")
    assert "invited: the link works until" in row


def test_a_new_organiser(server: LiveServer, organiser: httpx.Client) -> None:
    response = organiser.post(PAGE, data={"username": "Sara_B", "name": "Sara B", "role": "organiser"})
    assert response.status_code == 201
    assert server.rows(Account, Account.username == "sara_b")[0].role == "organiser"


def test_htmx_gets_the_pages_main_with_the_link(server: LiveServer, organiser: httpx.Client) -> None:
    response = organiser.post(PAGE, data=NEW, headers=HX)
    assert response.status_code == 201
    assert response.text.lstrip().startswith('<main id="main"')
    assert invite_link(response.text)


BAD = [
    ("username", "", "Username is required"),
    ("username", "ab", "Username must be 3–40"),
    ("username", "x" * 41, "Username must be at most 40"),
    ("username", "ole k", "Username must be 3–40"),
    ("username", "søren", "Username must be 3–40"),
    ("username", "ole/k", "Username must be 3–40"),
    ("name", "", "Name is required"),
    ("name", "   ", "Name is required"),
    ("name", "x" * 81, "Name must be at most 80"),
    ("role", "", "Role must be one of: organiser, host"),
    ("role", "admin", "Role must be one of: organiser, host"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD, ids=[f"{f}={v[:8]!r}" for f, v, _ in BAD])
def test_bad_input_is_422_with_the_field_named_and_the_form_refilled(
    server: LiveServer, organiser: httpx.Client, field: str, value: str, words: str
) -> None:
    data = {**NEW, "name": "Typed <b>name</b>", field: value}
    before = server.dump()
    response = organiser.post(PAGE, data=data)
    assert response.status_code == 422
    assert words in errors(response.text)
    assert "invite-link" not in response.text
    if field != "name":
        assert 'value="Typed &lt;b&gt;name&lt;/b&gt;"' in response.text  # what was typed is kept, escaped
    assert re.search(rf'<(input|select) id="new-{field}"[^>]*aria-invalid="true"', response.text)
    assert server.dump() == before
    fragment = organiser.post(PAGE, data=data, headers=HX)
    assert fragment.status_code == 422 and words in errors(fragment.text)
    assert server.dump() == before


def test_a_missing_field_is_422(server: LiveServer, organiser: httpx.Client) -> None:
    before = server.dump()
    response = organiser.post(PAGE, data={"username": "ole.k", "name": "Ole"})
    assert response.status_code == 422
    assert "Role must be one of" in errors(response.text)
    assert server.dump() == before


@pytest.mark.parametrize("username", ["mette", "METTE", " mette ", "admin"])
def test_a_username_taken_is_409(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client, username: str
) -> None:
    before = server.dump()
    response = organiser.post(PAGE, data={**NEW, "username": username})
    assert response.status_code == 409
    assert f"There is already an account called {username.strip().lower()}." in errors(response.text)
    assert "invite-link" not in response.text
    assert server.dump() == before


# --- disabling -------------------------------------------------------------------------------------------------


def test_disabling_ends_the_accounts_sessions_at_once(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client
) -> None:
    assert mette.get("/e/demo/host").status_code == 200
    cookie = mette.cookies["lb_host"]
    response = organiser.post(f"{PAGE}/mette/disable")
    assert response.status_code == 303
    assert response.headers["location"] == "/host/accounts#accounts-list"
    # Her very next request is refused, in this browser and in any other holding the same cookie.
    assert mette.get("/e/demo/host").status_code == 303
    assert mette.post("/e/demo/host/announce", data={"text": "Stadig her?"}).status_code == 401
    again = server.client()
    again.cookies.set("lb_host", cookie, domain="127.0.0.1")
    assert again.get("/host").status_code == 303
    account = server.rows(Account, Account.username == "mette")[0]
    assert account.disabled_at is not None
    assert server.count(HostSession, HostSession.account_id == account.id) == 0
    # She cannot log in again, with the right password.
    assert login(server, "mette", ACCOUNT_PASSWORD) == 403
    entry = server.audit()[-1]
    assert (entry.action, entry.actor, entry.subject) == ("account.disable", "admin", "account:mette")
    row = row_of(organiser.get(PAGE).text, "mette")
    assert "disabled since" in row and "0 browsers" in row
    assert "Disable mette" not in row and "New invitation link" not in row


def test_disabling_with_htmx_answers_the_page_fragment(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client
) -> None:
    response = organiser.post(f"{PAGE}/mette/disable", headers=HX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<main id="main"')
    assert "disabled since" in text(response.text)


def test_a_disabled_hosts_open_console_socket_is_closed(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the recheck interval, shortened here: it is a constant of the endpoint, not a rule of LiveBoard's."""
    monkeypatch.setattr(endpoint, "HOST_RECHECK", 0.2)
    url = server.url.replace("http://", "ws://") + "/e/demo/ws?view=host&lang=en"
    headers = {"Cookie": f"lb_host={mette.cookies['lb_host']}"}
    with connect(url, origin=Origin(server.url), additional_headers=headers, open_timeout=5) as ws:
        server.wait_live(1)
        assert organiser.post(f"{PAGE}/mette/disable").status_code == 303
        deadline = time.monotonic() + 5
        with pytest.raises(ConnectionClosed) as closed:
            while time.monotonic() < deadline:
                ws.recv(timeout=deadline - time.monotonic())
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    # A console that stays logged in is not closed by the recheck.
    still = connect(url, origin=Origin(server.url), additional_headers=host_cookie(organiser), open_timeout=5)
    with still, pytest.raises(TimeoutError):
        while True:
            still.recv(timeout=1.0)


def host_cookie(client: httpx.Client) -> dict[str, str]:
    return {"Cookie": f"lb_host={client.cookies['lb_host']}"}


def test_admin_cannot_be_disabled(server: LiveServer, organiser: httpx.Client) -> None:
    before = server.dump()
    response = organiser.post(f"{PAGE}/admin/disable")
    assert response.status_code == 409
    assert "The admin account cannot be disabled" in html.unescape(response.text)
    assert server.dump() == before


def test_an_organiser_cannot_disable_themselves(server: LiveServer) -> None:
    server.add_account("olga", "organiser", name="Olga")
    olga = server.client(account="olga")
    before = server.dump()
    response = olga.post(f"{PAGE}/olga/disable")
    assert response.status_code == 409
    assert "You cannot disable your own account" in html.unescape(response.text)
    assert server.dump() == before
    assert olga.get(PAGE).status_code == 200
    assert 'action="/host/accounts/olga/disable"' not in olga.get(PAGE).text


@pytest.mark.parametrize("action", ["disable", "invite"])
def test_an_unknown_username_is_404(server: LiveServer, organiser: httpx.Client, action: str) -> None:
    before = server.dump()
    response = organiser.post(f"{PAGE}/nobody/{action}")
    assert response.status_code == 404
    assert "There is no account called nobody." in html.unescape(response.text)
    assert organiser.post(f"{PAGE}/nobody/{action}", headers=HX).status_code == 404
    assert server.dump() == before


# --- new invitation links --------------------------------------------------------------------------------------


def test_a_new_invitation_link_replaces_the_unused_one(server: LiveServer, organiser: httpx.Client) -> None:
    first = invite_link(organiser.post(PAGE, data=NEW).text)
    response = organiser.post(f"{PAGE}/ole.k/invite")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    second = invite_link(response.text)
    assert second != first
    newcomer = server.client()
    assert newcomer.get(first.removeprefix(server.url)).status_code == 410
    assert newcomer.get(second.removeprefix(server.url)).status_code == 200
    entry = server.audit()[-1]
    assert (entry.action, entry.actor, entry.subject) == ("account.invite", "admin", "account:ole.k")


def test_a_forgotten_password_gets_a_new_link(server: LiveServer, organiser: httpx.Client, mette: httpx.Client) -> None:
    link = invite_link(organiser.post(f"{PAGE}/mette/invite").text)
    row = row_of(organiser.get(PAGE).text, "mette")
    assert "active" in row and "a new invitation link works until" in row
    fresh = server.client()
    response = fresh.post(link.removeprefix(server.url), data={"password": "a brand new password"})
    assert response.status_code == 303
    assert (
        server.client().post("/host/login", data={"username": "mette", "password": "a brand new password"}).status_code
        == 303
    )


@pytest.mark.parametrize(("username", "words"), [("admin", "LIVEBOARD_ADMIN_PASSWORD"), ("mette", "mette is disabled")])
def test_no_new_link_for_admin_or_a_disabled_account(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client, username: str, words: str
) -> None:
    organiser.post(f"{PAGE}/mette/disable")
    before = server.dump()
    response = organiser.post(f"{PAGE}/{username}/invite")
    assert response.status_code == 409
    assert words in html.unescape(response.text)
    assert server.dump() == before


# --- the log ---------------------------------------------------------------------------------------------------


def test_the_account_activity_says_who_did_what_to_whom(
    server: LiveServer, organiser: httpx.Client, mette: httpx.Client
) -> None:
    organiser.post(PAGE, data=NEW)
    organiser.post(f"{PAGE}/mette/disable")
    page = organiser.get(PAGE).text
    activity = re.search(r'<ol id="account-activity-list".*?</ol>', page, re.S)
    assert activity
    lines = [text(li) for li in re.findall(r"<li>.*?</li>", activity.group(0), re.S)]
    assert re.search(r"admin Account disabled mette$", lines[0])
    assert re.search(r"admin Account created ole\.k Ole Kristensen host$", lines[1])
    assert any(re.search(r"mette Logged in$", line) for line in lines)
    assert 'data-action="account.add"' in activity.group(0)
    assert server.count(AuditEntry, AuditEntry.action == "account.login") >= 2
