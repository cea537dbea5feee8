"""Live frames against a real server: what reaches phones and screens, and how late joiners catch up."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from liveboard.models import Pitch
from tests.conftest import LiveServer


def socket(server: LiveServer, view: str, version: int | None, lang: str = "en") -> ClientConnection:
    v = "" if version is None else str(version)
    url = server.url.replace("http", "ws") + f"/e/demo/ws?view={view}&lang={lang}&v={v}"
    return connect(url, origin=server.url, open_timeout=5)


def frames_until(ws: ClientConnection, pattern: str, seconds: float = 5.0) -> str:
    """Everything received until a frame matches `pattern` (a regex), within `seconds`."""
    seen = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
        seen += str(frame)
        if re.search(pattern, str(frame)):
            return seen
    pytest.fail(f"no frame matched {pattern!r}; got {seen[:2000]!r}")


def test_an_approved_pitch_reaches_phones_and_screens_escaped(
    server: LiveServer, client: httpx.Client, host: httpx.Client
) -> None:
    version = server.version()
    phone, screen = socket(server, "phone", version), socket(server, "screen", version)
    with phone, screen:
        client.get("/e/demo")
        assert client.post("/e/demo/pitches", data={"title": '<b>Fest & "farver"</b>'}).status_code == 303
        pitch = max(server.rows(Pitch), key=lambda p: p.id)
        approved = host.post(f"/e/demo/host/pitches/{pitch.id}/approve")
        committed = int(approved.headers["x-liveboard-version"])
        for ws in (phone, screen):
            seen = frames_until(ws, "Fest")
            assert "&lt;b&gt;Fest &amp;" in seen and "<b>Fest" not in seen
            versions = [int(v) for v in re.findall(r'data-v="(\d+)"', seen)]
            assert max(versions) >= committed


def test_a_join_moves_the_counts_to_the_database_value(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Store sal")
    phone, screen = socket(server, "phone", server.version()), socket(server, "screen", server.version())
    with phone, screen:
        client.get("/e/demo")
        assert client.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
        present = server.present(slot)
        frames_until(phone, rf'id="present-{slot.id}"[^>]*>{present} of ')
        frames_until(screen, rf'id="count-{slot.id}"[^>]*>{present}<')


def test_a_client_that_reconnects_gets_what_it_missed(server: LiveServer, client: httpx.Client) -> None:
    slot = server.slot(1, "Store sal")
    # `stays` keeps the phone stream, and so its recent frames, alive while `leaves` is away.
    with socket(server, "phone", server.version()) as stays:
        before = server.version()
        with socket(server, "phone", before):
            pass
        client.get("/e/demo")
        client.post(f"/e/demo/sessions/{slot.id}/join")
        frames_until(stays, f'id="present-{slot.id}"')
        with socket(server, "phone", before) as late:
            seen = frames_until(late, f'id="present-{slot.id}"')
            assert f">{server.present(slot)} of " in seen
            assert 'id="board"' not in seen  # only what it missed, not the whole board
        # A version this server never had (its database was replaced): the whole regions.
        with socket(server, "phone", 999_999) as stranger:
            frames_until(stranger, 'id="board"')


def test_a_cross_site_handshake_and_a_host_view_without_login_are_refused(server: LiveServer) -> None:
    url = server.url.replace("http", "ws") + "/e/demo/ws?view=phone"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="https://evil.example", open_timeout=5)
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        socket(server, "host", None)
