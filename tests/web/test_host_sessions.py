"""Host sessions as the accounts make them (`liveboard/web/auth.py`, `liveboard/web/views/login.py`): a cookie
replayed after logout opens nothing, and guessing passwords is slowed per username and per address, in the
person's language, without counting the logins that succeed."""

from __future__ import annotations

import html

import httpx
import pytest
from conftest import ACCOUNT_PASSWORD, HOST_PASSWORD, LiveServer

from liveboard.models import HostSession


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/host/login", data={"username": username, "password": password})


# --- logout ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "mette"])
def test_a_cookie_replayed_after_logout_is_refused(server: LiveServer, who: str) -> None:
    if who == "mette":
        server.add_account("mette", "organiser")
        browser = server.client(account="mette")
    else:
        browser = server.client(host=True)
    saved = browser.cookies["lb_host"]
    assert browser.get("/host/accounts").status_code == 200
    assert browser.post("/host/logout").status_code == 303
    replay = server.client()
    replay.cookies.set("lb_host", saved, domain="127.0.0.1")
    before = server.dump()
    assert replay.get("/host").status_code == 303
    assert replay.get("/host/accounts").status_code == 303
    assert replay.get("/e/demo/host", headers={"HX-Request": "true"}).status_code == 401
    assert replay.post("/e/demo/host/announce", data={"text": "Jeg er tilbage"}).status_code == 401
    assert replay.post("/host/accounts", data={"username": "ole", "name": "Ole", "role": "host"}).status_code == 401
    assert server.dump() == before


def test_logging_out_ends_only_that_browser(server: LiveServer) -> None:
    server.add_account("mette", "host")
    laptop, phone = server.client(account="mette"), server.client(account="mette")
    assert server.count(HostSession) == 2
    laptop.post("/host/logout")
    assert laptop.get("/e/demo/host").status_code == 303
    assert phone.get("/e/demo/host").status_code == 200
    assert server.count(HostSession) == 1


# --- login limits ----------------------------------------------------------------------------------------------


def test_ten_failures_for_one_username_then_429_even_with_the_right_password(server: LiveServer) -> None:
    server.add_account("mette", "host")
    browser = server.client()
    for _ in range(10):
        assert login(browser, "mette", "a wrong guess").status_code == 403
    before = server.dump()
    response = login(browser, "mette", ACCOUNT_PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts. Wait a minute and try again." in html.unescape(response.text)
    assert "lb_host" not in response.headers.get("set-cookie", "")
    assert server.dump() == before
    # The limit is the username's: another account is not held back by it.
    server.add_account("ole", "host")
    assert login(server.client(), "ole", ACCOUNT_PASSWORD).status_code == 303


def test_the_429_is_in_the_persons_language(server: LiveServer) -> None:
    server.add_account("mette", "host")
    dane = server.client(lang="da")
    for _ in range(10):
        login(dane, "mette", "forkert gæt")
    response = login(dane, "mette", ACCOUNT_PASSWORD)
    assert response.status_code == 429
    assert '<html lang="da"' in response.text
    assert "For mange forsøg. Vent et minut, og prøv igen." in html.unescape(response.text)


def test_failures_spread_over_usernames_from_one_address_stop_after_30(server: LiveServer) -> None:
    browser = server.client()
    for i in range(30):
        # Three tries per name: no username reaches its own limit of 10.
        assert login(browser, f"guess{i // 3}", "a wrong guess").status_code == 403, i
    before = server.dump()
    response = login(browser, "admin", HOST_PASSWORD)
    assert response.status_code == 429
    assert server.dump() == before


def test_logins_that_succeed_are_not_counted(server: LiveServer) -> None:
    server.add_account("mette", "host")
    for _ in range(12):
        assert login(server.client(), "mette", ACCOUNT_PASSWORD).status_code == 303
    browser = server.client()
    for _ in range(9):
        assert login(browser, "mette", "a wrong guess").status_code == 403
    assert login(browser, "mette", ACCOUNT_PASSWORD).status_code == 303
    assert login(browser, "mette", "a wrong guess").status_code == 403  # the 10th failure is still answered
    assert login(browser, "mette", ACCOUNT_PASSWORD).status_code == 429
