"""The hosts' login and logout, the host's event list and the front page (`liveboard/web/views/login.py`)."""

from __future__ import annotations

import html

import httpx
import pytest
from conftest import HOST_PASSWORD, LiveServer


def test_login_form(client: httpx.Client) -> None:
    response = client.get("/host/login?next=/e/demo/host")
    assert response.status_code == 200
    assert 'action="/host/login"' in response.text
    assert 'name="password"' in response.text
    assert 'name="next" value="/e/demo/host"' in response.text


def test_login_sets_a_host_cookie_and_goes_on(server: LiveServer, client: httpx.Client) -> None:
    response = client.post("/host/login", data={"password": HOST_PASSWORD, "next": "/e/demo/host"})
    assert response.status_code == 303
    assert response.headers["location"] == "/e/demo/host"
    assert client.get("/e/demo/host").status_code == 200


def test_login_without_next_goes_to_the_host_list(client: httpx.Client) -> None:
    response = client.post("/host/login", data={"password": HOST_PASSWORD})
    assert response.headers["location"] == "/host"


def test_the_host_cookie_is_httponly_and_samesite_lax(client: httpx.Client) -> None:
    response = client.post("/host/login", data={"password": HOST_PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lb_host=")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags


@pytest.mark.parametrize(
    ("password", "status", "words"),
    [
        ("wrong", 403, "do not match"),
        ("", 422, "password"),
        (None, 422, "password"),
        ("test-password ", 403, "do not match"),
    ],
    ids=["wrong", "empty", "missing", "trailing-space"],
)
def test_login_refused(server: LiveServer, client: httpx.Client, password: str | None, status: int, words: str) -> None:
    response = client.post("/host/login", data={} if password is None else {"password": password})
    assert response.status_code == status
    assert words in html.unescape(response.text)
    assert "lb_host" not in response.headers.get("set-cookie", "")
    assert client.get("/e/demo/host").status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "evil"]
)
def test_login_never_sends_the_host_to_another_site(client: httpx.Client, target: str) -> None:
    response = client.post("/host/login", data={"password": HOST_PASSWORD, "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/host"
    assert f'value="{html.escape(target)}"' not in client.get("/host/login", params={"next": target}).text


def test_host_list_needs_a_login(server: LiveServer, client: httpx.Client, host: httpx.Client) -> None:
    response = client.get("/host")
    assert response.status_code == 303
    assert response.headers["location"] == "/host/login?next=/host"
    page = host.get("/host")
    assert page.status_code == 200
    assert "/e/demo/host" in page.text
    assert html.escape(server.event().title) in page.text


def test_logout_ends_the_host_session(host: httpx.Client) -> None:
    response = host.post("/host/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "lb_host=" in response.headers["set-cookie"]
    assert host.get("/e/demo/host").status_code == 303
    assert host.post("/e/demo/host/announce", data={"text": "x"}).status_code == 401


def test_front_page_lists_the_events(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/e/demo"' in response.text


def test_password_guessing_is_slowed_down(server: LiveServer, client: httpx.Client) -> None:
    for _ in range(10):
        assert client.post("/host/login", data={"password": "guess"}).status_code == 403
    response = client.post("/host/login", data={"password": HOST_PASSWORD})
    assert response.status_code == 429
    assert "lb_host" not in response.headers.get("set-cookie", "")


def test_the_next_parameter_is_escaped_in_the_form(client: httpx.Client) -> None:
    page = client.get("/host/login", params={"next": '/e/demo/host"><script>alert(1)</script>'}).text
    assert "<script>alert(1)</script>" not in page
