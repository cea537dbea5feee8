"""The phone's large-text mode: `?text=large` / `?text=normal`, remembered in a cookie like `?lang=`, no JavaScript.

The choice is a plain link in the phone pages' header; the server remembers it (HttpOnly, SameSite=Lax) and puts
`class="text-large"` on <html>, which the stylesheet scales. Anything but the two known values is ignored.
"""

from __future__ import annotations

import re

import httpx
import pytest
from conftest import LiveServer

LARGE = '<html lang="en" class="text-large">'


def text_cookie(response: httpx.Response) -> str | None:
    return next((v for v in response.headers.get_list("set-cookie") if v.startswith("lb_text=")), None)


def test_large_text_is_chosen_by_a_link_and_remembered(server: LiveServer, client: httpx.Client) -> None:
    page = client.get("/e/demo").text
    assert '<html lang="en">' in page
    assert re.search(r'<a href="\?text=large">Larger text</a>', page)

    response = client.get("/e/demo?text=large")
    assert LARGE in response.text
    assert re.search(r'<a href="\?text=normal">Normal text</a>', response.text)
    cookie = text_cookie(response)
    assert cookie is not None
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"lb_text=large", "path=/", "httponly", "samesite=lax"} <= flags
    assert any(flag.startswith("max-age=") for flag in flags)

    # Remembered on the pages a participant goes to, without asking again, and no cookie set again.
    session = server.slot(1, "Lokale 1")
    for path in ("/e/demo", "/e/demo/me", f"/e/demo/sessions/{session.id}", "/e/demo/report", "/s/seniorer"):
        again = client.get(path)
        assert again.status_code == 200, path
        assert LARGE in again.text, path
        assert text_cookie(again) is None, path

    back = client.get(f"/e/demo/sessions/{session.id}?text=normal")
    assert '<html lang="en">' in back.text
    assert (text_cookie(back) or "").startswith("lb_text=normal;")
    assert '<html lang="en">' in client.get("/e/demo").text


def test_wall_screens_keep_their_own_size(server: LiveServer, client: httpx.Client) -> None:
    """A screen is read from five metres: sized by its own width, never by a phone's choice."""
    client.get("/e/demo?text=large")
    assert '<html lang="en">' in client.get("/e/demo/screen").text
    assert '<html lang="en">' in client.get(f"/e/demo/screen?room={server.room('Caféen').id}").text
    assert "Larger text" not in client.get("/e/demo/screen").text


@pytest.mark.parametrize("value", ["huge", "LARGE", "", "large;x=1", "<b>", "normal large"])
def test_other_values_are_ignored(server: LiveServer, client: httpx.Client, value: str) -> None:
    response = client.get("/e/demo", params={"text": value})
    assert response.status_code == 200
    assert text_cookie(response) is None
    assert '<html lang="en">' in response.text


def test_a_forged_cookie_is_ignored(server: LiveServer) -> None:
    browser = server.client()
    browser.cookies.set("lb_text", "gigantic", domain="127.0.0.1")
    response = browser.get("/e/demo")
    assert '<html lang="en">' in response.text and "text-large" not in response.text
    browser.cookies.set("lb_text", "large", domain="127.0.0.1")
    assert LARGE in browser.get("/e/demo").text


def test_my_evening_is_a_page_of_its_own_and_a_fragment_for_htmx(server: LiveServer, client: httpx.Client) -> None:
    client.get("/e/demo")
    page = client.get("/e/demo/me")
    assert page.text.lstrip().startswith("<!doctype html>")
    assert "<title>" in page.text and 'id="my-evening"' in page.text
    fragment = client.get("/e/demo/me", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="my-evening"')
